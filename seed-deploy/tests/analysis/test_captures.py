"""Reading data capture and ground truth: layout, encodings and every bad-input message."""
import base64
import json

import pytest

from deploy.analysis.captures import endpoint_and_variant, load_captures, load_truth, parse_prediction
from deploy.errors import InputError

from .capture_files import capture_record, write_variant


def test_endpoint_and_variant_from_sagemaker_path():
    assert endpoint_and_variant("s3://b/data-capture/demo-prod/AllTraffic/2024/05/01/12/x.jsonl") == ("demo-prod", "AllTraffic")


def test_endpoint_and_variant_rejects_other_layouts():
    with pytest.raises(InputError, match=r"flat/x\.jsonl: capture path: expected .*/<endpoint>/<variant>/yyyy/mm/dd/hh/"):
        endpoint_and_variant("flat/x.jsonl")


def test_load_captures_decodes_base64_and_keeps_ids(tmp_path):
    record = capture_record("1,2", "0", "id-1", "2024-05-01T12:00:00Z")
    record["captureData"]["endpointOutput"].update(encoding="BASE64", data=base64.b64encode(b"7.25\n").decode())
    write_variant(tmp_path, "ep", "v1", [record])
    [capture] = load_captures(str(tmp_path))
    assert (capture.endpoint, capture.variant, capture.inference_id, capture.prediction) == ("ep", "v1", "id-1", 7.25)


def test_load_captures_bad_json_names_file_and_line(tmp_path):
    folder = write_variant(tmp_path, "ep", "v1", [capture_record("1", "2", "a", "t")]) / "ep" / "v1" / "2024/05/01/12"
    path = next(folder.iterdir())
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(InputError, match=r"\.jsonl:2: not JSON"):
        load_captures(str(tmp_path))


def test_load_captures_missing_field_named(tmp_path):
    folder = tmp_path / "ep" / "v1" / "2024" / "05" / "01" / "12"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text(json.dumps({"eventMetadata": {}}) + "\n")
    with pytest.raises(InputError, match=r"a\.jsonl:1: missing field 'captureData'"):
        load_captures(str(tmp_path))


def test_load_captures_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match=r"nowhere: not found"):
        load_captures(str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match=r"no \.jsonl capture files"):
        load_captures(str(tmp_path))


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


def test_parse_prediction_number_or_none():
    assert (parse_prediction("4.5\n"), parse_prediction("[3.0]"), parse_prediction("oops"), parse_prediction("")) == (4.5, 3.0, None, None)


def test_load_captures_from_s3_prefix(emulator, tmp_path):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="analysis-captures-test")
    write_variant(tmp_path, "ep", "v1", [capture_record("1", "3.5", f"id-{i}", "t") for i in range(3)])
    for path in tmp_path.rglob("*.jsonl"):
        s3.upload_file(str(path), "analysis-captures-test", f"data-capture/{path.relative_to(tmp_path).as_posix()}")
    captures = load_captures("s3://analysis-captures-test/data-capture/ep/")
    assert [(c.variant, c.inference_id, c.prediction) for c in captures] == [("v1", f"id-{i}", 3.5) for i in range(3)]

