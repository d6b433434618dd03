"""Data quality against a Model Monitor baseline (statistics.json + constraints.json), as the real job checks it.

The rows compared are the ones Model Monitor's data-quality job builds from CSV captures: the endpoint's
output columns, then its input columns, matched by position to the baseline's features (so the baseline
is the training data with the label first). Evidence: the developer guide's preprocessing example builds
each record as output_data + "," + input_data; and in aws/amazon-sagemaker-examples'
sm-model_monitor_introduction notebook, a baseline of the training CSV (label "Churn" first) monitored on
captures of input-only rows reports "Churn: data_type_check ... Only 0.0% of data is Integral": the
captured probability landed in the label's column.

Violations use the names and shape of constraint_violations.json (developer guide, "Schema for Violations"):
data_type_check, completeness_check, baseline_drift_check, missing_column_check, extra_column_check,
categorical_values_check. Thresholds and switches come from constraints.json's monitoring_config
("Schema for Constraints"): a check fails when the share of values of the baseline's type is below
datatype_check_threshold (the notebook's "Expected match: 100.0%" for a threshold of 1.0), the share of
known categorical values below domain_content_threshold, completeness below the feature's completeness, or
the distance from the baseline distribution above distribution_constraints.comparison_threshold.
"""
from dataclasses import dataclass, field

import numpy as np

from mlops_guardrails.deploy.analysis import payloads
from mlops_guardrails.deploy.analysis.captures import Capture, payload_problem, refuse
from mlops_guardrails.deploy.analysis.report import Report, Table
from mlops_guardrails.deploy.analysis.stats import bucket_cdf, ks_against_cdf, psi
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.json_input import parse_json_object

NUMERIC_TYPES = ("Integral", "Fractional")
PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
# Model Monitor's defaults when constraints.json leaves monitoring_config out ("Schema for Constraints").
DEFAULT_MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "datatype_check_threshold": 0.1,
    "domain_content_threshold": 0.1,
    "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1},
}


@dataclass
class BaselineFeature:
    name: str
    inferred_type: str
    mean: float | None
    buckets: list[dict]
    sketch: tuple[np.ndarray, np.ndarray] | None = None  # KLL items and their weights (2 ** level)
    completeness: float | None = None
    non_negative: bool = False
    domains: list[str] | None = None


@dataclass
class Baseline:
    features: list[BaselineFeature]
    unknown_constraints: list[str]  # names constraints.json gives that the statistics lack
    notes: list[str]


@dataclass
class FeatureDrift:
    feature: BaselineFeature
    rows: int
    present: int
    wrong_type: int
    unknown_values: int
    negatives: int
    mean: float | None
    distance: float | None  # KS statistic against the baseline distribution (its KLL sketch, else its buckets)
    psi: float | None       # PSI over the baseline's bucket edges


@dataclass
class DriftResult:
    features: list[FeatureDrift]
    rows: int
    columns: int
    comparison_threshold: float | None
    violations: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdict: str = PASS


def parse_json(text: str, where: str) -> dict:
    value = parse_json_object(text, where, "Model Monitor statistics or constraints")
    if not isinstance(value.get("features"), list):
        raise InputError(f"{where}: features: missing or not a list: Model Monitor's statistics/constraints files hold a features list")
    return value


def kll_sketch(name: str, numbers: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """The sketch's items with their weights: level h of kll.sketch.data weighs 2 ** h (Deequ's KLL, which the
    analyzer serialises: awslabs/deequ KLLSketch.scala, QuantileNonSample.scala). None when absent; InputError
    when the weights do not add up to num_present (then it is not a KLL sketch of this feature)."""
    levels = (((numbers.get("distribution") or {}).get("kll") or {}).get("sketch") or {}).get("data")
    if not isinstance(levels, list) or not levels:
        return None
    try:
        items = np.concatenate([np.asarray(level, float) for level in levels])
        weights = np.concatenate([np.full(len(level), 2.0 ** h) for h, level in enumerate(levels)])
    except (TypeError, ValueError):
        raise InputError(f"statistics: {name}: kll.sketch.data: must be a list of lists of numbers") from None
    present = (numbers.get("common") or {}).get("num_present")
    if not len(items) or (present is not None and weights.sum() != present):
        raise InputError(f"statistics: {name}: kll.sketch.data: its levels stand for {weights.sum():g} values, "
                         f"num_present is {present}: not a KLL sketch of this feature")
    return items, weights


def load_baseline(statistics: dict, constraints: dict | None) -> Baseline:
    """Baseline features in file order (the order of the captured columns), the names constraints.json gives
    that the statistics lack, and notes on sketches that could not be used (their buckets are, instead)."""
    features, notes = [], []
    for index, item in enumerate(statistics["features"]):
        if not isinstance(item, dict) or "name" not in item or "inferred_type" not in item:
            raise InputError(f"statistics.features[{index}]: needs name and inferred_type")
        numbers = item.get("numerical_statistics") or {}
        buckets = ((numbers.get("distribution") or {}).get("kll") or {}).get("buckets") or []
        try:
            sketch = kll_sketch(item["name"], numbers)
        except InputError as error:
            sketch = None
            notes.append(f"{error}; its buckets are used instead")
        features.append(BaselineFeature(item["name"], item["inferred_type"], numbers.get("mean"), buckets, sketch))
    by_name = {f.name: f for f in features}
    unknown = []
    for item in (constraints or {}).get("features", []):
        feature = by_name.get(item.get("name")) if isinstance(item, dict) else None
        if feature is None:
            unknown.append(str(item.get("name") if isinstance(item, dict) else item))
            continue
        feature.inferred_type = item.get("inferred_type", feature.inferred_type)
        feature.completeness = item.get("completeness")
        feature.non_negative = bool((item.get("num_constraints") or {}).get("is_non_negative", False))
        feature.domains = (item.get("string_constraints") or {}).get("domains")
    return Baseline(features, unknown, notes)


def monitoring_config(constraints: dict | None) -> dict:
    config = dict(DEFAULT_MONITORING_CONFIG)
    config.update((constraints or {}).get("monitoring_config") or {})
    return config


def dataset_rows(captures: list[Capture]) -> list[list[str]]:
    """The rows the data-quality job builds: each output row followed by its input row (see the module docstring).

    Every capture whose input or output cannot be read as rows is listed in one InputError."""
    rows, problems = [], []
    for capture in captures:
        sides = {}
        for part in ("output", "input"):
            try:
                sides[part] = capture.rows(part)
            except payloads.PayloadError as error:
                problems.append(payload_problem(capture, part, error))
        if len(sides) < 2:
            continue
        outputs, inputs = sides["output"], sides["input"]
        for i in range(max(len(outputs), len(inputs))):
            rows.append((outputs[i] if i < len(outputs) else []) + (inputs[i] if i < len(inputs) else []))
    refuse(problems, "captured payloads")
    return rows


def _value(cell: str, inferred_type: str) -> tuple[float | None, bool]:
    """(number or None, conforms to the baseline type)."""
    try:
        number = float(cell)
    except ValueError:
        return None, inferred_type not in NUMERIC_TYPES
    if not np.isfinite(number):
        return None, False
    if inferred_type == "Integral":
        return number, number.is_integer() and "." not in cell and "e" not in cell.lower()
    return number, inferred_type in NUMERIC_TYPES


def weighted_ks(values: np.ndarray, items: np.ndarray, weights: np.ndarray) -> float:
    """sup |F_values - F_sketch| for two step CDFs: both are right-continuous, so the sup is reached at a jump."""
    points = np.unique(np.concatenate([values, items]))
    sample_cdf = np.searchsorted(np.sort(values), points, side="right") / len(values)
    order = np.argsort(items)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    index = np.searchsorted(items[order], points, side="right")
    sketch_cdf = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0.0)
    return float(np.max(np.abs(sample_cdf - sketch_cdf)))


def feature_drift(feature: BaselineFeature, cells: list[str], rows: int) -> FeatureDrift:
    present = [c.strip() for c in cells if c.strip() != ""]
    parsed = [_value(c, feature.inferred_type) for c in present]
    numbers = np.array([n for n, _ in parsed if n is not None])
    unknown = sum(c not in feature.domains for c in present) if feature.domains else 0
    distance = share_psi = None
    if feature.inferred_type in NUMERIC_TYPES and len(numbers):
        if feature.sketch is not None:
            distance = weighted_ks(numbers, *feature.sketch)
        if feature.buckets:
            lower = np.array([b["lower_bound"] for b in feature.buckets], float)
            upper = np.array([b["upper_bound"] for b in feature.buckets], float)
            counts = np.array([b["count"] for b in feature.buckets], float)
            if counts.sum() > 0:
                if distance is None:
                    distance = ks_against_cdf(numbers, bucket_cdf(lower, upper, counts))
                # Bucket edges as bins; values outside the baseline's range fall into the outer buckets.
                index = np.clip(np.searchsorted(upper, numbers, side="left"), 0, len(upper) - 1)
                share_psi = psi(counts / counts.sum(), np.bincount(index, minlength=len(upper)) / len(numbers))
    return FeatureDrift(
        feature, rows, len(present), sum(not ok for _, ok in parsed), unknown, int((numbers < 0).sum()),
        float(numbers.mean()) if len(numbers) else None, distance, share_psi,
    )


def analyze_drift(captures: list[Capture], statistics: dict, constraints: dict | None) -> DriftResult:
    """Per-feature distance and Model Monitor's constraint violations for the captured rows."""
    baseline = load_baseline(statistics, constraints)
    features = baseline.features
    config = monitoring_config(constraints)
    rows = dataset_rows(captures)
    width = max((len(r) for r in rows), default=0)
    columns = [[row[i] if i < len(row) else "" for row in rows] for i in range(len(features))]
    comparison = config.get("distribution_constraints") or {}
    threshold = float(comparison.get("comparison_threshold", 0.1)) if comparison.get("perform_comparison", "Enabled") == "Enabled" else None
    result = DriftResult([feature_drift(f, columns[i], len(rows)) for i, f in enumerate(features)], len(rows), width, threshold,
                         notes=list(baseline.notes))
    if not rows:
        result.verdict = INCONCLUSIVE
        return result
    result.violations = _column_violations(result, features, baseline.unknown_constraints) + [
        v for drift in result.features for v in _feature_violations(drift, config, threshold)
    ]
    result.notes += [f"{d.feature.name}: {d.negatives} negative values where the baseline's num_constraints.is_non_negative "
                     "is true (Model Monitor's documented checks name no violation for it: not counted)"
                     for d in result.features if d.feature.non_negative and d.negatives]
    result.verdict = FAIL if result.violations else PASS
    return result


def _violation(name: str, check: str, description: str) -> dict:
    return {"feature_name": name, "constraint_check_type": check, "description": description}


def _column_violations(result: DriftResult, features: list[BaselineFeature], unknown: list[str]) -> list[dict]:
    """Fewer or more columns than the baseline; a constraint on a column the baseline statistics lack."""
    width = len(features)
    found = [_violation(f.name, "missing_column_check",
                        f"the captured rows have {result.columns} columns (endpoint output then input); the baseline has "
                        f"{width}, so this feature is missing")
             for f in features[result.columns:]]
    # Columns past the baseline have no name; the analyzer names header-less columns _c0, _c1, ...
    found += [_violation(f"_c{i}", "extra_column_check",
                         f"the captured rows have {result.columns} columns (endpoint output then input); the baseline has {width}")
              for i in range(width, result.columns)]
    found += [_violation(name, "missing_column_check",
                         "constraints.json names this feature but the baseline statistics (the captured columns) have no such column")
              for name in unknown]
    return found


def _feature_violations(drift: FeatureDrift, config: dict, threshold: float | None) -> list[dict]:
    f, found = drift.feature, []
    if config.get("evaluate_constraints", "Enabled") == "Enabled":
        completeness = drift.present / drift.rows if drift.rows else 0.0
        if f.completeness is not None and completeness < f.completeness:
            found.append(_violation(f.name, "completeness_check",
                                    f"completeness {completeness:.2%} is below the baseline constraint {f.completeness:.2%}"))
        required = float(config.get("datatype_check_threshold", 0.1))
        matching = 1 - drift.wrong_type / drift.present if drift.present else 1.0
        if matching < required:
            found.append(_violation(f.name, "data_type_check",
                                    f"expected data type {f.inferred_type} for at least {required:.2%} of values "
                                    f"(datatype_check_threshold); observed {matching:.2%}"))
        known = 1 - drift.unknown_values / drift.present if drift.present and f.domains else 1.0
        content = float(config.get("domain_content_threshold", 0.1))
        if known < content:
            found.append(_violation(f.name, "categorical_values_check",
                                    f"{known:.2%} of values are in the baseline's domains; domain_content_threshold is {content:.2%}"))
    if threshold is not None and drift.distance is not None and drift.distance > threshold:
        found.append(_violation(f.name, "baseline_drift_check",
                                f"distance {drift.distance:.4g} from the baseline distribution exceeds comparison_threshold {threshold}"))
    return found


def build_report(result: DriftResult) -> Report:
    reasons = [f"{v['constraint_check_type']}: {v['feature_name'] or '(row)'}: {v['description']}" for v in result.violations]
    if result.verdict == INCONCLUSIVE:
        reasons.append("no captured rows: no data is not evidence")
    report = Report("Data quality against the Model Monitor baseline", result.verdict, reasons, notes=list(result.notes))
    report.tables.append(Table(
        f"Per baseline column ({result.rows} captured rows of {result.columns} columns: endpoint output, then input)",
        ["feature", "type", "present", "completeness", "baseline mean", "captured mean", "KS distance", "PSI", "negatives", "wrong type"],
        [[d.feature.name, d.feature.inferred_type, d.present, d.present / d.rows if d.rows else None, d.feature.mean, d.mean,
          d.distance, d.psi, d.negatives, d.wrong_type] for d in result.features],
        note="KS distance: sup |F_captured - F_baseline|, the baseline CDF taken from its KLL sketch (items weighted 2^level), "
             "or from its buckets when it has no sketch; drift when above comparison_threshold "
             f"({result.comparison_threshold}). PSI uses the baseline's buckets.",
    ))
    return report


def to_violations(result: DriftResult) -> dict:
    """Model Monitor's constraint_violations.json shape."""
    return {"violations": result.violations}
