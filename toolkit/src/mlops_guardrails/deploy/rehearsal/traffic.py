"""A bounded traffic client on loopback: sends rows through boto3 and counts who answered, per rollout phase."""
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from mlops_guardrails.deploy.rehearsal.endpoint_host import CONFIG_HEADER


@dataclass
class Tally:
    """Answers of one phase: served or failed by each fleet; `lost` = no HTTP answer at all."""

    served_blue: int = 0
    served_green: int = 0
    failed_blue: int = 0
    failed_green: int = 0
    failed_other: int = 0
    lost: int = 0
    variants: Counter = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return self.served_blue + self.served_green + self.failed + self.lost

    @property
    def failed(self) -> int:
        return self.failed_blue + self.failed_green + self.failed_other

    def add(self, other: "Tally") -> None:
        for name in ("served_blue", "served_green", "failed_blue", "failed_green", "failed_other", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.variants.update(other.variants)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "served_blue": self.served_blue, "served_green": self.served_green,
                "failed_blue": self.failed_blue, "failed_green": self.failed_green,
                "failed_other": self.failed_other, "lost": self.lost, "variants": dict(self.variants)}


class TrafficClient:
    """Sends one CSV row per InvokeEndpoint call until stopped, max_requests sent, or max_seconds passed."""

    def __init__(self, *, endpoint_name: str, rows: list[str], blue_config: str, green_config: str,
                 phase: Callable[[], str] = lambda: "all", endpoint_url: str | None = None,
                 max_requests: int = 500, max_seconds: float = 60.0, rate_per_second: float | None = None,
                 target_variant: str | None = None, inference_component: str | None = None) -> None:
        if not rows:
            raise ValueError("rows: []: the traffic client needs at least one CSV row")
        self.endpoint_name, self.rows = endpoint_name, rows
        self.blue_config, self.green_config = blue_config, green_config
        self.phase, self.endpoint_url = phase, endpoint_url
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.rate_per_second, self.target_variant = rate_per_second, target_variant
        self.inference_component = inference_component  # InferenceComponentName: required by endpoints with components
        self.by_phase: dict[str, Tally] = {}
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = None

    def start(self, *, warm_up: int = 0) -> "TrafficClient":
        """Start sending in the background; with warm_up, return once that many answers have come back."""
        self._client = _runtime_client(self.endpoint_url)  # built here: a slow first request skews phase one
        self._thread = threading.Thread(target=self.run, name="traffic", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.max_seconds
        while self.sent < min(warm_up, self.max_requests) and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        return self

    def stop(self) -> dict[str, Tally]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.max_seconds + 5)
        return self.by_phase

    def wait(self) -> dict[str, Tally]:
        """Block until the client ends by itself (max_requests or max_seconds)."""
        if self._thread is not None:
            self._thread.join(timeout=self.max_seconds + 5)
        return self.by_phase

    def total(self) -> Tally:
        total = Tally()
        for tally in self.by_phase.values():
            total.add(tally)
        return total

    def run(self) -> None:
        client = self._client or _runtime_client(self.endpoint_url)
        deadline = time.monotonic() + self.max_seconds
        for number in range(self.max_requests):
            if self._stop.is_set() or time.monotonic() >= deadline:
                return
            sent_at = time.monotonic()
            answer = self._invoke(client, self.rows[number % len(self.rows)], number)
            # The phase when the answer came back: a request in flight across a shift counts in the later phase.
            self._count(self.phase(), *answer)
            self.sent += 1
            if self.rate_per_second:
                pause = 1.0 / self.rate_per_second - (time.monotonic() - sent_at)
                if pause > 0:
                    self._stop.wait(min(pause, 1.0))

    def _invoke(self, client, row: str, number: int) -> tuple[str, str | None, str | None]:
        """-> (outcome 'served'|'failed'|'lost', endpoint config that answered, variant)."""
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"TargetVariant": self.target_variant} if self.target_variant else {}
        if self.inference_component:
            extra["InferenceComponentName"] = self.inference_component
        try:
            response = client.invoke_endpoint(EndpointName=self.endpoint_name, Body=row, ContentType="text/csv",
                                              Accept="text/csv", InferenceId=f"req-{number}", **extra)
            response["Body"].read()
        except ClientError as error:
            headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            return "failed", headers.get(CONFIG_HEADER.lower()), None
        except BotoCoreError:
            return "lost", None, None
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        return "served", headers.get(CONFIG_HEADER.lower()), response.get("InvokedProductionVariant")

    def _count(self, phase: str, outcome: str, config: str | None, variant: str | None) -> None:
        tally = self.by_phase.setdefault(phase, Tally())
        fleet = "blue" if config == self.blue_config else "green" if config == self.green_config else None
        if outcome == "lost":
            tally.lost += 1
        elif outcome == "failed":
            if fleet is None:
                tally.failed_other += 1
            else:
                setattr(tally, f"failed_{fleet}", getattr(tally, f"failed_{fleet}") + 1)
        elif fleet is None:
            tally.failed_other += 1  # an answer from a config that is neither fleet: count it, never hide it
        else:
            setattr(tally, f"served_{fleet}", getattr(tally, f"served_{fleet}") + 1)
            tally.variants[variant] += 1


def _runtime_client(endpoint_url: str | None):
    import boto3
    from botocore.config import Config

    # No retries: every request is counted once, as sent; a retried failure would hide a lost request.
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=15)
    return boto3.client("sagemaker-runtime", endpoint_url=endpoint_url, config=config)
