"""Ground truth in both forms: the inference_id,label CSV and Model Monitor's groundTruthData JSON lines."""
import json

import pytest

from mlops_guardrails.deploy.analysis.ground_truth import load_truth
from mlops_guardrails.errors import InputError

from .capture_files import truth_record, write_jsonl


def test_ground_truth_json_lines_as_the_sdk_writes_them(tmp_path):
    # Two lines of aws/sagemaker-python-sdk tests/data/monitor/actuals.jsonl, as written there.
    text = ('{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"74b0dd56-e7c8-368e-94b1-14a138a96000",'
            '"inferenceTime":"{%s}"},"eventVersion":"0"}\n'
            '{"groundTruthData":{"data":"0","encoding":"CSV"},"eventMetadata":{"eventId":"79f96714-0136-39c8-a205-38faf8a5f96f",'
            '"inferenceTime":"{%s}"},"eventVersion":"0"}\n')
    (tmp_path / "actuals.jsonl").write_text(text)
    assert load_truth(str(tmp_path / "actuals.jsonl")) == {"74b0dd56-e7c8-368e-94b1-14a138a96000": 1.0,
                                                           "79f96714-0136-39c8-a205-38faf8a5f96f": 0.0}


def test_ground_truth_folder_in_the_hourly_layout_with_every_encoding(tmp_path):
    # Model Monitor reads ground truth from s3://bucket/prefix/yyyy/mm/dd/hh/*.jsonl.
    write_jsonl(tmp_path / "2024" / "05" / "01" / "12", [truth_record("a", "11"), truth_record("b", "7.5", "BASE64")])
    write_jsonl(tmp_path / "2024" / "05" / "01" / "13", [truth_record("c", "9", "JSON")])
    assert load_truth(str(tmp_path)) == {"a": 11.0, "b": 7.5, "c": 9.0}


def test_ground_truth_bad_lines_are_listed_with_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "2024" / "05" / "01" / "12",
                       [truth_record("a", "heavy"), {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {}}])
    path.write_text(path.read_text() + '{"groundTruthData": {"da\n')
    with pytest.raises(InputError) as raised:
        load_truth(str(tmp_path))
    assert str(raised.value).splitlines() == [
        "3 ground truth records could not be read:",
        f"  {path}:1: groundTruthData.data: 'heavy': must be a numeric label",
        f"  {path}:2: eventMetadata.eventId: None: must be the capture's inferenceId or eventId",
        f"  {path}:3: not JSON (a truncated or corrupt line): Unterminated string starting at",
    ]


def test_ground_truth_duplicate_event_id_is_refused(tmp_path):
    path = write_jsonl(tmp_path, [truth_record("a", "1"), truth_record("a", "2")])
    with pytest.raises(InputError, match=rf"{path.name}:2: eventMetadata\.eventId: 'a': appears twice"):
        load_truth(str(tmp_path))


def test_ground_truth_folder_without_files_says_what_it_reads(tmp_path):
    with pytest.raises(InputError, match=r"no \.csv file and no \.jsonl files under it"):
        load_truth(str(tmp_path))


@pytest.mark.parametrize("text,message", [
    ("id,label\na,1\n", r"needs the columns inference_id,label \(missing inference_id\)"),
    ("inference_id,label\na,heavy\n", r"truth\.csv:2: label: 'heavy': must be a number"),
    ("inference_id,label\na,1\na,2\n", r"truth\.csv:3: inference_id: 'a': appears twice"),
    ("inference_id,label\n", r"no rows"),
])
def test_load_truth_rejects_bad_csv(tmp_path, text, message):
    path = tmp_path / "truth.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_truth(str(path))


def test_ground_truth_json_lines_from_s3(emulator, tmp_path):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="analysis-truth-test")
    body = "".join(json.dumps(truth_record(f"id-{i}", str(i))) + "\n" for i in range(3))
    s3.put_object(Bucket="analysis-truth-test", Key="ground-truth/2024/05/01/12/labels.jsonl", Body=body.encode())
    assert load_truth("s3://analysis-truth-test/ground-truth/") == {"id-0": 0.0, "id-1": 1.0, "id-2": 2.0}
