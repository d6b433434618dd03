"""The stage test: invoke the endpoint with sample rows; numeric answers, per-variant share and a latency budget."""
import math
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.json_input import read_text
from mlops_guardrails.deploy.stage_config import stage_test_settings, variant_weight

NOT_A_NUMBER = "request {index}: answer {body!r}: not a number"
INVOKE_FAILED = "request {index}: {error}"
OVER_BUDGET = "{measure} p95 {p95:.1f} ms: over the budget of {budget} ms (StageTest.LatencyBudgetMs)"
# Rehearsal-only reply header of the offline endpoint host: the request's ModelLatency (microseconds), the
# value its alarms judge. SageMaker sends no such header; without it the budget judges the round trip.
MODEL_LATENCY_HEADER = "X-Rehearsal-Model-Latency-Us"
MODEL_LATENCY, ROUND_TRIP = "ModelLatency", "round trip"
SHARE_OFF = (
    "variant {variant}: served {observed:.1%} of requests, configured {expected:.1%}: "
    "off by more than {tolerance:.0%} (StageTest.VariantShareTolerance)"
)
UNKNOWN_VARIANT = "variant {variant}: answered {count} request(s) but is not a production variant of the config"
NO_ROWS = "{path}: no rows to send"


@dataclass
class Invocation:
    """One request: which row, the answer, which variant answered, how long it took, or the error."""

    row: str
    body: str = ""
    variant: str | None = None
    seconds: float = 0.0
    error: str | None = None
    model_seconds: float | None = None  # the model's own latency, when the endpoint reports it


@dataclass
class StageTestReport:
    endpoint: str
    requests: int
    passed: bool
    problems: list[str]
    latency_ms: dict
    variants: dict
    settings: dict
    answers: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def load_rows(path: Path) -> list[str]:
    text = read_text(path, "--rows").removeprefix("\ufeff")  # a spreadsheet's byte order mark is not data
    rows = [line.strip() for line in text.splitlines() if line.strip()]
    if not rows:
        raise InputError(NO_ROWS.format(path=path))
    return rows


def invoke_all(runtime, endpoint: str, rows: list[str], requests: int, clock=time.perf_counter,
               concurrency: int = 1) -> list[Invocation]:
    """`requests` invocations, cycling through `rows`, `concurrency` at a time; errors are recorded, never
    raised. Each request is timed on its own, so concurrency shortens the wait, not what is measured.

    Each request carries an InferenceId `stage-test-<run>-<n>`, so data capture shows which records came
    from the stage test.
    """
    run = uuid.uuid4().hex[:12]

    def invoke(index: int) -> Invocation:
        call = Invocation(row=rows[index % len(rows)])
        start = clock()
        try:
            answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Accept="text/csv",
                                             Body=call.row.encode(), InferenceId=f"stage-test-{run}-{index}")
            call.body = answer["Body"].read().decode(errors="replace").strip()
            call.variant = answer.get("InvokedProductionVariant")
            call.model_seconds = reported_model_seconds(answer)
        except runtime.exceptions.ClientError as error:
            call.error = str(error)
        call.seconds = clock() - start
        return call

    if concurrency <= 1:
        return [invoke(index) for index in range(requests)]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:  # boto3 clients are thread-safe
        return list(pool.map(invoke, range(requests)))


def reported_model_seconds(answer: dict) -> float | None:
    """The rehearsal host's ModelLatency header, in seconds; None from SageMaker (it sends none)."""
    value = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(MODEL_LATENCY_HEADER.lower())
    try:
        return float(value) / 1e6 if value is not None else None
    except ValueError:
        return None


def is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def answer_problems(calls: list[Invocation]) -> list[str]:
    problems = []
    for index, call in enumerate(calls):
        if call.error:
            problems.append(INVOKE_FAILED.format(index=index, error=call.error))
        elif not is_number(call.body):
            problems.append(NOT_A_NUMBER.format(index=index, body=call.body[:80]))
    return problems


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency_summary(calls: list[Invocation], budget_ms: float) -> dict:
    """Percentiles of what the budget judges: the model's own latency when every answer reported it (the
    offline host; a busy test machine then cannot fail a healthy model), else the round trip as measured
    here. The round trip is reported either way."""
    round_trip = [call.seconds * 1000 for call in calls]
    reported = [call.model_seconds for call in calls if not call.error]
    judged, measure = round_trip, ROUND_TRIP
    if reported and None not in reported:
        judged, measure = [seconds * 1000 for seconds in reported], MODEL_LATENCY
    return {"measure": measure, "p50": percentile(judged, 0.5), "p95": percentile(judged, 0.95), "max": max(judged),
            "budget": budget_ms, "round_trip_p95": percentile(round_trip, 0.95)}


def variant_summary(calls: list[Invocation], config: dict) -> dict:
    """Per variant: requests answered, observed share, configured share (shadow variants never answer)."""
    counts = Counter(call.variant or "(not reported)" for call in calls if not call.error)
    total_weight = sum(variant_weight(v) for v in config["ProductionVariants"])
    answered = sum(counts.values()) or 1
    summary = {v["VariantName"]: {"count": counts.pop(v["VariantName"], 0),
                                  "expected_share": variant_weight(v) / total_weight}
               for v in config["ProductionVariants"]}
    summary.update({name: {"count": count, "expected_share": None} for name, count in counts.items()})
    for entry in summary.values():
        entry["observed_share"] = entry["count"] / answered
    return summary


def share_problems(summary: dict, tolerance: float, several_variants: bool) -> list[str]:
    problems = []
    for name, entry in summary.items():
        if entry["expected_share"] is None:
            if several_variants:
                problems.append(UNKNOWN_VARIANT.format(variant=name, count=entry["count"]))
        elif several_variants and abs(entry["observed_share"] - entry["expected_share"]) > tolerance:
            problems.append(SHARE_OFF.format(variant=name, observed=entry["observed_share"],
                                             expected=entry["expected_share"], tolerance=tolerance))
    return problems


def run_stage_test(runtime, endpoint: str, config: dict, rows: list[str], clock=time.perf_counter,
                   concurrency: int = 1) -> StageTestReport:
    """Invoke, then check answers, variant shares (A/B configs: several production variants) and latency."""
    settings = stage_test_settings(config)
    calls = invoke_all(runtime, endpoint, rows, settings["Requests"], clock, concurrency)
    latency = latency_summary(calls, settings["LatencyBudgetMs"])
    variants = variant_summary(calls, config)
    problems = answer_problems(calls)
    problems += share_problems(variants, settings["VariantShareTolerance"], len(config["ProductionVariants"]) > 1)
    if latency["p95"] > settings["LatencyBudgetMs"]:
        problems.append(OVER_BUDGET.format(measure=latency["measure"], p95=latency["p95"],
                                           budget=settings["LatencyBudgetMs"]))
    return StageTestReport(endpoint=endpoint, requests=len(calls), passed=not problems, problems=problems,
                           latency_ms=latency, variants=variants, settings=settings,
                           answers=[call.body for call in calls])
