"""The traffic client: bounded, every request counted once, attributed to the fleet that answered."""
from rehearsal.rehearsal_fixtures import csv_rows, fleet

from mlops_guardrails.deploy.rehearsal.traffic import TrafficClient


def client(host, unique, **overrides) -> TrafficClient:
    options = {"endpoint_name": unique, "rows": csv_rows(5), "blue_config": "blue", "green_config": "green",
               "endpoint_url": host.url, "max_requests": 60, "max_seconds": 20}
    return TrafficClient(**{**options, **overrides})


def test_split_traffic_is_counted_per_fleet_and_nothing_is_lost(host, artifacts, unique):
    host.create_endpoint(unique, fleet("blue", ("AllTraffic", artifacts["v1"], 1, 2)))
    host.begin_update(unique, fleet("green", ("AllTraffic", artifacts["v2"], 1, 2)))
    host.set_green_share(unique, {"AllTraffic": 0.5})
    traffic = client(host, unique).start()
    total = traffic.wait()["all"]
    assert (total.sent, total.served_blue, total.served_green, total.failed, total.lost) == (60, 30, 30, 0, 0)


def test_failures_are_attributed_to_the_fleet_that_failed(host, artifacts, unique):
    host.create_endpoint(unique, fleet("blue", ("AllTraffic", artifacts["v1"], 1, 4)))
    host.begin_update(unique, fleet("green", ("AllTraffic", artifacts["failing"], 1, 4)))
    host.set_green_share(unique, {"AllTraffic": 0.25})
    total = client(host, unique, max_requests=40).start().wait()["all"]
    assert (total.served_blue, total.failed_green, total.failed_blue, total.lost) == (30, 10, 0, 0)


def test_client_stops_at_its_request_bound(host, artifacts, unique):
    host.create_endpoint(unique, fleet("blue", ("AllTraffic", artifacts["v1"], 1, 1)))
    traffic = client(host, unique, max_requests=7).start()
    traffic.wait()
    assert traffic.sent == 7 and traffic.total().served_blue == 7


def test_unreachable_endpoint_counts_lost_requests(unique):
    traffic = TrafficClient(endpoint_name=unique, rows=["1"], blue_config="b", green_config="g",
                            endpoint_url="http://127.0.0.1:9", max_requests=3, max_seconds=10).start()
    assert traffic.wait()["all"].lost == 3


def test_counts_by_phase(host, artifacts, unique):
    host.create_endpoint(unique, fleet("blue", ("AllTraffic", artifacts["v1"], 1, 1)))
    phases = iter(["one"] * 5 + ["two"] * 100)
    traffic = client(host, unique, max_requests=8, phase=lambda: next(phases)).start()
    by_phase = traffic.wait()
    assert {name: tally.sent for name, tally in by_phase.items()} == {"one": 5, "two": 3}
