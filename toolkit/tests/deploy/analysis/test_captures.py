"""Reading data capture: layout, content types, encodings, join keys and every bad-input message."""
import base64
import json

import pytest

from mlops_guardrails.deploy.analysis.captures import endpoint_and_variant, load_captures, number, prediction, predictions
from mlops_guardrails.errors import InputError

from .capture_files import capture_record, write_jsonl, write_variant

HOUR = ("2024", "05", "01", "12")


def test_endpoint_and_variant_from_sagemaker_path():
    assert endpoint_and_variant("s3://b/data-capture/demo-prod/AllTraffic/2024/05/01/12/x.jsonl") == ("demo-prod", "AllTraffic")
    # SageMaker's own object name: mm-ss-mmm-<uuid>.jsonl under the hour (the sm-model_monitor_introduction notebook).
    assert endpoint_and_variant(
        "p/DEMO-xgb/AllTraffic/2022/04/18/00/20-48-871-0b7bfd33-c8a7-4adf-a09a-98fd0af79974.jsonl") == ("DEMO-xgb", "AllTraffic")


def test_endpoint_and_variant_rejects_other_layouts():
    with pytest.raises(InputError, match=r"flat/x\.jsonl: capture path: expected .*/<endpoint>/<variant>/yyyy/mm/dd/hh/"):
        endpoint_and_variant("flat/x.jsonl")


def test_sdk_sample_record_without_inference_id_joins_on_event_id(tmp_path):
    # A line as in aws/sagemaker-python-sdk tests/data/monitor/capture.jsonl: no inferenceId, CSV both ways.
    line = {"eventMetadata": {"eventId": "74b0dd56-e7c8-368e-94b1-14a138a96000", "inferenceTime": "2019-11-24T07:30:50Z"},
            "eventVersion": "0", "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "9,45,45,42,7,5,0", "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.302709460258", "encoding": "CSV"}}}
    write_jsonl(tmp_path.joinpath("ep", "AllTraffic", *HOUR), [line])
    [capture] = load_captures(str(tmp_path))
    assert (capture.key, capture.key_field, capture.inference_id) == ("74b0dd56-e7c8-368e-94b1-14a138a96000", "eventId", None)
    assert capture.rows("input") == [["9", "45", "45", "42", "7", "5", "0"]] and prediction(capture) == pytest.approx(0.302709460258)


def test_inference_id_is_the_key_when_the_caller_sent_one(tmp_path):
    write_variant(tmp_path, "ep", "v", [capture_record("1,2", "3", "order-17", "t", event_id="e-1")])
    [capture] = load_captures(str(tmp_path))
    assert (capture.key, capture.key_field) == ("order-17", "inferenceId")


def test_csv_trailing_newlines_and_several_rows(tmp_path):
    write_variant(tmp_path, "ep", "v", [capture_record("1,2\n3,4\n\n", "5.5\n6.5\n", "a", "t")])
    [capture] = load_captures(str(tmp_path))
    assert (capture.rows("input"), capture.rows("output"), prediction(capture)) == ([["1", "2"], ["3", "4"]], [["5.5"], ["6.5"]], 5.5)


@pytest.mark.parametrize("body,content_type,rows", [
    # XGBoost / linear-learner dense JSON (developer guide, common data formats for inference).
    ('{"instances": [{"features": [0.455, 0.365, 1]}]}', "application/json", [["0.455", "0.365", "1"]]),
    ('{"instances": [{"features": [1, 2]}, {"features": [3, 4]}]}', "application/json", [["1", "2"], ["3", "4"]]),
    # TensorFlow Serving's one scalar per instance, as in the SDK's tests/data/monitor/captured-data.jsonl.
    ('{"instances": [1.0, 2.0, 5.0]}', "application/json", [["1.0"], ["2.0"], ["5.0"]]),
    ("[0.455, 0.365]", "application/json", [["0.455", "0.365"]]),
    ("[[1, 2], [3, 4]]", "application/json", [["1", "2"], ["3", "4"]]),
    ('{"features": [1, 2]}\n{"features": [3, 4]}\n', "application/jsonlines", [["1", "2"], ["3", "4"]]),
])
def test_json_and_json_lines_inputs_become_rows(tmp_path, body, content_type, rows):
    write_variant(tmp_path, "ep", "v", [capture_record(body, "1", "a", "t", input_type=content_type)])
    [capture] = load_captures(str(tmp_path))
    assert capture.rows("input") == rows


@pytest.mark.parametrize("body,expected", [
    ('{"predictions": [{"score": 9.25}]}', 9.25),                    # XGBoost / linear-learner JSON answer
    ('{"predictions": [3.5, 4.0, 5.5]}', 3.5),                       # the SDK's captured-data.jsonl
    ('{"predictions": [{"error": "bad input"}]}', None),             # an answer that is not a number: counted
])
def test_json_outputs_give_the_first_prediction(tmp_path, body, expected):
    write_variant(tmp_path, "ep", "v", [capture_record("1", body, "a", "t", output_type="application/json")])
    assert prediction(load_captures(str(tmp_path))[0]) == expected


def test_base64_payloads_are_decoded_then_read_by_content_type(tmp_path):
    record = capture_record('{"instances": [{"features": [1, 2]}]}', "7.25\n", "id-1", "t",
                            input_type="application/json", encoding="BASE64")
    assert record["captureData"]["endpointInput"]["data"] == base64.b64encode(b'{"instances": [{"features": [1, 2]}]}').decode()
    write_variant(tmp_path, "ep", "v1", [record])
    [capture] = load_captures(str(tmp_path))
    assert (capture.rows("input"), prediction(capture)) == ([["1", "2"]], 7.25)


def test_unknown_output_content_type_is_refused_per_file_with_its_type(tmp_path):
    write_variant(tmp_path, "ep", "v", [capture_record("1", "x", "a", "t", output_type="application/x-protobuf"),
                                        capture_record("1", "2", "b", "t")])
    with pytest.raises(InputError) as raised:
        predictions(load_captures(str(tmp_path)))
    lines = str(raised.value).splitlines()
    assert lines[0] == "1 captured outputs could not be read:"
    assert lines[1].endswith(".jsonl:1: captureData.endpointOutput.observedContentType: 'application/x-protobuf': not readable as "
                             "rows (readable: text/csv, application/csv, application/json, application/jsonlines, "
                             "application/x-jsonlines, application/jsonl, application/json-lines)")


def test_broken_json_payload_and_bad_base64_are_named(tmp_path):
    broken = capture_record("1", '{"predictions": [1', "a", "t", output_type="application/json")
    bad64 = capture_record("1", "2", "b", "t")
    bad64["captureData"]["endpointOutput"].update(encoding="BASE64", data="***")
    write_variant(tmp_path, "ep", "v", [broken, bad64])
    with pytest.raises(InputError) as raised:
        predictions(load_captures(str(tmp_path)))
    text = str(raised.value)
    assert ".jsonl:1: captureData.endpointOutput.data: not JSON (Expecting ',' delimiter at column 19)" in text
    assert ".jsonl:2: captureData.endpointOutput.data: not BASE64-encoded UTF-8 text" in text


def test_nan_in_a_json_payload_is_refused(tmp_path):
    write_variant(tmp_path, "ep", "v", [capture_record("1", '{"predictions": [NaN]}', "a", "t", output_type="application/json")])
    with pytest.raises(InputError, match=r"data: NaN: not a JSON number"):
        predictions(load_captures(str(tmp_path)))


def test_truncated_lines_in_several_files_are_all_listed_with_key_and_line(tmp_path):
    folder = tmp_path.joinpath("ep", "v1", *HOUR)
    first = write_jsonl(folder, [capture_record("1", "2", "a", "t")])
    first.write_text(first.read_text() + '{"captureData": {"endpointInput": {"observedCont\n')
    second = write_jsonl(folder, [])
    second.write_text(json.dumps({"eventMetadata": {}}) + "\n")
    with pytest.raises(InputError) as raised:
        load_captures(str(tmp_path))
    text = str(raised.value)
    assert text.startswith("2 capture records could not be read:\n")
    assert f"  {first}:2: not JSON (a truncated or corrupt line): Unterminated string" in text
    assert f"  {second}:1: missing field 'captureData' or 'eventMetadata': a capture record has both" in text


def test_input_only_capture_has_no_prediction(tmp_path):
    record = capture_record("1,2", "3", "a", "t")
    del record["captureData"]["endpointOutput"]
    write_variant(tmp_path, "ep", "v", [record])
    [capture] = load_captures(str(tmp_path))
    assert (capture.rows("input"), capture.rows("output"), prediction(capture)) == ([["1", "2"]], [], None)


def test_load_captures_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match=r"nowhere: not found"):
        load_captures(str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match=r"no \.jsonl capture files"):
        load_captures(str(tmp_path))


def test_number_reads_one_cell():
    assert (number("4.5"), number("[3.0]"), number("oops"), number(""), number("nan")) == (4.5, 3.0, None, None, None)


def test_load_captures_from_s3_prefix(emulator, tmp_path):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="analysis-captures-test")
    write_variant(tmp_path, "ep", "v1", [capture_record("1", "3.5", f"id-{i}", "t") for i in range(3)])
    for path in tmp_path.rglob("*.jsonl"):
        s3.upload_file(str(path), "analysis-captures-test", f"data-capture/{path.relative_to(tmp_path).as_posix()}")
    captures = load_captures("s3://analysis-captures-test/data-capture/ep/")
    assert [(c.variant, c.inference_id, prediction(c)) for c in captures] == [("v1", f"id-{i}", 3.5) for i in range(3)]
