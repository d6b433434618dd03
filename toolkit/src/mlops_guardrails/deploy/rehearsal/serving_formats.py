"""Request and response formats of SageMaker's XGBoost 1.7-1 container (algorithm mode), with its status codes.

Our own code after aws/sagemaker-xgboost-container, tag v1.7-1-1: algorithm_mode/serve.py (invocations:
an empty body is 204; a payload that does not parse is 415; a prediction that fails is 400; an Accept it
does not list is 406), serve_utils.py (parse_content_data; a missing Content-Type means LIBSVM),
encoder.py (csv_to_dmatrix) and data_utils.py (get_content_type). Responses are encoded by
sagemaker-containers 2.8.6's encoders, which know text/csv and application/json only: the container
lists application/jsonlines and application/x-recordio-protobuf as Accept types but, without selectable
inference output (SAGEMAKER_INFERENCE_OUTPUT), fails on them with a 500 after predicting.
"""
import csv
import json
import struct

import numpy as np

CSV, LIBSVM, RECORDIO_PROTOBUF = "csv", "libsvm", "recordio-protobuf"
CONTENT_TYPES = {
    "csv": CSV, "text/csv": CSV,
    "libsvm": LIBSVM, "text/libsvm": LIBSVM, "text/x-libsvm": LIBSVM,
    "recordio-protobuf": RECORDIO_PROTOBUF, "application/x-recordio-protobuf": RECORDIO_PROTOBUF,
}
# serve.py's SUPPORTED_ACCEPTS, and the two of them its encoder can write.
SUPPORTED_ACCEPTS = ("application/json", "application/jsonlines", "application/x-recordio-protobuf", "text/csv")
ENCODED_ACCEPTS = ("text/csv", "application/json")
DEFAULT_ACCEPT = "text/csv"  # SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT unset


class ServingError(Exception):
    """The container answered with this HTTP status; SageMaker wraps it in a ModelError."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _media(header: str) -> tuple[str, dict[str, str]]:
    media, *params = header.split(";")
    pairs = (p.split("=", 1) for p in params if "=" in p)
    return media.strip().lower(), {k.strip().lower(): v.strip().strip('"') for k, v in pairs}


def success_status(request_body: bytes) -> int:
    """The container answers an empty request with 204 No Content (and no prediction), any other with 200."""
    return 204 if not request_body else 200


def content_kind(content_type: str | None) -> str:
    """data_utils.get_content_type: csv, libsvm or recordio-protobuf; anything else is a 415."""
    if not content_type:
        return LIBSVM
    media, params = _media(content_type)
    kind = CONTENT_TYPES.get(media)
    if kind is None:
        raise ServingError(415, f"Content-type {content_type} is not supported. Supported: "
                                f"text/csv, text/libsvm, text/x-libsvm, application/x-recordio-protobuf.")
    if kind == CSV and params.get("label_size", "1") != "1":
        raise ServingError(415, f"{content_type} is not an accepted csv ContentType. "
                                "Optional parameter label_size must be equal to 1")
    return kind


def parse_payload(body: bytes, content_type: str | None):
    """The request as a float matrix (CSV, dense RecordIO) or a scipy CSR matrix (LIBSVM, sparse RecordIO)."""
    kind = content_kind(content_type)
    readers = {CSV: _csv, LIBSVM: _libsvm, RECORDIO_PROTOBUF: _recordio}
    try:
        return readers[kind](body)
    except Exception as error:  # the container answers 415 for any payload its parser refuses
        raise ServingError(415, f"Loading {kind} data failed with Exception, please ensure data is in "
                                f"{kind} format: {type(error).__name__}: {error}") from error


def _csv(body: bytes) -> np.ndarray:
    text = body.strip().decode("utf-8")
    sniffed = csv.Sniffer().sniff(text.split("\n")[0][:512]).delimiter
    delimiter = "," if sniffed.isalnum() else sniffed
    rows = [["nan" if cell == "" else cell for cell in line.split(delimiter)] for line in text.split("\n")]
    if len({len(row) for row in rows}) > 1:
        raise ValueError("rows have different numbers of columns")  # numpy 1.24 refuses ragged rows too
    return np.array(rows).astype(float)  # a header row fails here: not a number


def _libsvm(body: bytes):
    from scipy.sparse import csr_matrix

    rows, cols, values = [], [], []
    for row, line in enumerate(body.strip().decode("utf-8").split("\n")):
        for item in line.split(" "):
            if ":" in item:  # the label (first token, no colon) is skipped
                index, value = item.split(":")[:2]
                rows.append(row)
                cols.append(int(index))
                values.append(float(value))
    return csr_matrix((np.array(values), (np.array(rows), np.array(cols))))


# RecordIO-protobuf (SageMaker's Record message in RecordIO framing), read as the container's mlio does:
# features["values"], dense unless the tensor has keys. Wire format after sagemaker-containers'
# record_pb2.py: Record{features=1 map<string,Value>}; Value{float32_tensor=2, float64_tensor=3,
# int32_tensor=7}; tensor{values=1, keys=2, shape=3}, all packed.
_RECORDIO_MAGIC = 0xCED7230A
_TENSOR_FORMATS = {2: "<f", 3: "<d", 7: None}


def _recordio(body: bytes):
    records = [_record_values(data) for data in _recordio_frames(body)]
    if not records:
        raise ValueError("no records")
    if all(keys is None for _, keys, _ in records):
        return np.vstack([values for values, _, _ in records]).astype(float)
    from scipy.sparse import csr_matrix

    width = max(int(shape[0]) if shape else int(max(keys, default=-1)) + 1 for _, keys, shape in records)
    rows = [np.full(len(values), number) for number, (values, _, _) in enumerate(records)]
    cols = [np.asarray(keys if keys is not None else range(len(values))) for values, keys, _ in records]
    return csr_matrix((np.concatenate([v for v, _, _ in records]), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(len(records), width))


def _recordio_frames(body: bytes):
    offset = 0
    while offset < len(body):
        magic, length = struct.unpack_from("<II", body, offset)
        if magic != _RECORDIO_MAGIC:
            raise ValueError(f"byte {offset}: not a RecordIO record (magic {magic:#x})")
        length &= (1 << 29) - 1  # the top 3 bits flag multi-part records
        yield body[offset + 8: offset + 8 + length]
        offset += 8 + (length + 3) // 4 * 4


def _fields(data: bytes):
    """(field number, wire type, value) of a protobuf message; value is bytes for length-delimited fields."""
    offset = 0
    while offset < len(data):
        key, offset = _varint(data, offset)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, offset = _varint(data, offset)
        elif wire == 2:
            size, offset = _varint(data, offset)
            value, offset = data[offset: offset + size], offset + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, offset = data[offset: offset + size], offset + size
        else:
            raise ValueError(f"protobuf wire type {wire} not expected in a Record")
        yield number, wire, value


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, offset
        shift += 7


def _varints(data: bytes) -> list[int]:
    out, offset = [], 0
    while offset < len(data):
        value, offset = _varint(data, offset)
        out.append(value)
    return out


def _record_values(record: bytes):
    for number, _, entry in _fields(record):
        if number != 1:  # features; label, uid, metadata and configuration are ignored
            continue
        fields = {n: v for n, _, v in _fields(entry)}
        if fields.get(1) != b"values":
            continue
        for kind, tensor in ((n, v) for n, _, v in _fields(fields.get(2, b""))):
            if kind not in _TENSOR_FORMATS:
                raise ValueError(f"Value field {kind}: only float32, float64 and int32 tensors hold features")
            parts = {n: v for n, _, v in _fields(tensor)}
            raw = parts.get(1, b"")
            fmt = _TENSOR_FORMATS[kind]
            values = (np.array(_varints(raw), dtype=np.int32).astype(float) if fmt is None
                      else np.frombuffer(raw, dtype=np.dtype(fmt)).astype(float))
            keys = _varints(parts[2]) if 2 in parts else None
            shape = _varints(parts[3]) if 3 in parts else None
            return values, keys, shape
    raise ValueError("record has no features['values'] tensor")


def accept_type(accept: str | None) -> str:
    """serve._parse_accept: the Accept type to answer in; one the container does not list is a 406."""
    media, _ = _media(accept or "")
    if not media or media == "*/*":
        return DEFAULT_ACCEPT
    if media not in SUPPORTED_ACCEPTS:
        raise ServingError(406, f"Accept type {accept} is not supported. Please use supported accept types: "
                                f"{list(SUPPORTED_ACCEPTS)}.")
    return media


def encode(scores, accept: str) -> tuple[bytes, str]:
    """The response body and its Content-Type, as Flask would send the container's answer."""
    values = [float(score) for score in scores]
    if accept == "application/json":
        return json.dumps({"predictions": [{"score": value} for value in values]}).encode(), "application/json"
    if accept == "text/csv":
        return "".join(f"{value!r}\n" for value in values).encode(), "text/csv; charset=utf-8"
    raise ServingError(500, f"Internal Server Error: Content type {accept} is not supported by this framework "
                            f"(without SAGEMAKER_INFERENCE_OUTPUT the container encodes only "
                            f"{', '.join(ENCODED_ACCEPTS)}).")
