"""Ground truth labels keyed by the id they join captures on, from a CSV or Model Monitor's JSON lines.

Two forms, local or s3://:
- a CSV file with a header holding inference_id,label (one numeric label per id);
- Model Monitor's own ground truth records, as its merge job reads them (developer guide, "Ingest Ground
  Truth labels and merge them with predictions"; aws/sagemaker-python-sdk tests/data/monitor/actuals.jsonl):
  one JSON object a line, {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata":
  {"eventId": "..."}, "eventVersion": "0"}, in .jsonl files under a folder or prefix (Model Monitor
  expects .../yyyy/mm/dd/hh/, the hour the labels were collected; any depth is read here). eventMetadata.eventId
  holds the capture's inferenceId when the caller sent one, else the capture's eventId.
"""
import csv
import io
import json

from mlops_guardrails.deploy.analysis import payloads
from mlops_guardrails.deploy.analysis.captures import Problem, number, refuse
from mlops_guardrails.deploy.analysis.sources import list_files, read_text
from mlops_guardrails.errors import InputError

CSV_COLUMNS = ("inference_id", "label")


def load_truth(location: str) -> dict[str, float]:
    """Labels by id from a .csv file, or from every .jsonl ground truth file at or under location."""
    if location.lower().endswith(".csv"):
        truth = _from_csv(location)
    else:
        files = list_files(location, ".jsonl")
        if not files:
            raise InputError(
                f"{location}: ground truth: no .csv file and no .jsonl files under it "
                "(give a CSV with inference_id,label or Model Monitor's groundTruthData JSON lines)"
            )
        truth = _from_json_lines(files)
    if not truth:
        raise InputError(f"{location}: no rows: ground truth is empty")
    return truth


def _add(truth: dict[str, float], key: str, value: float, where: str, field: str) -> None:
    if key in truth:
        raise InputError(f"{where}: {field}: {key!r}: appears twice: ids must be unique")
    truth[key] = value


def _from_csv(location: str) -> dict[str, float]:
    # Spreadsheets save UTF-8 with a byte order mark, which would otherwise glue itself to the first column's name.
    reader = csv.DictReader(io.StringIO(read_text(location).removeprefix("\ufeff")))
    missing = [name for name in CSV_COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            f"{location}: header: {reader.fieldnames}: ground truth needs the columns inference_id,label "
            f"(missing {', '.join(missing)})"
        )
    truth: dict[str, float] = {}
    for line, row in enumerate(reader, start=2):
        key, label = (row.get("inference_id") or "").strip(), (row.get("label") or "").strip()
        if not key:
            raise InputError(f"{location}:{line}: inference_id: empty: every row needs an id")
        value = number(label)
        if value is None:
            raise InputError(f"{location}:{line}: label: {label!r}: must be a number")
        _add(truth, key, value, f"{location}:{line}", "inference_id")
    return truth


def _from_json_lines(files: list[str]) -> dict[str, float]:
    truth: dict[str, float] = {}
    problems = []
    for path in files:
        for line, text in enumerate(read_text(path).splitlines(), start=1):
            if text.strip():
                try:
                    key, value = _record(text)
                except InputError as error:
                    problems.append(Problem(f"{path}:{line}", str(error)))
                    continue
                _add(truth, key, value, f"{path}:{line}", "eventMetadata.eventId")
    refuse(problems, "ground truth records")
    return truth


def _record(text: str) -> tuple[str, float]:
    """(eventMetadata.eventId, label) of one groundTruthData line."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON (a truncated or corrupt line): {error.msg}") from None
    data = record.get("groundTruthData") if isinstance(record, dict) else None
    meta = record.get("eventMetadata") if isinstance(record, dict) else None
    if not isinstance(data, dict) or not isinstance(meta, dict):
        raise InputError("missing field 'groundTruthData' or 'eventMetadata': a ground truth record has both")
    key = meta.get("eventId")
    if not isinstance(key, str) or not key:
        raise InputError(f"eventMetadata.eventId: {key!r}: must be the capture's inferenceId or eventId")
    try:
        label = payloads.decode_text(data).strip()
    except payloads.PayloadError as error:
        raise InputError(f"groundTruthData.{error}") from None
    if str(data.get("encoding", "")).upper() == "JSON":
        label = label.strip('"')
    value = number(label.split(",")[0]) if label else None
    if value is None:
        raise InputError(f"groundTruthData.data: {data.get('data')!r}: must be a numeric label")
    return key, value
