"""A/B analysis: per-variant quality against ground truth, the difference with its CI, and a verdict."""
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from mlops_guardrails.deploy.analysis.captures import EVENT_ID, INFERENCE_ID, Capture, by_variant, pick_pair, predictions
from mlops_guardrails.deploy.analysis.metrics import VariantMetrics
from mlops_guardrails.deploy.analysis.report import Report, Table
from mlops_guardrails.deploy.analysis.stats import MeanDifference, sample_size_per_group, welch

PROMOTE, KEEP, INCONCLUSIVE = "promote", "keep", "inconclusive"
MIN_FOR_CLT = 30  # below this per variant the t-test's normal approximation is shaky: say so


@dataclass
class VariantQuality:
    name: str
    requests: int
    without_id: int
    duplicates: int
    unparseable: int
    without_truth: int
    squared_errors: np.ndarray
    absolute_errors: np.ndarray
    joined_by: Counter = field(default_factory=Counter)  # joined records per key field (inferenceId, eventId)
    metrics: VariantMetrics | None = None

    @property
    def joined(self) -> int:
        return len(self.squared_errors)

    @property
    def mse(self) -> float | None:
        return float(self.squared_errors.mean()) if self.joined else None

    @property
    def mae(self) -> float | None:
        return float(self.absolute_errors.mean()) if self.joined else None


@dataclass
class AbResult:
    control: VariantQuality
    challenger: VariantQuality
    truth_without_capture: int
    alpha: float
    power: float
    mse_difference: MeanDifference | None
    mae_difference: MeanDifference | None
    verdict: str
    reasons: list[str] = field(default_factory=list)
    required_per_variant: int | None = None


def variant_quality(name: str, captures: list[Capture], truth: dict[str, float]) -> VariantQuality:
    """Join one variant's captures to ground truth as Model Monitor merges them (inferenceId, else eventId)."""
    seen: set[str] = set()
    without_id = duplicates = unparseable = without_truth = 0
    joined_by: Counter = Counter()
    errors = []
    for capture, predicted in zip(captures, predictions(captures)):
        key = capture.key
        if key is None:
            without_id += 1
            continue
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        if predicted is None:
            unparseable += 1
        elif key not in truth:
            without_truth += 1
        else:
            joined_by[capture.key_field] += 1
            errors.append(predicted - truth[key])
    e = np.asarray(errors, float)
    return VariantQuality(name, len(captures), without_id, duplicates, unparseable, without_truth, e**2, np.abs(e), joined_by)


def analyze_ab(
    captures: list[Capture],
    truth: dict[str, float],
    control: str | None = None,
    challenger: str | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    metrics: dict[str, VariantMetrics] | None = None,
) -> AbResult:
    """Compare challenger to control on per-request squared error; promote, keep or inconclusive."""
    grouped = by_variant(captures)
    control, challenger = pick_pair(list(grouped), control, challenger, ("--control", "--challenger"))
    a, b = (variant_quality(v, grouped[v], truth) for v in (control, challenger))
    if metrics:
        a.metrics, b.metrics = metrics.get(control), metrics.get(challenger)
    captured_ids = {c.key for c in captures if c.key}
    result = AbResult(a, b, len(set(truth) - captured_ids), alpha, power, None, None, INCONCLUSIVE)
    result.reasons.append("joined to ground truth (inferenceId when the caller sent one, else eventId): " + "; ".join(
        f"{v.name} {v.joined_by[INFERENCE_ID]} by inferenceId, {v.joined_by[EVENT_ID]} by eventId" for v in (a, b)))
    if min(a.joined, b.joined) < 2:
        result.reasons.append(
            f"not enough requests joined to ground truth ({control}: {a.joined}, {challenger}: {b.joined}; "
            "need at least 2 each): no data is not evidence"
        )
        return result
    # Welch's t-test on per-request squared errors: A/B traffic splits requests at random, so the two
    # samples are independent (no request is seen by both variants, so no pairing); their variances
    # differ, hence Welch rather than Student; and MSE is the mean of squared errors, so comparing the
    # means of those samples compares MSE directly. The CLT makes the mean's t-statistic usable for the
    # request counts an A/B test gathers, even though squared errors are skewed.
    result.mse_difference = welch(a.squared_errors, b.squared_errors, alpha)
    result.mae_difference = welch(a.absolute_errors, b.absolute_errors, alpha)
    _decide(result)
    return result


def _decide(result: AbResult) -> None:
    a, b, d = result.control, result.challenger, result.mse_difference
    change = f"MSE {b.name} - {a.name} = {d.difference:.4g} ({d.confidence:.0%} CI {d.ci_low:.4g} to {d.ci_high:.4g}, p = {d.p_value:.3g})"
    if d.p_value < result.alpha:
        result.verdict = PROMOTE if d.difference < 0 else KEEP
        better = b.name if d.difference < 0 else a.name
        result.reasons.append(f"{change}: significant at alpha {result.alpha}; {better} has the lower error")
    else:
        result.reasons.append(f"{change}: not significant at alpha {result.alpha}")
        sd_a, sd_b = np.std(a.squared_errors, ddof=1), np.std(b.squared_errors, ddof=1)
        result.required_per_variant = sample_size_per_group(sd_a, sd_b, d.difference, result.alpha, result.power)
        if result.required_per_variant is None and d.difference != 0:
            result.reasons.append(f"the MSE difference is undefined ({d.difference}): no sample size can be computed")
        elif result.required_per_variant is None:
            result.reasons.append("the observed difference is zero: no sample size can detect it")
        else:
            result.reasons.append(
                f"to detect a difference of {abs(d.difference):.4g} with power {result.power} at alpha "
                f"{result.alpha}, collect about {result.required_per_variant} joined requests per variant "
                f"(now {a.joined} and {b.joined})"
            )
    if min(a.joined, b.joined) < MIN_FOR_CLT:
        result.reasons.append(f"fewer than {MIN_FOR_CLT} joined requests in a variant: treat the p-value with care")


def build_report(result: AbResult) -> Report:
    a, b = result.control, result.challenger
    report = Report(f"A/B analysis: {b.name} (challenger) vs {a.name} (control)", result.verdict, list(result.reasons))
    report.tables.append(Table(
        "Per variant",
        ["variant", "role", "requests", "joined", "MSE", "MAE", "unparseable outputs", "p50 ms", "p90 ms", "p99 ms", "avg ms", "CloudWatch errors"],
        [_variant_row(v, role) for v, role in ((a, "control"), (b, "challenger"))],
        note="" if a.metrics or b.metrics else "Latency: unavailable (pass --cloudwatch to read ModelLatency from CloudWatch).",
    ))
    if result.mse_difference:
        report.tables.append(Table(
            f"Difference ({b.name} - {a.name}), Welch's t-test",
            ["metric", "difference", "CI low", "CI high", "t", "df", "p-value"],
            [[name, d.difference, d.ci_low, d.ci_high, d.t, d.df, d.p_value]
             for name, d in (("MSE", result.mse_difference), ("MAE", result.mae_difference))],
            note=f"{result.mse_difference.confidence:.0%} confidence intervals; the verdict uses MSE.",
        ))
    report.tables.append(Table(
        "Join with ground truth",
        ["what", a.name, b.name],
        [
            ["joined by inferenceId", a.joined_by[INFERENCE_ID], b.joined_by[INFERENCE_ID]],
            ["joined by eventId (no inferenceId sent)", a.joined_by[EVENT_ID], b.joined_by[EVENT_ID]],
            ["captures without inferenceId or eventId", a.without_id, b.without_id],
            ["duplicate ids (later ones ignored)", a.duplicates, b.duplicates],
            ["captures whose output is not a number", a.unparseable, b.unparseable],
            ["captures without ground truth", a.without_truth, b.without_truth],
            ["ground truth rows without a capture (both variants)", result.truth_without_capture, ""],
        ],
    ))
    return report


def _variant_row(v: VariantQuality, role: str) -> list:
    latency = v.metrics.latency_ms if v.metrics else {}
    return [v.name, role, v.requests, v.joined, v.mse, v.mae, v.unparseable,
            latency.get("p50"), latency.get("p90"), latency.get("p99"), latency.get("avg"),
            v.metrics.errors if v.metrics else None]


def to_json(result: AbResult) -> dict:
    def side(v: VariantQuality) -> dict:
        return {"variant": v.name, "requests": v.requests, "joined": v.joined, "mse": v.mse, "mae": v.mae,
                "joined_by": {INFERENCE_ID: v.joined_by[INFERENCE_ID], EVENT_ID: v.joined_by[EVENT_ID]},
                "without_id": v.without_id, "duplicates": v.duplicates, "unparseable": v.unparseable,
                "without_truth": v.without_truth,
                "latency_ms": v.metrics.latency_ms if v.metrics else None,
                "cloudwatch": v.metrics.counts if v.metrics else None}
    d = result.mse_difference
    return {
        "verdict": result.verdict, "reasons": result.reasons, "control": side(result.control),
        "challenger": side(result.challenger), "truth_without_capture": result.truth_without_capture,
        "mse_difference": d.__dict__ if d else None,
        "mae_difference": result.mae_difference.__dict__ if result.mae_difference else None,
        "required_per_variant": result.required_per_variant, "alpha": result.alpha, "power": result.power,
    }
