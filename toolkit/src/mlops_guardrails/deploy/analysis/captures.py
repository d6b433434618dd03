"""Read SageMaker data capture (JSON lines); the variant of a record comes from its path.

A record's shape follows the developer guide's data capture pages and AWS's own samples
(aws/sagemaker-python-sdk tests/data/monitor/capture.jsonl; the sm-model_monitor_introduction notebook in
aws/amazon-sagemaker-examples): {"captureData": {"endpointInput": {...}, "endpointOutput": {...}},
"eventMetadata": {"eventId", "inferenceId" (only when the caller sent one), "inferenceTime"},
"eventVersion": "0"}. Either payload is absent when CaptureOptions leaves it out. Bodies are read into rows
by mlops_guardrails.deploy.analysis.payloads.
"""
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass

from mlops_guardrails.deploy.analysis import payloads
from mlops_guardrails.deploy.analysis.sources import list_files, read_text
from mlops_guardrails.errors import InputError

# .../<endpoint>/<variant>/yyyy/mm/dd/hh/<name>.jsonl, as SageMaker writes captures (docs/contracts.md); the
# file name itself (SageMaker's mm-ss-mmm-<uuid>.jsonl or any other) is not read.
HOUR_PARTS = (re.compile(r"\d{4}"), re.compile(r"\d{2}"), re.compile(r"\d{2}"), re.compile(r"\d{2}"))
CAPTURE_SUFFIX = ".jsonl"
MAX_LISTED_PROBLEMS = 20
INFERENCE_ID, EVENT_ID = "inferenceId", "eventId"


@dataclass(frozen=True)
class Capture:
    """One captured request/response pair; input or output is None when it was not captured."""

    endpoint: str
    variant: str
    event_id: str
    inference_id: str | None
    inference_time: str | None
    input: dict | None
    output: dict | None
    source: str

    @property
    def key(self) -> str | None:
        """The join key, as Model Monitor merges ground truth: inferenceId when the caller sent one, else eventId."""
        return self.inference_id or self.event_id or None

    @property
    def key_field(self) -> str:
        return INFERENCE_ID if self.inference_id else EVENT_ID

    def rows(self, part: str) -> list[list[str]]:
        """The rows of 'input' or 'output'; [] when that side was not captured; PayloadError when unreadable."""
        payload = self.input if part == "input" else self.output
        return payloads.rows(payload) if payload is not None else []


@dataclass(frozen=True)
class Problem:
    """Why one record (or one of its payloads) could not be read: where, its content type, the rule."""

    source: str
    message: str
    content_type: str | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def refuse(problems: list[Problem], what: str) -> None:
    """Raise one InputError listing every unreadable record (the first MAX_LISTED_PROBLEMS of them)."""
    if not problems:
        return
    listed = [f"  {p}" for p in problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        listed.append(f"  ... and {len(problems) - MAX_LISTED_PROBLEMS} more")
    raise InputError(f"{len(problems)} {what} could not be read:\n" + "\n".join(listed))


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


def number(text: str) -> float | None:
    """A finite number from one cell, or None."""
    try:
        value = float(text.strip().strip("[]"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def prediction(capture: Capture) -> float | None:
    """The first number the model answered with, or None when its answer is not a number.

    PayloadError when the output cannot be read at all (unknown content type, broken JSON or BASE64)."""
    output = capture.rows("output")
    return number(output[0][0]) if output and output[0] else None


def predictions(captures: list[Capture]) -> list[float | None]:
    """prediction() of each capture; every unreadable output is listed in one InputError."""
    found, problems = [], []
    for capture in captures:
        try:
            found.append(prediction(capture))
        except payloads.PayloadError as error:
            problems.append(payload_problem(capture, "output", error))
    refuse(problems, "captured outputs")
    return found


def payload_problem(capture: Capture, part: str, error: payloads.PayloadError) -> Problem:
    payload = capture.input if part == "input" else capture.output
    field = "endpointInput" if part == "input" else "endpointOutput"
    return Problem(capture.source, f"captureData.{field}.{error}", (payload or {}).get("observedContentType"))


def parse_record(line: str, where: str, endpoint: str, variant: str) -> Capture:
    """One JSON line of a capture file; InputError naming the file, line and field."""
    try:
        record = json.loads(line)
    except ValueError as error:
        raise InputError(f"{where}: not JSON (a truncated or corrupt line): {error}") from error
    data = record.get("captureData") if isinstance(record, dict) else None
    meta = record.get("eventMetadata") if isinstance(record, dict) else None
    if not isinstance(data, dict) or not isinstance(meta, dict):
        raise InputError(f"{where}: missing field 'captureData' or 'eventMetadata': a capture record has both")
    sides = {name: data.get(field) for name, field in (("input", "endpointInput"), ("output", "endpointOutput"))}
    if not any(isinstance(side, dict) for side in sides.values()):
        raise InputError(f"{where}: captureData: holds neither endpointInput nor endpointOutput")
    return Capture(
        endpoint=endpoint,
        variant=variant,
        event_id=str(meta.get(EVENT_ID) or ""),
        inference_id=meta.get(INFERENCE_ID) or None,
        inference_time=meta.get("inferenceTime"),
        input=sides["input"] if isinstance(sides["input"], dict) else None,
        output=sides["output"] if isinstance(sides["output"], dict) else None,
        source=where,
    )


def load_captures(location: str) -> list[Capture]:
    """Every capture record under a folder or S3 prefix, in path then line order.

    Every unreadable line of every file is listed (file key and line) in one InputError."""
    files = list_files(location, CAPTURE_SUFFIX)
    if not files:
        raise InputError(f"{location}: no {CAPTURE_SUFFIX} capture files found under it")
    captures, problems = [], []
    for path in files:
        endpoint, variant = endpoint_and_variant(path)
        for number_, line in enumerate(read_text(path).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                captures.append(parse_record(line, f"{path}:{number_}", endpoint, variant))
            except InputError as error:
                where = f"{path}:{number_}: "
                problems.append(Problem(f"{path}:{number_}", str(error).removeprefix(where)))
    refuse(problems, "capture records")
    if not captures:  # else the first check to notice would blame --control or --production for the empty data
        raise InputError(f"{location}: {len(files)} {CAPTURE_SUFFIX} capture file(s) but no capture record in them: "
                         "nothing to analyze (is data capture on, and has the endpoint been called?)")
    return captures


def by_variant(captures: list[Capture]) -> dict[str, list[Capture]]:
    grouped: dict[str, list[Capture]] = defaultdict(list)
    for capture in captures:
        grouped[capture.variant].append(capture)
    return dict(sorted(grouped.items()))


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
