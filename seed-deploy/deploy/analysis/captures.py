"""Read SageMaker data capture (JSON lines) and ground truth; the variant of a record comes from its path."""
import base64
import csv
import io
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass

from deploy.analysis.sources import list_files, read_text
from deploy.errors import InputError

# .../<endpoint>/<variant>/yyyy/mm/dd/hh/<name>.jsonl, as SageMaker writes captures (docs/contracts.md).
HOUR_PARTS = (re.compile(r"\d{4}"), re.compile(r"\d{2}"), re.compile(r"\d{2}"), re.compile(r"\d{2}"))
CAPTURE_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class Capture:
    """One captured request/response pair."""

    endpoint: str
    variant: str
    event_id: str
    inference_id: str | None
    inference_time: str | None
    input_data: str
    output_data: str
    source: str

    @property
    def prediction(self) -> float | None:
        return parse_prediction(self.output_data)

    @property
    def key(self) -> str | None:
        """The join key with ground truth and between variants."""
        return self.inference_id


def endpoint_and_variant(path: str) -> tuple[str, str]:
    """Read <endpoint>/<variant> from a capture path; InputError if the path is not SageMaker's layout."""
    parts = path.replace("\\", "/").split("/")
    hour = parts[-5:-1]
    if len(parts) < 7 or not all(rule.fullmatch(part) for rule, part in zip(HOUR_PARTS, hour)):
        raise InputError(
            f"{path}: capture path: expected .../<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl "
            "(SageMaker's data capture layout)"
        )
    return parts[-7], parts[-6]


def decode(payload: dict, field: str) -> str:
    """The text of endpointInput/endpointOutput: data is plain for CSV/JSON encodings, BASE64 otherwise."""
    data = payload.get("data")
    if not isinstance(data, str):
        raise InputError(f"{field}.data: {data!r}: must be a string")
    if payload.get("encoding", "CSV").upper() == "BASE64":
        try:
            return base64.b64decode(data).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as error:
            raise InputError(f"{field}.data: not valid BASE64 UTF-8 text: {error}") from error
    return data


def parse_prediction(text: str) -> float | None:
    """The single number a regression model answers with (text/csv), or None when it is not one."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    cell = first.split(",")[0].strip().strip("[]")
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_record(line: str, where: str, endpoint: str, variant: str) -> Capture:
    """One JSON line of a capture file; every problem names the file, line and field."""
    try:
        record = json.loads(line)
        data = record["captureData"]
        meta = record["eventMetadata"]
        input_payload, output_payload = data["endpointInput"], data["endpointOutput"]
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not JSON: {error.msg}") from error
    except (KeyError, TypeError) as error:
        raise InputError(
            f"{where}: missing field {error}: a capture record has captureData.endpointInput, "
            "captureData.endpointOutput and eventMetadata"
        ) from error
    return Capture(
        endpoint=endpoint,
        variant=variant,
        event_id=str(meta.get("eventId", "")),
        inference_id=meta.get("inferenceId") or None,
        inference_time=meta.get("inferenceTime"),
        input_data=decode(input_payload, f"{where}: captureData.endpointInput"),
        output_data=decode(output_payload, f"{where}: captureData.endpointOutput"),
        source=where,
    )


def load_captures(location: str) -> list[Capture]:
    """Every capture record under a folder or S3 prefix, in path then line order."""
    files = list_files(location, CAPTURE_SUFFIX)
    if not files:
        raise InputError(f"{location}: no {CAPTURE_SUFFIX} capture files found under it")
    captures = []
    for path in files:
        endpoint, variant = endpoint_and_variant(path)
        for number, line in enumerate(read_text(path).splitlines(), start=1):
            if line.strip():
                captures.append(parse_record(line, f"{path}:{number}", endpoint, variant))
    return captures


def by_variant(captures: list[Capture]) -> dict[str, list[Capture]]:
    grouped: dict[str, list[Capture]] = defaultdict(list)
    for capture in captures:
        grouped[capture.variant].append(capture)
    return dict(sorted(grouped.items()))


def load_truth(location: str) -> dict[str, float]:
    """Ground truth CSV with a header holding inference_id and label; one numeric label per id."""
    reader = csv.DictReader(io.StringIO(read_text(location)))
    missing = [name for name in ("inference_id", "label") if name not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            f"{location}: header: {reader.fieldnames}: ground truth needs the columns inference_id,label "
            f"(missing {', '.join(missing)})"
        )
    truth: dict[str, float] = {}
    for number, row in enumerate(reader, start=2):
        key, label = (row.get("inference_id") or "").strip(), (row.get("label") or "").strip()
        if not key:
            raise InputError(f"{location}:{number}: inference_id: empty: every row needs an id")
        try:
            value = float(label)
        except ValueError:
            raise InputError(f"{location}:{number}: label: {label!r}: must be a number") from None
        if not math.isfinite(value):  # float() takes "nan" and "inf": one would turn every mean into NaN
            raise InputError(f"{location}:{number}: label: {label!r}: must be a finite number")
        if key in truth:
            raise InputError(f"{location}:{number}: inference_id: {key!r}: appears twice: ids must be unique")
        truth[key] = value
    if not truth:
        raise InputError(f"{location}: no rows: ground truth is empty")
    return truth


def capture_window(captures: list[Capture]) -> tuple[str, str] | None:
    """Earliest and latest inferenceTime (ISO 8601 strings sort in time order)."""
    times = sorted(c.inference_time for c in captures if c.inference_time)
    return (times[0], times[-1]) if times else None


def pick_pair(variants: list[str], first: str | None, second: str | None, flags: tuple[str, str]) -> tuple[str, str]:
    """The two variants to compare: as named, or the other of exactly two when only one is named."""
    for name, flag in zip((first, second), flags):
        if name is not None and name not in variants:
            raise InputError(f"{flag}: {name!r}: no captures for that variant (found: {', '.join(variants)})")
    if first and second:
        if first == second:
            raise InputError(f"{flags[1]}: {second!r}: must differ from {flags[0]}")
        return first, second
    others = [v for v in variants if v not in (first, second)]
    if len(variants) != 2 or (first is None and second is None):
        raise InputError(
            f"{flags[0]}/{flags[1]}: not given: name the variants to compare (found: {', '.join(variants)}); "
            "with exactly two variants naming one is enough"
        )
    return (first, others[0]) if first else (others[0], second)
