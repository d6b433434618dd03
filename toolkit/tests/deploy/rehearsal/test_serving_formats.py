"""The host answers each content type, Accept type and edge case as the XGBoost 1.7-1 container does.

Expected behaviour read from aws/sagemaker-xgboost-container, tag v1.7-1-1 (algorithm_mode/serve.py,
serve_utils.py, encoder.py) and sagemaker-containers 2.8.6 (_encoders.py); the error shapes and codes from
botocore's sagemaker-runtime model (InvokeEndpoint: ModelError 424 with OriginalStatusCode and
OriginalMessage, ValidationError 400). RecordIO-protobuf requests are built here, byte by byte, from
SageMaker's Record message (field numbers of sagemaker-containers 2.8.6's record_pb2.py) in RecordIO
framing (magic 0xced7230a, length, padding to 4 bytes: the SageMaker SDK's _write_recordio).
"""
import struct

import numpy as np
import pytest
import xgboost
from rehearsal.rehearsal_fixtures import FEATURES, csv_rows, fleet
from scipy.sparse import csr_matrix

from mlops_guardrails.deploy.rehearsal.metrics import dimensions
from mlops_guardrails.deploy.rehearsal.models import load_model



def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def recordio_protobuf(rows: list[list[float]], keys: list[list[int]] | None = None, width: int | None = None) -> bytes:
    """Records with features["values"] as a Float32Tensor: values=1, keys=2, shape=3 (packed);
    Value.float32_tensor=2; Record.features=1 (map entry: key=1, value=2)."""
    body = b""
    for number, values in enumerate(rows):
        tensor = _field(1, struct.pack(f"<{len(values)}f", *values))
        if keys is not None:
            tensor += _field(2, b"".join(_varint(k) for k in keys[number])) + _field(3, _varint(width))
        record = _field(1, _field(1, b"values") + _field(2, _field(2, tensor)))
        body += struct.pack("<II", 0xCED7230A, len(record)) + record + b"\0" * (-len(record) % 4)
    return body


@pytest.fixture
def endpoint(host, artifacts, unique):
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", artifacts["v1"], 1, 1)))
    return unique


@pytest.fixture(scope="module")
def booster(artifacts):
    return load_model(artifacts["v1"]).booster


def call(runtime, endpoint, body, **kwargs):
    return runtime.invoke_endpoint(EndpointName=endpoint, Body=body, **kwargs)


def scores(response) -> list[float]:
    return [float(line) for line in response["Body"].read().decode().split()]


def model_error(runtime, endpoint, body, **kwargs) -> dict:
    with pytest.raises(runtime.exceptions.ModelError) as error:
        call(runtime, endpoint, body, **kwargs)
    response = error.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("ModelError", 424)
    return response


def test_empty_body_is_the_containers_204_with_no_content(runtime, endpoint):
    response = call(runtime, endpoint, b"", ContentType="text/csv")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert response["Body"].read() == b""


def test_empty_csv_cell_is_a_missing_value(runtime, endpoint, booster):
    row = csv_rows(1)[0].split(",")
    row[3] = ""
    expected = booster.predict(xgboost.DMatrix(np.array([[np.nan if c == "" else float(c) for c in row]])))
    assert scores(call(runtime, endpoint, ",".join(row), ContentType="text/csv")) == pytest.approx(expected.tolist(), rel=1e-6)


def test_fewer_columns_than_the_model_predicts_with_the_rest_missing(runtime, endpoint, booster):
    answer = scores(call(runtime, endpoint, "0.5,0.25,0.75", ContentType="text/csv"))
    assert answer == pytest.approx(booster.predict(xgboost.DMatrix(np.array([[0.5, 0.25, 0.75]]))).tolist(), rel=1e-6)


def test_more_columns_than_the_model_is_the_containers_400(runtime, endpoint):
    response = model_error(runtime, endpoint, csv_rows(1)[0] + ",1.0", ContentType="text/csv")
    assert response["OriginalStatusCode"] == 400
    assert f"Number of columns does not match number of features in booster ({FEATURES} vs. {FEATURES + 1})" in \
        response["OriginalMessage"]


def test_header_row_is_the_containers_415(runtime, endpoint):
    header = ",".join(f"f{i}" for i in range(FEATURES))
    response = model_error(runtime, endpoint, header + "\n" + csv_rows(1)[0], ContentType="text/csv")
    assert response["OriginalStatusCode"] == 415
    assert "Loading csv data failed" in response["OriginalMessage"]


def test_csv_label_size_other_than_one_is_a_415(runtime, endpoint):
    response = model_error(runtime, endpoint, csv_rows(1)[0], ContentType="text/csv;label_size=2")
    assert response["OriginalStatusCode"] == 415 and "label_size must be equal to 1" in response["OriginalMessage"]


def test_libsvm_rows_predict_with_absent_indices_missing(runtime, endpoint, booster):
    body = "0 0:0.5 3:0.25\n0 1:0.75 9:0.1"
    expected = booster.predict(xgboost.DMatrix(csr_matrix(([0.5, 0.25, 0.75, 0.1], ([0, 0, 1, 1], [0, 3, 1, 9])))))
    for content_type in ("text/libsvm", "text/x-libsvm"):
        answer = scores(call(runtime, endpoint, body, ContentType=content_type))
        assert answer == pytest.approx(expected.tolist(), rel=1e-6)


def test_missing_content_type_is_read_as_libsvm_like_the_container(runtime, endpoint):
    response = model_error(runtime, endpoint, csv_rows(1)[0])  # boto3 sends no Content-Type header
    assert response["OriginalStatusCode"] == 415 and "Loading libsvm data failed" in response["OriginalMessage"]


def test_dense_recordio_protobuf_predicts_as_the_same_csv_rows(runtime, endpoint):
    rows = [[float(c) for c in row.split(",")] for row in csv_rows(4, seed=5)]
    body = recordio_protobuf(rows)
    answer = scores(call(runtime, endpoint, body, ContentType="application/x-recordio-protobuf"))
    same_rows = "\n".join(",".join(f"{v:.7g}" for v in struct.unpack(f"<{FEATURES}f", struct.pack(f"<{FEATURES}f", *row)))
                          for row in rows)
    assert answer == pytest.approx(scores(call(runtime, endpoint, same_rows, ContentType="text/csv")), rel=1e-5)


def test_sparse_recordio_protobuf_predicts_as_the_same_libsvm_rows(runtime, endpoint):
    body = recordio_protobuf([[1.0, 0.5], [0.25]], keys=[[0, 3], [9]], width=FEATURES)
    answer = scores(call(runtime, endpoint, body, ContentType="application/x-recordio-protobuf"))
    expected = scores(call(runtime, endpoint, "0 0:1 3:0.5\n0 9:0.25", ContentType="text/libsvm"))
    assert len(answer) == 2 and answer == pytest.approx(expected, rel=1e-6)


def test_recordio_protobuf_that_is_not_recordio_is_a_415(runtime, endpoint):
    response = model_error(runtime, endpoint, b"\x00" * 16, ContentType="application/x-recordio-protobuf")
    assert response["OriginalStatusCode"] == 415 and "not a RecordIO record" in response["OriginalMessage"]


def test_unknown_content_type_is_a_415_naming_the_supported_ones(host, runtime, endpoint):
    response = model_error(runtime, endpoint, b"\x89PNG", ContentType="application/x-image")
    assert response["OriginalStatusCode"] == 415
    assert "text/csv, text/libsvm, text/x-libsvm, application/x-recordio-protobuf" in response["OriginalMessage"]
    key = dimensions(EndpointName=endpoint, VariantName="AllTraffic")
    assert host.metrics.values("Invocation4XXErrors", key, 0, 1e12) == [1.0]


def test_any_or_absent_accept_answers_csv(runtime, endpoint):
    for kwargs in ({}, {"Accept": "*/*"}):
        response = call(runtime, endpoint, csv_rows(1)[0], ContentType="text/csv", **kwargs)
        assert response["ContentType"] == "text/csv; charset=utf-8"


def test_json_accept_is_predictions_with_scores(runtime, endpoint):
    import json

    response = call(runtime, endpoint, "\n".join(csv_rows(2)), ContentType="text/csv", Accept="application/json")
    body = json.loads(response["Body"].read())
    assert response["ContentType"] == "application/json"
    assert [list(item) for item in body["predictions"]] == [["score"], ["score"]]


@pytest.mark.parametrize("accept", ["application/jsonlines", "application/x-recordio-protobuf"])
def test_listed_accepts_the_container_cannot_encode_are_its_500(runtime, endpoint, accept):
    response = model_error(runtime, endpoint, csv_rows(1)[0], ContentType="text/csv", Accept=accept)
    assert response["OriginalStatusCode"] == 500
    assert f"Content type {accept} is not supported by this framework" in response["OriginalMessage"]


def test_unlisted_accept_is_the_containers_406_naming_the_supported_ones(runtime, endpoint):
    response = model_error(runtime, endpoint, csv_rows(1)[0], ContentType="text/csv", Accept="text/plain")
    assert response["OriginalStatusCode"] == 406
    assert "'application/json', 'application/jsonlines', 'application/x-recordio-protobuf', 'text/csv'" in \
        response["OriginalMessage"]


def test_bad_payload_is_refused_before_a_bad_accept(runtime, endpoint):
    response = model_error(runtime, endpoint, "a,b", ContentType="text/csv", Accept="text/plain")
    assert response["OriginalStatusCode"] == 415  # serve.invocations parses before it reads Accept
