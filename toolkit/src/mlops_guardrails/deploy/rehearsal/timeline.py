"""The record of one rollout: timed events, bake periods, and a PNG of traffic share per fleet over time."""
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Event:
    """At `t` simulated seconds after the update began: what happened, and green's share of all traffic."""

    t: float
    kind: str  # start, provisioned, shift, bake, alarm, rollback, timeout, succeeded, rolled_back, timed_out
    detail: str
    green_share: float


@dataclass
class Timeline:
    events: list[Event] = field(default_factory=list)
    bakes: list[tuple[float, float, str]] = field(default_factory=list)

    def add(self, t: float, kind: str, detail: str, green_share: float) -> Event:
        event = Event(round(t, 3), kind, detail, round(green_share, 4))
        self.events.append(event)
        return event

    def add_bake(self, start: float, end: float, label: str) -> None:
        self.bakes.append((round(start, 3), round(end, 3), label))

    def to_dict(self) -> dict:
        return {"events": [asdict(e) for e in self.events],
                "bakes": [{"start": s, "end": e, "label": label} for s, e, label in self.bakes]}

    def write_json(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    def share_series(self) -> tuple[list[float], list[float]]:
        """Step series (t, green share) from the events, for plotting and for tests."""
        times, shares = [], []
        for event in self.events:
            if times:
                times.append(event.t)
                shares.append(shares[-1])
            times.append(event.t)
            shares.append(event.green_share)
        if times:  # hold the last state a little, so a rollback at the very end stays visible
            times.append(times[-1] + max(30.0, 0.05 * times[-1]))
            shares.append(shares[-1])
        return times, shares

    def plot(self, path: Path, title: str) -> Path:
        """PNG: blue and green share of traffic over time, bakes shaded, alarms and rollback marked."""
        import matplotlib

        matplotlib.use("Agg")  # no display: the rehearsal runs in terminals and CodeBuild
        import matplotlib.pyplot as plt

        times, shares = self.share_series()
        minutes = [t / 60 for t in times]
        figure, axes = plt.subplots(figsize=(9, 4.2))
        axes.plot(minutes, [100 * (1 - s) for s in shares], color="tab:blue", label="blue (old config)", lw=2)
        axes.plot(minutes, [100 * s for s in shares], color="tab:green", label="green (new config)", lw=2)
        for start, end, label in self.bakes:
            axes.axvspan(start / 60, end / 60, color="0.85", alpha=0.6, lw=0)
            axes.text((start + end) / 120, 102, label, ha="center", va="bottom", fontsize=7)
        for event in self.events:
            if event.kind in ("alarm", "timeout"):
                axes.axvline(event.t / 60, color="tab:red", ls="--", lw=1.2)
                axes.text(event.t / 60, 50, f" {event.kind}: {event.detail[:60]}", color="tab:red", fontsize=7,
                          rotation=90, va="center", clip_on=True)
            if event.kind == "rollback":
                axes.axvline(event.t / 60, color="tab:orange", ls=":", lw=1.5)
        axes.set_xlabel("simulated minutes since the update began")
        axes.set_ylabel("share of traffic (%)")
        axes.set_ylim(-3, 112)
        axes.set_title(title, fontsize=10)
        axes.legend(loc="center right", fontsize=8)
        figure.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.86)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
        plt.close(figure)
        return path
