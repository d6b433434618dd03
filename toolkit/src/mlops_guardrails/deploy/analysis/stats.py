"""Statistics the analyses share: Welch's t-test, sample size, PSI, KS distances, percentiles."""
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

PSI_FLOOR = 1e-4  # share given to an empty bin so PSI stays finite (a common convention)


@dataclass(frozen=True)
class MeanDifference:
    """mean(b) - mean(a) with a two-sided confidence interval and Welch's t-test."""

    difference: float
    ci_low: float
    ci_high: float
    t: float
    df: float
    p_value: float
    confidence: float


def welch(a: np.ndarray, b: np.ndarray, alpha: float) -> MeanDifference:
    """Welch's unequal-variance t-test and CI for mean(b) - mean(a); needs >= 2 values each."""
    var_a, var_b = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    difference = float(np.mean(b) - np.mean(a))
    se = math.sqrt(var_a + var_b)
    if se == 0:
        # Both samples constant: the difference is exact, no test needed.
        p = 1.0 if difference == 0 else 0.0
        return MeanDifference(difference, difference, difference, math.copysign(math.inf, difference) if difference else 0.0, math.inf, p, 1 - alpha)
    df = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    t = difference / se
    p = float(2 * sps.t.sf(abs(t), df))
    half = float(sps.t.ppf(1 - alpha / 2, df)) * se
    return MeanDifference(difference, difference - half, difference + half, float(t), float(df), p, 1 - alpha)


def sample_size_per_group(sd_a: float, sd_b: float, delta: float, alpha: float, power: float) -> int | None:
    """Requests per variant to detect a true mean difference delta (two-sided, normal approximation):
    n = (z_(1-alpha/2) + z_power)^2 * (sd_a^2 + sd_b^2) / delta^2. None when delta is 0 (undetectable)."""
    if delta == 0 or not math.isfinite(delta):
        return None
    z = sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)
    return int(math.ceil(z**2 * (sd_a**2 + sd_b**2) / delta**2))


def quantile_edges(reference: np.ndarray, bins: int = 10) -> np.ndarray:
    """Interior bin edges at the reference's quantiles (deciles by default); duplicates dropped."""
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_shares(values: np.ndarray, interior_edges: np.ndarray) -> np.ndarray:
    """Share of values per bin; the outer bins are open-ended so every value lands somewhere."""
    counts = np.bincount(np.searchsorted(interior_edges, values, side="right"), minlength=len(interior_edges) + 1)
    return counts / max(len(values), 1)


def psi(expected_shares: np.ndarray, actual_shares: np.ndarray) -> float:
    """Population stability index: sum((a - e) * ln(a / e)), empty bins floored at PSI_FLOOR."""
    e = np.maximum(np.asarray(expected_shares, float), PSI_FLOOR)
    a = np.maximum(np.asarray(actual_shares, float), PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def ks_two_sample(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value."""
    result = sps.ks_2samp(a, b)
    return float(result.statistic), float(result.pvalue)


def bucket_cdf(lower: np.ndarray, upper: np.ndarray, counts: np.ndarray):
    """The CDF of a bucketed distribution, values spread uniformly inside each bucket."""
    edges = np.concatenate([[lower[0]], upper])
    cumulative = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    return lambda x: np.interp(x, edges, cumulative, left=0.0, right=1.0)


def ks_against_cdf(values: np.ndarray, cdf) -> float:
    """sup |F_sample - F| for a continuous F: the sup is reached at a sample point, from the left or right."""
    x = np.sort(values)
    n = len(x)
    f = cdf(x)
    right = np.searchsorted(x, x, side="right") / n
    left = np.searchsorted(x, x, side="left") / n
    return float(max(np.max(np.abs(right - f)), np.max(np.abs(left - f))))


def percentiles(values: np.ndarray, qs=(50, 90, 99)) -> dict[str, float]:
    return {f"p{q}": float(np.percentile(values, q)) for q in qs}
