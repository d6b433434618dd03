"""The story's record: a markdown report (a row per stage and model version) and the rollout timeline PNG."""
from pathlib import Path

REPORT_FILE = "demo-report.md"
TIMELINE_FILE = "rollout-timeline.png"


def guarded_rollouts(result) -> list[tuple[int, object]]:
    """(execution number, rollout) for every endpoint update the guardrail controller ran, in order."""
    return [(r.execution, r.rollout) for e in result.executions for r in e.results
            if r.rollout is not None and r.rollout.outcome is not None]


def write(result, out_dir: Path) -> tuple[Path, Path]:
    timeline = plot_timeline(result, out_dir / TIMELINE_FILE)
    path = out_dir / REPORT_FILE
    path.write_text(markdown(result, timeline.name))
    return path, timeline


def _versions(rollout) -> str:
    return ", ".join(f"{variant} v{version}" for variant, version in rollout.versions.items())


def markdown(result, timeline_name: str) -> str:
    lines = ["# make demo: the model lifecycle, rehearsed offline", "",
             f"Clock: {result.settings.speed:g} simulated seconds per real second. Everything ran against the "
             "embedded emulator (moto on 127.0.0.1) and the rehearsal's endpoint host.", "",
             "## Model versions", "", "| version | what | test-set MSE |", "|---|---|---|"]
    for version, model in sorted(result.models.items()):
        mse = f"{model.mse:.4f}" if model.mse is not None else "-"
        lines.append(f"| v{version} | {model.note} | {mse} |")
    lines += ["", "## Deploy pipeline executions (one row per stage)", "",
              "| execution | trigger | stage | action | result | serves | detail | seconds |",
              "|---|---|---|---|---|---|---|---|"]
    for execution in result.executions:
        for row in execution.results:
            serves = _versions(row.rollout) if row.rollout else ""
            detail = row.detail.replace("|", "\\|")
            lines.append(f"| {row.execution} | {row.trigger} | {row.stage} | {row.action} | "
                         f"{'passed' if row.passed else '**FAILED**'} | {serves} | {detail} | {row.seconds:.1f} |")
        lines.append(f"| {execution.number} | | **{execution.status}** | | | | | |")
    lines += ["", "## Guarded endpoint updates", "",
              "| execution | endpoint | strategy | outcome | serving after | alarms | simulated s | "
              "sent | blue | green | failed | lost |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for number, rollout in guarded_rollouts(result):
        o, t = rollout.outcome, rollout.total
        lines.append(f"| {number} | {rollout.endpoint} | {o.strategy} | {o.status} | {o.serving_config} | "
                     f"{', '.join(o.alarms) or '-'} | {o.elapsed_seconds:.0f} | {t.sent} | {t.served_blue} | "
                     f"{t.served_green} | {t.failed} | {t.lost} |")
    lines += ["", f"![rollout timeline]({timeline_name})", "", "## Events", ""]
    for label, count in result.unrelated_events.items():
        lines.append(f"- unrelated event, {label}: {count} delivered by the project's rule")
    if result.rollback_audit:
        lines.append(f"- registry rollback audit: `{result.rollback_audit}`")
    lines += ["", "## Experiments", ""]
    for segment in (result.ab, result.shadow):
        if segment is None:
            continue
        lines.append(f"### {segment.kind}: endpoint {segment.endpoint} ({', '.join(f'{k} v{v}' for k, v in segment.versions.items())})")
        lines.append("")
        lines.append(f"- answered by: {dict(segment.answered_by)}; failed or lost: {segment.failed}")
        if segment.targeted:
            lines.append(f"- TargetVariant=Challenger answered by: {dict(segment.targeted)}")
        lines.append(f"- data capture records per variant: {dict(segment.captured)}")
        if segment.analysis_report:
            lines.append(f"- analysis: [{segment.analysis_report.name}](experiments/{segment.analysis_report.name})")
        lines.append("")
    if result.serving:
        lines += ["## Endpoints at the end", "", "| stage | emulator record (verify reads it) | host serves |",
                  "|---|---|---|"]
        for stage, state in result.serving.get("end", {}).items():
            lines.append(f"| {stage} | {state['record']} | {state['host']} |")
    return "\n".join(lines) + "\n"


def plot_timeline(result, path: Path) -> Path:
    """One panel per guarded update: green's share of traffic, bakes shaded, alarms and rollbacks marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rollouts = guarded_rollouts(result)
    figure, axes_list = plt.subplots(max(1, len(rollouts)), 1, figsize=(10, 2.1 * max(1, len(rollouts))),
                                     squeeze=False)
    for axes, (number, rollout) in zip(axes_list[:, 0], rollouts):
        outcome = rollout.outcome
        times, shares = outcome.timeline.share_series()
        minutes = [t / 60 for t in times]
        for start, end, label in outcome.timeline.bakes:
            axes.axvspan(start / 60, end / 60, color="0.9", lw=0, zorder=0)
            axes.text((start + end) / 120, 104, label, ha="center", va="bottom", fontsize=7, color="0.35")
        axes.plot(minutes, [100 - 100 * s for s in shares], color="tab:blue", lw=1.8, label="blue (old config)")
        axes.plot(minutes, [100 * s for s in shares], color="tab:green", lw=2.2, label="green (new config)")
        for event in outcome.timeline.events:
            if event.kind in ("alarm", "timeout"):
                axes.axvline(event.t / 60, color="tab:red", ls="--", lw=1.5)
                text = f"{event.kind}: {', '.join(outcome.alarms) or event.detail[:40]}  \nrollback: all traffic to blue  "
                axes.text(event.t / 60, 50, text, ha="right", va="center", color="tab:red", fontsize=8)
        color = "tab:green" if outcome.succeeded else "tab:red"
        axes.set_title(f"execution {number}: {rollout.endpoint} -> {_versions(rollout)} ({outcome.strategy}): "
                       f"{outcome.status.replace('_', ' ')}", fontsize=9, color=color, loc="left")
        axes.set_ylim(-5, 118)
        axes.set_xlim(left=0)
        axes.set_ylabel("traffic %", fontsize=8)
        axes.tick_params(labelsize=8)
    axes_list[-1, 0].set_xlabel("simulated minutes since the update began (grey: bake periods)", fontsize=8)
    axes_list[0, 0].legend(loc="center right", fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
