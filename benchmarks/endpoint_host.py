"""Endpoint host figures: overhead against the bare model, loopback requests/s, fault-to-rollback under prod config.

Bounded (a few thousand requests, one rehearsed rollout); prints figures; never run by the tests.
Run: .venv/bin/python benchmarks/endpoint_host.py [--requests N] [--speed N]
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "seed-deploy"))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import numpy as np  # noqa: E402
import xgboost  # noqa: E402

from deploy.emulator import FAKE_CREDENTIALS, embedded_emulator  # noqa: E402
from deploy.rehearsal import (CompressedClock, EndpointHost, fleet_spec, load_model, read_stage_config,  # noqa: E402
                              rehearse_rollout, sample_rows, with_behaviour, write_artifact)
from deploy.rehearsal.fleets import FleetSpec, VariantSpec  # noqa: E402
from deploy.rehearsal.traffic import TrafficClient  # noqa: E402


def make_artifact(folder: Path) -> str:
    """A model of the demo's size: 50 rounds, depth 5, 10 features (abalone-like)."""
    rng = np.random.default_rng(0)
    x = rng.random((2000, 10))
    booster = xgboost.train({"max_depth": 5, "eta": 0.2, "nthread": 1},
                            xgboost.DMatrix(x, label=x @ rng.random(10) * 10), 50)
    path = folder / "xgboost-model.ubj"
    booster.save_model(path)
    return str(write_artifact(folder / "model.tar.gz", path.read_bytes()))


def direct_seconds(artifact: str, rows: list[str], requests: int) -> float:
    """Per-request time of the model alone (parse CSV + predict), the floor the host is compared with."""
    model = load_model(artifact)
    for number in range(20):  # warm-up: the first predictions pay xgboost's one-time costs
        model.invoke(rows[number % len(rows)].encode(), "text/csv", "text/csv")
    started = time.perf_counter()
    for number in range(requests):
        model.invoke(rows[number % len(rows)].encode(), "text/csv", "text/csv")
    return (time.perf_counter() - started) / requests


def host_seconds(artifact: str, rows: list[str], requests: int) -> float:
    """Per-request time through boto3 -> HTTP on loopback -> host -> model, one client thread."""
    with EndpointHost() as host:
        host.create_endpoint("bench", FleetSpec("bench-config", (VariantSpec("AllTraffic", artifact),)))
        client = TrafficClient(endpoint_name="bench", rows=rows, blue_config="bench-config", green_config="-",
                               endpoint_url=host.url, max_requests=requests, max_seconds=120)
        client.start()
        started = time.perf_counter()
        client.wait()
        elapsed = time.perf_counter() - started
        assert client.total().served_blue == requests, client.total().as_dict()
    return elapsed / requests


def fault_to_rollback(artifact: str, rows: list[str], speed: float, scratch: Path) -> dict:
    """Rehearse the default prod config with a green that fails every request: time to rollback, exposure."""
    import boto3

    config = read_stage_config(ROOT / "seed-deploy" / "prod-config.json")
    faulty = str(with_behaviour(artifact, scratch / "faulty" / "model.tar.gz", {"fail_ratio": 1.0}))
    clock = CompressedClock(speed)
    with embedded_emulator(), EndpointHost(clock=clock) as host:
        result = rehearse_rollout(host=host, clock=clock, cloudwatch=boto3.client("cloudwatch"),
                                  endpoint_name="bench-prod", blue=fleet_spec(config, "bench-blue", artifact),
                                  green=fleet_spec(config, "bench-green", faulty),
                                  deployment_config=config.deployment_config, alarms=config.alarms, rows=rows,
                                  max_requests=20000, max_seconds=120, rate_per_second=None)
    events = result.outcome.timeline.events
    fault = next(e.t for e in events if e.kind == "shift")  # green starts failing the moment it takes traffic
    rollback = next(e.t for e in events if e.kind == "rollback" and e.green_share == 0)
    during = {k: v for k, v in result.traffic.items() if k not in ("before update", "after update")}
    sent = sum(t.sent for t in during.values())
    green = sum(t.served_green + t.failed_green for t in during.values())
    return {"status": result.outcome.status, "fault_to_rollback_simulated_s": round(rollback - fault, 1),
            "faulty_fleet_share_of_requests_during_update": round(green / sent, 4) if sent else None,
            "requests_during_update": sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500, help="requests per measurement round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each is kept")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
    with tempfile.TemporaryDirectory() as folder:
        artifact = make_artifact(Path(folder))
        rows = sample_rows(None, 10)
        # The machine is shared: alternate the two measurements and keep each one's best round.
        rounds = [(direct_seconds(artifact, rows, args.requests), host_seconds(artifact, rows, args.requests))
                  for _ in range(args.rounds)]
        direct, hosted = min(r[0] for r in rounds), min(r[1] for r in rounds)
        rollout = fault_to_rollback(artifact, rows, args.speed, Path(folder))
    figures = {
        "model_direct_ms_per_request": round(direct * 1000, 3),
        "host_ms_per_request": round(hosted * 1000, 3),
        "host_overhead_ratio": round(hosted / direct, 2),
        "loopback_requests_per_second": round(1 / hosted, 1),
        **rollout,
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
