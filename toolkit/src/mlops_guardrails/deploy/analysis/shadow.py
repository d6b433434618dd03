"""Shadow comparison: production and shadow answers to the same requests, joined by inferenceId (else eventId)."""
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from mlops_guardrails.deploy.analysis.captures import EVENT_ID, INFERENCE_ID, Capture, by_variant, pick_pair, predictions
from mlops_guardrails.deploy.analysis.metrics import VariantMetrics
from mlops_guardrails.deploy.analysis.report import Report, Table
from mlops_guardrails.deploy.analysis.stats import bin_shares, ks_two_sample, psi, quantile_edges

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
PSI_BINS = 10


@dataclass
class Thresholds:
    tolerance: float = 0.5        # |shadow - production| within this counts as agreement (label units)
    min_agreement: float = 0.9    # share of joined requests that must agree
    psi: float = 0.25             # PSI above 0.25 is the usual "significant shift"
    ks: float = 0.1               # KS statistic must also exceed this: with many requests tiny shifts are "significant"
    alpha: float = 0.05
    latency_ratio: float = 1.2    # shadow latency may be at most 20% above production
    min_joined: int = 30


@dataclass
class Side:
    name: str
    requests: int
    without_id: int
    unparseable: int
    predictions: dict[str, float]
    key_fields: dict[str, str] = field(default_factory=dict)  # the field each key came from
    metrics: VariantMetrics | None = None


@dataclass
class ShadowResult:
    production: Side
    shadow: Side
    joined: int
    production_only: int
    shadow_only: int
    deltas: np.ndarray
    psi: float | None
    psi_edges: list[float]
    ks_statistic: float | None
    ks_p_value: float | None
    thresholds: Thresholds
    verdict: str = INCONCLUSIVE
    joined_by: Counter = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)

    @property
    def mae(self) -> float | None:
        return float(np.abs(self.deltas).mean()) if len(self.deltas) else None

    @property
    def agreement(self) -> float | None:
        return float(np.mean(np.abs(self.deltas) <= self.thresholds.tolerance)) if len(self.deltas) else None


def side(name: str, captures: list[Capture]) -> Side:
    found: dict[str, float] = {}
    key_fields: dict[str, str] = {}
    without_id = unparseable = 0
    for capture, predicted in zip(captures, predictions(captures)):
        if capture.key is None:
            without_id += 1
        elif predicted is None:
            unparseable += 1
        elif capture.key not in found:
            found[capture.key] = predicted
            key_fields[capture.key] = capture.key_field
    return Side(name, len(captures), without_id, unparseable, found, key_fields)


def compare_shadow(
    captures: list[Capture],
    production: str | None = None,
    shadow: str | None = None,
    thresholds: Thresholds | None = None,
    metrics: dict[str, VariantMetrics] | None = None,
) -> ShadowResult:
    """Agreement, distribution shift, errors and latency of the shadow against production."""
    thresholds = thresholds or Thresholds()
    grouped = by_variant(captures)
    production, shadow = pick_pair(list(grouped), production, shadow, ("--production", "--shadow"))
    p, s = side(production, grouped[production]), side(shadow, grouped[shadow])
    if metrics:
        p.metrics, s.metrics = metrics.get(production), metrics.get(shadow)
    keys = sorted(set(p.predictions) & set(s.predictions))
    deltas = np.array([s.predictions[k] - p.predictions[k] for k in keys])
    result = ShadowResult(p, s, len(keys), len(set(p.predictions) - set(keys)), len(set(s.predictions) - set(keys)),
                          deltas, None, [], None, None, thresholds)
    result.joined_by = Counter(p.key_fields[k] for k in keys)
    result.reasons.append(f"joined: {result.joined_by[INFERENCE_ID]} by inferenceId, {result.joined_by[EVENT_ID]} by eventId "
                          "(SageMaker records inferenceId only when the caller sends one)")
    if len(keys) < thresholds.min_joined:
        result.reasons.append(f"only {len(keys)} requests joined (need {thresholds.min_joined}): no data is not evidence")
        return result
    a = np.array([p.predictions[k] for k in keys])
    b = np.array([s.predictions[k] for k in keys])
    edges = quantile_edges(a, PSI_BINS)
    result.psi_edges = [float(e) for e in edges]
    result.psi = psi(bin_shares(a, edges), bin_shares(b, edges))
    result.ks_statistic, result.ks_p_value = ks_two_sample(a, b)
    _decide(result)
    return result


def _decide(result: ShadowResult) -> None:
    t, p, s = result.thresholds, result.production, result.shadow
    checks = [
        (result.agreement >= t.min_agreement,
         f"{result.agreement:.1%} of joined requests agree within {t.tolerance} (need {t.min_agreement:.0%}); MAE between them {result.mae:.4g}"),
        (result.psi <= t.psi, f"PSI of the prediction distributions {result.psi:.4g} (limit {t.psi})"),
        (not (result.ks_p_value < t.alpha and result.ks_statistic > t.ks),
         f"two-sample KS statistic {result.ks_statistic:.4g}, p = {result.ks_p_value:.3g} (fails when p < {t.alpha} and statistic > {t.ks})"),
        (_error_rate(s) <= _error_rate(p),
         f"error rate {_error_rate(s):.2%} ({s.name}) vs {_error_rate(p):.2%} ({p.name})"),
    ]
    latency = _latency(p), _latency(s)
    if None not in latency:
        checks.append((latency[1] <= latency[0] * t.latency_ratio,
                       f"latency {latency[1]:.4g} ms ({s.name}) vs {latency[0]:.4g} ms ({p.name}), limit x{t.latency_ratio}"))
    else:
        result.reasons.append("latency: not compared (no CloudWatch ModelLatency; pass --cloudwatch)")
    result.reasons = [f"{'ok' if ok else 'FAIL'}: {text}" for ok, text in checks] + result.reasons
    result.verdict = PASS if all(ok for ok, _ in checks) else FAIL


def _error_rate(s: Side) -> float:
    """Unparseable outputs, plus CloudWatch's error counts when read, over requests."""
    errors = s.unparseable + (s.metrics.errors if s.metrics else 0)
    total = max(s.requests, s.metrics.counts.get("Invocations", 0) if s.metrics else 0)
    return errors / total if total else 0.0


def _latency(s: Side) -> float | None:
    if not s.metrics:
        return None
    return s.metrics.latency_ms.get("p99") or s.metrics.latency_ms.get("avg")


def build_report(result: ShadowResult) -> Report:
    p, s = result.production, result.shadow
    report = Report(f"Shadow comparison: {s.name} (shadow) vs {p.name} (production)", result.verdict, list(result.reasons))
    d = result.deltas
    report.tables.append(Table(
        "Agreement (shadow - production, per joined request)",
        ["joined", "MAE", "mean delta", "max |delta|", f"share within {result.thresholds.tolerance}", "PSI", "KS statistic", "KS p-value"],
        [[result.joined, result.mae, float(d.mean()) if len(d) else None, float(np.abs(d).max()) if len(d) else None,
          result.agreement, result.psi, result.ks_statistic, result.ks_p_value]],
        note=f"PSI bins: {PSI_BINS} bins at the deciles of the production predictions (outer bins open), empty bins floored at 1e-4.",
    ))
    report.tables.append(Table(
        "Per variant",
        ["variant", "role", "requests", "without any id", "unparseable outputs", "CloudWatch errors", "p50 ms", "p99 ms", "avg ms"],
        [_row(p, "production"), _row(s, "shadow")],
    ))
    report.tables.append(Table(
        "Join (inferenceId, else eventId)",
        ["joined", "by inferenceId", "by eventId", f"only in {p.name}", f"only in {s.name}", f"without id in {p.name}", f"without id in {s.name}"],
        [[result.joined, result.joined_by[INFERENCE_ID], result.joined_by[EVENT_ID], result.production_only, result.shadow_only,
          p.without_id, s.without_id]],
    ))
    return report


def _row(v: Side, role: str) -> list:
    latency = v.metrics.latency_ms if v.metrics else {}
    return [v.name, role, v.requests, v.without_id, v.unparseable, v.metrics.errors if v.metrics else None,
            latency.get("p50"), latency.get("p99"), latency.get("avg")]


def to_json(result: ShadowResult) -> dict:
    return {
        "verdict": result.verdict, "reasons": result.reasons, "production": result.production.name,
        "shadow": result.shadow.name, "joined": result.joined, "production_only": result.production_only,
        "shadow_only": result.shadow_only,
        "joined_by": {INFERENCE_ID: result.joined_by[INFERENCE_ID], EVENT_ID: result.joined_by[EVENT_ID]}, "mae": result.mae, "agreement": result.agreement, "psi": result.psi,
        "psi_edges": result.psi_edges, "ks_statistic": result.ks_statistic, "ks_p_value": result.ks_p_value,
        "thresholds": result.thresholds.__dict__,
    }
