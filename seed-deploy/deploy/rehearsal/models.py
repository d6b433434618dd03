"""Load a model.tar.gz (XGBoost `xgboost-model`) from a path or S3 and answer CSV like the built-in container."""
import io
import json
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from deploy.errors import InputError
from deploy.json_input import parse_json_object

MODEL_FILE = "xgboost-model"
# Rehearsal-only: an optional file inside model.tar.gz that makes a real artifact misbehave on purpose
# (the demo's faulty v3). SageMaker ignores it; nothing in AWS reads it.
SERVING_FILE = "serving.json"
SERVING_KEYS = {"fail_ratio", "extra_latency_ms", "slow_after_seconds"}
MAX_EXTRA_LATENCY_MS = 5000
CSV_TYPES = {"text/csv"}
ANSWER_TYPES = {"text/csv", "application/json", "*/*"}


class ModelFailure(Exception):
    """The model container answered with an HTTP error: SageMaker wraps it in a ModelError."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ServingBehaviour:
    """Rehearsal-only fault injection read from serving.json: a share of failures, added latency."""

    fail_ratio: float = 0.0
    extra_latency_ms: float = 0.0
    # Issue 14 (the demo's prod-only fault): extra_latency_ms starts only once the fleet serving the model
    # has served this many simulated seconds, like a leak; 0 = from the first request.
    slow_after_seconds: float = 0.0


def parse_behaviour(text: str, source: str) -> ServingBehaviour:
    """serving.json -> ServingBehaviour; unknown keys and out-of-range values are errors."""
    data = parse_json_object(text, f"{source}/{SERVING_FILE}", "rehearsal serving behaviour")
    unknown = sorted(set(data) - SERVING_KEYS)
    if unknown:
        raise InputError(f"{source}/{SERVING_FILE}: {unknown}: unknown keys (valid: {sorted(SERVING_KEYS)})")
    fail_ratio = float(data.get("fail_ratio", 0.0))
    extra = float(data.get("extra_latency_ms", 0.0))
    if not 0.0 <= fail_ratio <= 1.0:
        raise InputError(f"{source}/{SERVING_FILE}.fail_ratio: {fail_ratio}: must be 0-1")
    if not 0.0 <= extra <= MAX_EXTRA_LATENCY_MS:
        raise InputError(f"{source}/{SERVING_FILE}.extra_latency_ms: {extra}: must be 0-{MAX_EXTRA_LATENCY_MS}")
    slow_after = float(data.get("slow_after_seconds", 0.0))
    if slow_after < 0.0:
        raise InputError(f"{source}/{SERVING_FILE}.slow_after_seconds: {slow_after}: must be >= 0")
    return ServingBehaviour(fail_ratio=fail_ratio, extra_latency_ms=extra, slow_after_seconds=slow_after)


class LoadedModel:
    """One model artifact in memory: the Booster, its feature count and its rehearsal behaviour."""

    def __init__(self, booster, behaviour: ServingBehaviour, source: str) -> None:
        self.booster = booster
        self.behaviour = behaviour
        self.source = source
        self.num_features = booster.num_features()
        self._calls = 0
        self._lock = threading.Lock()
        self._predict_lock = threading.Lock()

    def _should_fail(self) -> bool:
        # Deterministic spread: exactly round(n * ratio) of the first n calls fail, no RNG to seed.
        with self._lock:
            n = self._calls
            self._calls += 1
        ratio = self.behaviour.fail_ratio
        return int((n + 1) * ratio) > int(n * ratio)

    def invoke(self, body: bytes, content_type: str, accept: str,
               serving_seconds: float | None = None) -> tuple[bytes, str]:
        """Answer one request as the XGBoost container would; raises ModelFailure for its HTTP errors.

        serving_seconds: how long the fleet has served (simulated); None = unknown, the fault applies."""
        leaking = serving_seconds is None or serving_seconds >= self.behaviour.slow_after_seconds
        if self.behaviour.extra_latency_ms and leaking:
            time.sleep(self.behaviour.extra_latency_ms / 1000.0)
        if self._should_fail():
            raise ModelFailure(500, "rehearsal fault injected by serving.json (fail_ratio)")
        media = (content_type or "text/csv").split(";")[0].strip().lower()
        if media not in CSV_TYPES:
            raise ModelFailure(415, f"Content type {content_type} is not supported by this algorithm.")
        answer = (accept or "text/csv").split(";")[0].strip().lower()
        if answer not in ANSWER_TYPES:
            raise ModelFailure(406, f"Accept type {accept} is not supported by this algorithm.")
        scores = self.predict(parse_csv(body, self.num_features))
        if answer == "application/json":
            payload = {"predictions": [{"score": float(s)} for s in scores]}
            return json.dumps(payload).encode(), "application/json"
        return "\n".join(repr(float(s)) for s in scores).encode() + b"\n", "text/csv; charset=utf-8"

    def predict(self, rows: np.ndarray) -> np.ndarray:
        import xgboost

        # One prediction at a time per Booster: cheap for small rows, and safe whatever the xgboost build.
        with self._predict_lock:
            return self.booster.predict(xgboost.DMatrix(rows))


def parse_csv(body: bytes, num_features: int) -> np.ndarray:
    """CSV rows without a label or header -> float matrix; a bad row is the container's 415-less 400."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ModelFailure(400, f"Unable to decode the payload as UTF-8: {error}") from error
    rows = [line for line in text.splitlines() if line.strip()]
    if not rows:
        raise ModelFailure(400, "Empty payload: expected at least one CSV row.")
    values = []
    for number, line in enumerate(rows, start=1):
        try:
            row = [float(cell) for cell in line.split(",")]
        except ValueError as error:
            raise ModelFailure(400, f"Row {number}: {line[:80]!r}: not numeric CSV ({error})") from error
        if len(row) != num_features:
            raise ModelFailure(400, f"Row {number}: {len(row)} features: the model expects {num_features}")
        values.append(row)
    return np.asarray(values, dtype=np.float32)


def read_artifact(source: str) -> bytes:
    """Bytes of a model.tar.gz from a local path or an s3:// URI (through boto3, so the emulator works)."""
    if source.startswith("s3://"):
        import boto3

        parsed = urlparse(source)
        client = boto3.client("s3")
        try:
            return client.get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"].read()
        except client.exceptions.NoSuchKey as error:
            raise InputError(f"model artifact: {source}: no such object") from error
    path = Path(source)
    if not path.is_file():
        raise InputError(f"model artifact: {source}: no such file")
    return path.read_bytes()


def load_model(source: str) -> LoadedModel:
    """model.tar.gz (path or s3:// URI) -> LoadedModel; the archive must hold `xgboost-model`."""
    import xgboost

    members = _untar(read_artifact(source), source)
    if MODEL_FILE not in members:
        raise InputError(f"model artifact: {source}: no `{MODEL_FILE}` inside (found {sorted(members)})")
    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(members[MODEL_FILE]))
    except xgboost.core.XGBoostError as error:
        raise InputError(f"model artifact: {source}/{MODEL_FILE}: not an XGBoost model: {error}") from error
    behaviour = ServingBehaviour()
    if SERVING_FILE in members:
        behaviour = parse_behaviour(members[SERVING_FILE].decode("utf-8"), source)
    return LoadedModel(booster, behaviour, source)


def _untar(data: bytes, source: str) -> dict[str, bytes]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            return {
                member.name.removeprefix("./"): archive.extractfile(member).read()
                for member in archive.getmembers()
                if member.isfile()
            }
    except tarfile.TarError as error:
        reason = " ".join(str(error).split())  # tarfile lists every method it tried, one a line
        raise InputError(f"model artifact: {source}: not a tar archive (truncated or corrupt): {reason}") from error


def write_artifact(path: Path, model_bytes: bytes, behaviour: dict | None = None) -> Path:
    """Write a model.tar.gz holding `xgboost-model` (and serving.json when a behaviour is given)."""
    files = {MODEL_FILE: model_bytes}
    if behaviour is not None:
        files[SERVING_FILE] = json.dumps(behaviour).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


def with_behaviour(source: str, target: Path, behaviour: dict) -> Path:
    """Copy an artifact with a serving.json added: the rehearsal's faulty version of a real model."""
    parse_behaviour(json.dumps(behaviour), str(target))
    members = _untar(read_artifact(source), source)
    if MODEL_FILE not in members:
        raise InputError(f"model artifact: {source}: no `{MODEL_FILE}` inside (found {sorted(members)})")
    return write_artifact(target, members[MODEL_FILE], behaviour)
