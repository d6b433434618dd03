"""Captured request and response bodies as rows of cells, read by their observedContentType and encoding.

Shapes, from AWS's documentation and samples:
- Data capture records (developer guide, "Capture data from real-time endpoint" / "View collected data"):
  captureData.endpointInput / endpointOutput each hold observedContentType, mode, data and encoding;
  encoding is CSV or JSON when the content type is one the DataCaptureConfig's CaptureContentTypeHeader
  lists (text/csv; application/json), BASE64 for every other content type (botocore's sagemaker model,
  CaptureContentTypeHeader). aws/amazon-sagemaker-examples' sm-model_monitor_introduction notebook shows
  real CSV records ("text/csv" in, "text/csv; charset=utf-8" out).
- JSON bodies: the built-in XGBoost and linear-learner containers take {"instances": [{"features": [...]}]}
  and answer {"predictions": [{"score": ...}]} (developer guide, "Common data formats for inference");
  TensorFlow Serving's {"instances": [1.0, 2.0, 5.0]} / {"predictions": [3.5, 4.0, 5.5]} is one instance
  per scalar (aws/sagemaker-python-sdk tests/data/monitor/captured-data.jsonl); a plain JSON array is one
  row, an array of arrays several.
- JSON Lines (application/jsonlines): one such JSON value per line.
Anything else is refused with its content type: guessing a layout would invent numbers.
"""
import base64
import binascii
import csv
import io
import json
import math

CSV_TYPES = ("text/csv", "application/csv")
JSON_TYPES = ("application/json",)
JSON_LINES_TYPES = ("application/jsonlines", "application/x-jsonlines", "application/jsonl", "application/json-lines")
ENCODINGS = ("CSV", "JSON", "BASE64")


class PayloadError(ValueError):
    """A body that cannot be read as rows; the message names the field and the rule."""


def media_type(content_type: str | None) -> str:
    """'text/csv; charset=utf-8' -> 'text/csv'."""
    return (content_type or "").split(";")[0].strip().lower()


def decode_text(payload: dict) -> str:
    """The body as text: BASE64 decoded to UTF-8, CSV and JSON encodings as written."""
    data, encoding = payload.get("data"), str(payload.get("encoding", "")).upper()
    if not isinstance(data, str):
        raise PayloadError(f"data: {data!r}: must be a string")
    if encoding not in ENCODINGS:
        raise PayloadError(f"encoding: {payload.get('encoding')!r}: must be one of {', '.join(ENCODINGS)}")
    if encoding != "BASE64":
        return data
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as error:
        raise PayloadError(f"data: not BASE64-encoded UTF-8 text ({error})") from error


def rows(payload: dict) -> list[list[str]]:
    """The body's records as rows of cells (text); PayloadError for an unknown content type or bad body."""
    kind = media_type(payload.get("observedContentType"))
    if kind not in CSV_TYPES + JSON_TYPES + JSON_LINES_TYPES:
        raise PayloadError(
            f"observedContentType: {payload.get('observedContentType')!r}: not readable as rows "
            f"(readable: {', '.join(CSV_TYPES + JSON_TYPES + JSON_LINES_TYPES)})"
        )
    text = decode_text(payload)
    if kind in CSV_TYPES:
        return [row for row in csv.reader(io.StringIO(text)) if row]
    if kind in JSON_TYPES:
        return json_rows(_load(text, "data"))
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            found += json_rows(_load(line, f"data line {number}"))
    return found


def _load(text: str, where: str):
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise PayloadError(f"{where}: not JSON ({error.msg} at column {error.colno})") from error


def _refuse_constant(name: str):
    raise PayloadError(f"data: {name}: not a JSON number (NaN and Infinity are not JSON)")


def json_rows(value) -> list[list[str]]:
    """Rows from the JSON shapes the built-in containers read and write (see the module docstring)."""
    if isinstance(value, dict):
        for key in ("instances", "predictions"):
            if key in value:
                items = value[key]
                if not isinstance(items, list):
                    raise PayloadError(f"data.{key}: must be a list")
                return [_row(item, f"data.{key}[{i}]") for i, item in enumerate(items)]
        return [_row(value, "data")]
    if isinstance(value, list) and value and all(isinstance(item, list) for item in value):
        return [_row(item, f"data[{i}]") for i, item in enumerate(value)]
    return [_row(value, "data")]


def _row(item, where: str) -> list[str]:
    if isinstance(item, dict):
        # {"features": [...]} in; {"score": x, "predicted_label": y} out; otherwise the values in order.
        if "features" in item:
            return _row(item["features"], f"{where}.features")
        if "score" in item:
            return [_cell(item["score"], f"{where}.score")]
        return [_cell(v, f"{where}.{k}") for k, v in item.items()]
    if isinstance(item, list):
        return [_cell(v, f"{where}[{i}]") for i, v in enumerate(item)]
    return [_cell(item, where)]


def _cell(value, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise PayloadError(f"{where}: {json.dumps(value)[:40]}: must be a number or a string")
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadError(f"{where}: {value}: not a finite number")
    return value if isinstance(value, str) else repr(value)
