"""Input drift: captured CSV inputs against a Model Monitor data-quality baseline (statistics + constraints)."""
import csv
import io
from dataclasses import dataclass, field

import numpy as np

from deploy.analysis.captures import Capture
from deploy.analysis.report import Report, Table
from deploy.json_input import parse_json_object
from deploy.analysis.stats import bucket_cdf, ks_against_cdf, psi
from deploy.errors import InputError

NUMERIC_TYPES = ("Integral", "Fractional")
PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
# Model Monitor's defaults when constraints.json leaves monitoring_config out.
DEFAULT_MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "datatype_check_threshold": 0.1,
    "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1},
}


@dataclass
class BaselineFeature:
    name: str
    inferred_type: str
    mean: float | None
    buckets: list[dict]
    completeness: float | None = None
    non_negative: bool = False


@dataclass
class FeatureDrift:
    feature: BaselineFeature
    rows: int
    present: int
    wrong_type: int
    negatives: int
    mean: float | None
    distance: float | None  # KS statistic against the baseline's KLL buckets
    psi: float | None       # PSI over the baseline's bucket edges


@dataclass
class DriftResult:
    features: list[FeatureDrift]
    rows: int
    short_rows: int
    long_rows: int
    comparison_threshold: float | None
    violations: list[dict] = field(default_factory=list)
    verdict: str = PASS


def parse_json(text: str, where: str) -> dict:
    value = parse_json_object(text, where, "Model Monitor statistics or constraints")
    if not isinstance(value.get("features"), list):
        raise InputError(f"{where}: features: missing or not a list: Model Monitor's statistics/constraints files hold a features list")
    return value


def load_baseline(statistics: dict, constraints: dict | None) -> list[BaselineFeature]:
    """Baseline features in file order (the order of the captured CSV columns)."""
    features = []
    for index, item in enumerate(statistics["features"]):
        if "name" not in item or "inferred_type" not in item:
            raise InputError(f"statistics.features[{index}]: needs name and inferred_type")
        numbers = item.get("numerical_statistics") or {}
        buckets = ((numbers.get("distribution") or {}).get("kll") or {}).get("buckets") or []
        features.append(BaselineFeature(item["name"], item["inferred_type"], numbers.get("mean"), buckets))
    by_name = {f.name: f for f in features}
    for index, item in enumerate((constraints or {}).get("features", [])):
        feature = by_name.get(item.get("name"))
        if feature is None:
            raise InputError(f"constraints.features[{index}].name: {item.get('name')!r}: not a feature of the statistics file")
        feature.completeness = item.get("completeness")
        feature.non_negative = bool((item.get("num_constraints") or {}).get("is_non_negative", False))
    return features


def monitoring_config(constraints: dict | None) -> dict:
    config = dict(DEFAULT_MONITORING_CONFIG)
    config.update((constraints or {}).get("monitoring_config") or {})
    return config


def input_rows(captures: list[Capture]) -> list[list[str]]:
    """Every CSV row of every captured request (a request may carry several rows)."""
    rows = []
    for capture in captures:
        rows += [row for row in csv.reader(io.StringIO(capture.input_data)) if row]
    return rows


def _value(cell: str, inferred_type: str) -> tuple[float | None, bool]:
    """(number or None, conforms to the baseline type)."""
    try:
        number = float(cell)
    except ValueError:
        return None, inferred_type not in NUMERIC_TYPES
    if inferred_type == "Integral":
        return number, number.is_integer()
    return number, inferred_type in NUMERIC_TYPES


def feature_drift(feature: BaselineFeature, cells: list[str], rows: int) -> FeatureDrift:
    present = [c.strip() for c in cells if c.strip() != ""]
    parsed = [_value(c, feature.inferred_type) for c in present]
    numbers = np.array([n for n, _ in parsed if n is not None])
    distance = share_psi = None
    if feature.buckets and len(numbers):
        lower = np.array([b["lower_bound"] for b in feature.buckets], float)
        upper = np.array([b["upper_bound"] for b in feature.buckets], float)
        counts = np.array([b["count"] for b in feature.buckets], float)
        if counts.sum() > 0:
            distance = ks_against_cdf(numbers, bucket_cdf(lower, upper, counts))
            # Bucket edges as bins; values outside the baseline's range fall into the outer buckets.
            index = np.clip(np.searchsorted(upper, numbers, side="left"), 0, len(upper) - 1)
            share_psi = psi(counts / counts.sum(), np.bincount(index, minlength=len(upper)) / len(numbers))
    return FeatureDrift(
        feature, rows, len(present), sum(not ok for _, ok in parsed), int((numbers < 0).sum()),
        float(numbers.mean()) if len(numbers) else None, distance, share_psi,
    )


def analyze_drift(captures: list[Capture], statistics: dict, constraints: dict | None) -> DriftResult:
    """Per-feature distance and Model Monitor-style constraint violations."""
    features = load_baseline(statistics, constraints)
    config = monitoring_config(constraints)
    rows = input_rows(captures)
    width = len(features)
    columns = [[row[i] if i < len(row) else "" for row in rows] for i in range(width)]
    comparison = config.get("distribution_constraints") or {}
    threshold = float(comparison.get("comparison_threshold", 0.1)) if comparison.get("perform_comparison", "Enabled") == "Enabled" else None
    result = DriftResult([feature_drift(f, columns[i], len(rows)) for i, f in enumerate(features)], len(rows),
                         sum(len(r) < width for r in rows), sum(len(r) > width for r in rows), threshold)
    if not rows:
        result.verdict = INCONCLUSIVE
        return result
    result.violations = _column_violations(result, width) + [
        v for drift in result.features for v in _feature_violations(drift, config, threshold)
    ]
    result.verdict = FAIL if result.violations else PASS
    return result


def _violation(name: str, check: str, description: str) -> dict:
    return {"feature_name": name, "constraint_check_type": check, "description": description}


def _column_violations(result: DriftResult, width: int) -> list[dict]:
    found = []
    if result.short_rows:
        found.append(_violation("", "missing_column_check", f"{result.short_rows} of {result.rows} rows have fewer than the baseline's {width} columns"))
    if result.long_rows:
        found.append(_violation("", "extra_column_check", f"{result.long_rows} of {result.rows} rows have more than the baseline's {width} columns"))
    return found


def _feature_violations(drift: FeatureDrift, config: dict, threshold: float | None) -> list[dict]:
    f, found = drift.feature, []
    completeness = drift.present / drift.rows if drift.rows else 0.0
    if f.completeness is not None and completeness < f.completeness:
        found.append(_violation(f.name, "completeness_check",
                                f"completeness {completeness:.2%} is below the baseline constraint {f.completeness:.2%}"))
    wrong_share = drift.wrong_type / drift.present if drift.present else 0.0
    if wrong_share > float(config.get("datatype_check_threshold", 0.1)):
        found.append(_violation(f.name, "data_type_check",
                                f"{wrong_share:.2%} of values are not {f.inferred_type} (allowed: datatype_check_threshold "
                                f"{config.get('datatype_check_threshold')})"))
    if f.non_negative and drift.negatives:
        # Model Monitor's documented check types name none for is_non_negative; this one is ours.
        found.append(_violation(f.name, "non_negative_check",
                                f"{drift.negatives} negative values; the baseline constraint is_non_negative is true"))
    if threshold is not None and drift.distance is not None and drift.distance > threshold:
        found.append(_violation(f.name, "baseline_drift_check",
                                f"distance {drift.distance:.4g} from the baseline distribution exceeds comparison_threshold {threshold}"))
    return found


def build_report(result: DriftResult) -> Report:
    reasons = [f"{v['constraint_check_type']}: {v['feature_name'] or '(row)'}: {v['description']}" for v in result.violations]
    if result.verdict == INCONCLUSIVE:
        reasons.append("no captured input rows: no data is not evidence")
    report = Report("Input drift against the data-quality baseline", result.verdict, reasons)
    report.tables.append(Table(
        f"Per feature ({result.rows} captured rows)",
        ["feature", "type", "present", "completeness", "baseline mean", "captured mean", "KS distance", "PSI", "negatives", "wrong type"],
        [[d.feature.name, d.feature.inferred_type, d.present, d.present / d.rows if d.rows else None, d.feature.mean, d.mean,
          d.distance, d.psi, d.negatives, d.wrong_type] for d in result.features],
        note="KS distance: sup |F_captured - F_baseline|, the baseline CDF taken from its KLL buckets (uniform inside "
             f"each bucket); drift when above comparison_threshold ({result.comparison_threshold}). PSI uses the same buckets.",
    ))
    return report


def to_violations(result: DriftResult) -> dict:
    """Model Monitor's constraint_violations.json shape."""
    return {"violations": result.violations}
