"""Load a model.tar.gz (XGBoost `xgboost-model`) from a path or S3 and answer as the XGBoost 1.7-1 container does."""
import functools
import io
import json
import subprocess
import tarfile
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.json_input import parse_json_object
from mlops_guardrails import xgboost_env
from mlops_guardrails.containers import xgboost_model
from mlops_guardrails.deploy.rehearsal import serving_formats
from mlops_guardrails.deploy.rehearsal.serving_formats import ServingError as ModelFailure

MODEL_FILE = "xgboost-model"
# Rehearsal-only: an optional file inside model.tar.gz that makes a real artifact misbehave on purpose
# (the demo's faulty v3). Never ship it to AWS: the XGBoost container would try to load it as a model.
SERVING_FILE = "serving.json"
SERVING_KEYS = {"fail_ratio", "extra_latency_ms", "slow_after_seconds"}
MAX_EXTRA_LATENCY_MS = 5000
# The XGBoost 1.7-1 container's model formats (serve_utils.get_loaded_booster): a pickled Booster, or any file
# Booster.load_model reads. xgboost 3.1+ no longer reads 1.x's binary format, which that container writes:
# such a model is converted once to JSON by xgboost 1.7 itself (container_side.py in .venv-xgboost-1.7).
PKL_FORMAT, XGB_FORMAT = "pkl_format", "xgb_format"
# The XGBoost 1.7-1 container's serving path, run under that container's Python (.venv-xgboost-1.7).
CONTAINER_SIDE = Path(__file__).resolve().parents[2] / "containers" / "container_side.py"
LEGACY_READER_IMAGE = "1.7-1"


@dataclass(frozen=True)
class ServingBehaviour:
    """Rehearsal-only fault injection read from serving.json: a share of failures, added latency."""

    fail_ratio: float = 0.0
    extra_latency_ms: float = 0.0
    # The demo's prod-only fault: extra_latency_ms starts only once the fleet serving the model
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

    def __init__(self, booster, behaviour: ServingBehaviour, source: str, model_format: str = XGB_FORMAT) -> None:
        self.booster = booster
        self.model_format = model_format
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

    def injected_latency_seconds(self, serving_seconds: float | None = None) -> float:
        """The fault's added latency for a request now (0 for a healthy model): a declared cost, so what the
        alarms judge never depends on how long a sleep took on a busy machine.

        serving_seconds: how long the fleet has served (simulated); None = unknown, the fault applies."""
        leaking = serving_seconds is None or serving_seconds >= self.behaviour.slow_after_seconds
        return self.behaviour.extra_latency_ms / 1000.0 if leaking else 0.0

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               serving_seconds: float | None = None, wait=None) -> tuple[bytes, str]:
        """(body, Content-Type) as the container's /invocations answers (status: serving_formats.success_status);
        raises ModelFailure for its errors. The checks run in the container's order (serve.invocations):
        empty body, payload, prediction, Accept.

        serving_seconds: how long the fleet has served (simulated); None = unknown, the fault applies.
        wait: how the fault's latency is waited out (default time.sleep, in real seconds; the endpoint host
        waits it on its clock)."""
        extra = self.injected_latency_seconds(serving_seconds)
        if extra:
            (wait or time.sleep)(extra)
        if self._should_fail():
            raise ModelFailure(500, "rehearsal fault injected by serving.json (fail_ratio)")
        if not body:
            return b"", "text/html; charset=utf-8"
        rows = serving_formats.parse_payload(body, content_type)
        scores = self.predict(rows, serving_formats.content_kind(content_type))
        accept_type = serving_formats.accept_type(accept)
        return serving_formats.encode(scores, accept_type)

    def predict(self, rows, kind: str = serving_formats.CSV) -> np.ndarray:
        """serve_utils.predict: more columns than the model has features is the container's 400 (a pickled
        model's dense input may have exactly as many, or one fewer)."""
        import xgboost

        columns = rows.shape[1]
        dense = kind != serving_formats.LIBSVM
        if self.model_format == PKL_FORMAT and dense and columns not in (self.num_features, self.num_features - 1):
            raise ModelFailure(400, f"Unable to evaluate payload provided: Feature size of inference data {columns} "
                                    f"is not consistent with feature size of trained model {self.num_features}.")
        if columns > self.num_features:
            raise ModelFailure(400, "Unable to evaluate payload provided: Number of columns does not match number of "
                                    f"features in booster ({self.num_features} vs. {columns}).")
        # One prediction at a time per Booster: cheap for small rows, and safe whatever the xgboost build.
        with self._predict_lock:
            return self.booster.predict(xgboost.DMatrix(rows), validate_features=False)


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


# What another kind of model archive holds, by SageMaker's conventions: the host names it before refusing it.
OTHER_MODEL_KINDS = (
    ("code/inference.py", "a framework-container model (an inference script in code/inference.py: SKLearn, "
                          "PyTorch or TensorFlow serving)"),
    ("saved_model.pb", "a TensorFlow SavedModel"),
    ("model.pth", "a PyTorch model"),
    ("model.joblib", "a scikit-learn model (joblib)"),
)


def missing_model_file(source: str, members: dict) -> InputError:
    """The archive holds no `xgboost-model`: say what it looks like instead, and what the host plays."""
    names = sorted(members)
    kind = next((what for marker, what in OTHER_MODEL_KINDS
                 if any(name == marker or name.endswith("/" + marker) for name in names)), None)
    found = f"found {names}" + (f": {kind}" if kind else "")
    return InputError(f"model artifact: {source}: no `{MODEL_FILE}` inside ({found}); the rehearsal host and "
                      "the stage test play SageMaker's built-in XGBoost models (xgboost-model) only")


def load_model(source: str) -> LoadedModel:
    """model.tar.gz (path or s3:// URI) -> LoadedModel; the archive must hold `xgboost-model`."""
    members = _untar(read_artifact(source), source)
    if MODEL_FILE not in members:
        raise missing_model_file(source, members)
    booster, model_format = load_booster(members[MODEL_FILE], f"{source}/{MODEL_FILE}")
    behaviour = ServingBehaviour()
    if SERVING_FILE in members:
        behaviour = parse_behaviour(members[SERVING_FILE].decode("utf-8"), source)
    return LoadedModel(booster, behaviour, source, model_format)


def load_booster(raw: bytes, where: str):
    """(Booster, format) as the container loads a model file: pickle first, then Booster.load_model
    (containers/xgboost_model.py); what this xgboost cannot read, xgboost 1.7 converts."""
    import xgboost

    booster = xgboost_model.unpickled_booster(raw)  # only rehearse artifacts you trust: this unpickles them
    if booster is not None:
        return booster, PKL_FORMAT
    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(raw))  # JSON or UBJSON, told apart by content
        return booster, XGB_FORMAT
    except xgboost.core.XGBoostError as error:
        native_error = str(error).strip().splitlines()[0]
    model_format = PKL_FORMAT if raw[:1] == b"\x80" else XGB_FORMAT  # pickle protocol 2+ starts with 0x80
    try:
        booster.load_model(bytearray(convert_with_xgboost_1_7(raw, where)))
    except xgboost.core.XGBoostError as error:
        raise InputError(f"model artifact: {where}: not an XGBoost model: {native_error}") from error
    return booster, model_format


def convert_with_xgboost_1_7(raw: bytes, where: str) -> bytes:
    """The model re-saved as JSON by xgboost 1.7.4, which reads every format the XGBoost containers wrote."""
    try:
        python = xgboost_env.python_for(LEGACY_READER_IMAGE)
    except xgboost_env.XGBoostEnvError as error:
        raise InputError(f"model artifact: {where}: needs xgboost 1.7 to read: {error}") from error
    converted, reason = _converted_by(str(python), raw)
    if converted is None:
        raise InputError(f"model artifact: {where}: not an XGBoost model (xgboost 1.7 says: {reason})")
    return converted


# A rehearsal loads each artifact more than once (checked before anything starts, then served, and the
# faulty copy holds the same model): each distinct model is converted once, not once per load (~0.5 s each).
@functools.lru_cache(maxsize=4)
def _converted_by(python: str, raw: bytes) -> tuple[bytes | None, str]:
    """(the model as JSON, "") or (None, xgboost 1.7's reason it could not read it)."""
    script = CONTAINER_SIDE
    with tempfile.TemporaryDirectory(prefix="xgboost-model-") as folder:
        model, converted = Path(folder) / MODEL_FILE, Path(folder) / "model.json"
        model.write_bytes(raw)
        result = subprocess.run([python, str(script), "convert", str(model), str(converted)],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or not converted.is_file():
            return None, (result.stderr.strip().splitlines() or ["no output"])[-1]
        return converted.read_bytes(), ""


def _untar(data: bytes, source: str) -> dict[str, bytes]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            return {
                member.name.removeprefix("./"): archive.extractfile(member).read()
                for member in archive.getmembers()
                if member.isfile()
            }
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:  # the stream's own errors too: gzip cut short
        reason = " ".join(str(error).split()) or type(error).__name__  # tarfile lists every method it tried, one a line
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
        raise missing_model_file(source, members)
    return write_artifact(target, members[MODEL_FILE], behaviour)
