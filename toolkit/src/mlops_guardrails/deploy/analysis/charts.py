"""PNG charts for the reports (matplotlib, Agg backend: no display needed)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(figure, path: str) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def ab_chart(result, path: str) -> str:
    """Per-request squared errors of both variants, and MSE with its CI."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for v in (result.control, result.challenger):
        if v.joined:
            left.hist(v.squared_errors, bins=40, alpha=0.5, label=f"{v.name} (n={v.joined})")
    left.set(title="Per-request squared error", xlabel="squared error", ylabel="requests")
    left.legend()
    names = [v.name for v in (result.control, result.challenger)]
    right.bar(names, [v.mse or 0 for v in (result.control, result.challenger)], color=["tab:blue", "tab:orange"])
    d = result.mse_difference
    title = "MSE" if d is None else f"MSE; difference {d.difference:.3g} [{d.ci_low:.3g}, {d.ci_high:.3g}], p={d.p_value:.3g}"
    right.set(title=title, ylabel="MSE")
    return _save(figure, path)


def shadow_chart(result, path: str) -> str:
    """Shadow vs production predictions per request, and the two distributions."""
    p, s = result.production, result.shadow
    keys = sorted(set(p.predictions) & set(s.predictions))
    a = np.array([p.predictions[k] for k in keys])
    b = np.array([s.predictions[k] for k in keys])
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.scatter(a, b, s=6, alpha=0.5)
    if len(a):
        low, high = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
        left.plot([low, high], [low, high], color="grey", linewidth=1)
    left.set(title="Same requests", xlabel=f"{p.name} (production)", ylabel=f"{s.name} (shadow)")
    right.hist([a, b], bins=30, label=[p.name, s.name], alpha=0.7)
    right.set(title=f"Predictions; PSI {result.psi if result.psi is not None else float('nan'):.3g}", xlabel="prediction")
    right.legend()
    return _save(figure, path)


def drift_chart(result, path: str) -> str:
    """KS distance per feature against the comparison threshold."""
    figure, axes = plt.subplots(figsize=(max(6, len(result.features) * 0.8), 4))
    names = [d.feature.name for d in result.features]
    distances = [d.distance or 0 for d in result.features]
    threshold = result.comparison_threshold
    axes.bar(names, distances, color=["tab:red" if threshold is not None and x > threshold else "tab:blue" for x in distances])
    if threshold is not None:
        axes.axhline(threshold, color="grey", linestyle="--", label=f"comparison_threshold {threshold}")
        axes.legend()
    axes.set(title="Distance from the baseline (KS)", ylabel="KS distance")
    axes.tick_params(axis="x", rotation=45)
    return _save(figure, path)


def plan_chart(plan, path: str) -> str:
    """Share of traffic on the new fleet over time."""
    times, shares = [0.0], [0.0]
    for step in plan.steps:
        times += [step.start_s, step.start_s]
        shares += [shares[-1], step.green_share * 100]
    times.append(plan.duration_s)
    shares.append(shares[-1])
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.plot(np.array(times) / 60, shares, drawstyle="default")
    for step in plan.steps:
        axes.annotate(f"{step.green_share:.0%}", (step.start_s / 60, step.green_share * 100), textcoords="offset points", xytext=(3, 3))
    axes.set(title=f"{plan.strategy}: traffic on the new fleet", xlabel="minutes since the update started", ylabel="% of traffic", ylim=(0, 105))
    return _save(figure, path)
