"""Endpoint host figures: the host against the bare model and against a bare HTTP server, at 1, 4 and 16
client threads; fault-to-rollback under the prod config.

- model alone: parse CSV + predict, on a worker thread as the host's request threads run it (on the
  main thread XGBoost's OpenMP pool makes one prediction 10-40x slower, which no request ever sees);
- bare server: http.server answering every InvokeEndpoint with a fixed body, the same HTTP/1.1
  keep-alive and TCP_NODELAY as the host, so host / bare is the cost of routing, the model, metrics
  and capture over HTTP itself; both are driven by the rehearsal's own TrafficClient (boto3).
Bounded (a few thousand requests, one rehearsed rollout); prints figures; never run by the tests.
Run: .venv/bin/python benchmarks/endpoint_host.py [--requests N] [--rounds N] [--speed N]
"""
import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "seed-deploy"))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import numpy as np  # noqa: E402
import xgboost  # noqa: E402

from mlops_guardrails.emulator import FAKE_CREDENTIALS, embedded_emulator  # noqa: E402
from mlops_guardrails.deploy.rehearsal import (CompressedClock, EndpointHost, fleet_spec, load_model, read_stage_config,  # noqa: E402
                              rehearse_rollout, sample_rows, with_behaviour, write_artifact)
from mlops_guardrails.deploy.rehearsal.endpoint_host import CONFIG_HEADER  # noqa: E402
from mlops_guardrails.deploy.rehearsal.fleets import FleetSpec, VariantSpec  # noqa: E402
from mlops_guardrails.deploy.rehearsal.traffic import TrafficClient, _runtime_client  # noqa: E402

CLIENT_THREADS = (1, 4, 16)


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
    """Per-request time of the model alone (parse CSV + predict) on a worker thread, as the host runs it."""
    result = []
    worker = threading.Thread(target=lambda: result.append(_invoke_model(artifact, rows, requests)))
    worker.start()
    worker.join()
    return result[0]


def _invoke_model(artifact: str, rows: list[str], requests: int) -> float:
    model = load_model(artifact)
    for number in range(20):  # warm-up: the first predictions pay xgboost's one-time costs
        model.invoke(rows[number % len(rows)].encode(), "text/csv", "text/csv")
    started = time.perf_counter()
    for number in range(requests):
        model.invoke(rows[number % len(rows)].encode(), "text/csv", "text/csv")
    return (time.perf_counter() - started) / requests


class BareServer:
    """The floor for HTTP on loopback: reads the request, answers a fixed CSV body; no model, no routing."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # as the host: keep-alive

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the host

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b"9.5"
                self.send_response(200)
                for key, value in (("Content-Type", "text/csv"), ("x-Amzn-Invoked-Production-Variant", "AllTraffic"),
                                   (CONFIG_HEADER, "bench-config"), ("Content-Length", str(len(body)))):
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def drive(url: str, rows: list[str], requests: int, threads: int) -> float:
    """Seconds per request over all client threads: `threads` TrafficClients sending requests/threads each.
    Their boto3 clients are built first, so the clock covers requests only."""
    clients = [TrafficClient(endpoint_name="bench", rows=rows, blue_config="bench-config", green_config="-",
                             endpoint_url=url, max_requests=requests // threads, max_seconds=120)
               for _ in range(threads)]
    for client in clients:
        client._client = _runtime_client(url)
        client._client.invoke_endpoint(EndpointName="bench", Body=rows[0], ContentType="text/csv")["Body"].read()
    runners = [threading.Thread(target=client.run) for client in clients]
    started = time.perf_counter()
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    elapsed = time.perf_counter() - started
    for client in clients:
        client._client.close()  # closes its pooled connections cleanly (a reset would log on the server)
    served = sum(client.total().served_blue for client in clients)
    assert served == threads * (requests // threads), [client.total().as_dict() for client in clients]
    return elapsed / served


def host_and_bare(artifact: str, rows: list[str], requests: int, rounds: int) -> dict[int, dict[str, list[float]]]:
    """Per client-thread count, alternating rounds of host and bare server: seconds per request."""
    figures = {threads: {"host": [], "bare": []} for threads in CLIENT_THREADS}
    with EndpointHost() as host, BareServer() as bare:
        host.create_endpoint("bench", FleetSpec("bench-config", (VariantSpec("AllTraffic", artifact),)))
        for _ in range(rounds):
            for threads in CLIENT_THREADS:
                figures[threads]["host"].append(drive(host.url, rows, requests, threads))
                figures[threads]["bare"].append(drive(bare.url, rows, requests, threads))
    return figures


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
    parser.add_argument("--requests", type=int, default=480, help="requests per measurement (split over client threads)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; min and median are printed")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
    with tempfile.TemporaryDirectory() as folder:
        artifact = make_artifact(Path(folder))
        rows = sample_rows(None, 10)
        direct = [direct_seconds(artifact, rows, args.requests) for _ in range(args.rounds)]
        served = host_and_bare(artifact, rows, args.requests, args.rounds)
        rollout = fault_to_rollback(artifact, rows, args.speed, Path(folder))
    ms = lambda values: f"{min(values) * 1000:7.3f} / {statistics.median(values) * 1000:7.3f} ms"  # noqa: E731
    print(f"model alone, worker thread (min / median per request): {ms(direct)}")
    print("client threads   host per request (min / median)   bare server per request   host / bare   host / model")
    figures = {"model_alone_worker_thread_ms": round(min(direct) * 1000, 3)}
    for threads, pair in served.items():
        ratio = statistics.median(pair["host"]) / statistics.median(pair["bare"])
        over_model = min(pair["host"]) / min(direct)
        print(f"  {threads:>3}            {ms(pair['host'])}         {ms(pair['bare'])}   {ratio:8.2f}x   {over_model:8.1f}x")
        figures[f"threads_{threads}"] = {"host_ms": round(min(pair["host"]) * 1000, 3),
                                         "bare_ms": round(min(pair["bare"]) * 1000, 3),
                                         "host_over_bare_median": round(ratio, 2),
                                         "host_requests_per_second": round(1 / min(pair["host"]), 1)}
    figures.update(rollout)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
