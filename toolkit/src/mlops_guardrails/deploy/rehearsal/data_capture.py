"""Data capture in SageMaker's JSON-lines format, written to a folder or to S3 (docs/contracts.md): the endpoint
host's side; the analyses read these files back with analysis/captures.py."""
import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

# SageMaker's capture encodings by content type; anything else is carried as BASE64.
_ENCODINGS = {"text/csv": "CSV", "application/json": "JSON", "application/jsonlines": "JSON"}


@dataclass(frozen=True)
class CaptureConfig:
    """DataCaptureConfig's parts the host needs. destination: s3://bucket/prefix or a local folder."""

    destination: str
    sampling_percentage: int = 100
    capture_input: bool = True
    capture_output: bool = True


def _encode(data: bytes, content_type: str) -> tuple[str, str]:
    encoding = _ENCODINGS.get((content_type or "").split(";")[0].strip().lower(), "BASE64")
    if encoding == "BASE64":
        return base64.b64encode(data).decode("ascii"), encoding
    return data.decode("utf-8", errors="replace"), encoding


def _payload(mode: str, body: bytes, content_type: str) -> dict:
    data, encoding = _encode(body, content_type)
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_record(
    *,
    request: bytes,
    request_type: str,
    response: bytes,
    response_type: str,
    inference_time: float,
    inference_id: str | None,
    config: CaptureConfig,
) -> dict:
    """One line of a capture file, in the shape SageMaker writes."""
    capture = {}
    if config.capture_input:
        capture["endpointInput"] = _payload("INPUT", request, request_type)
    if config.capture_output:
        capture["endpointOutput"] = _payload("OUTPUT", response, response_type)
    metadata = {"eventId": str(uuid.uuid4())}
    if inference_id:
        metadata["inferenceId"] = inference_id
    metadata["inferenceTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(inference_time))
    return {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}


def capture_key(endpoint: str, variant: str, first_record_time: float) -> str:
    """<endpoint>/<variant>/yyyy/mm/dd/hh/mm-ss-mmm-<uuid>.jsonl, relative to the capture destination.

    The layout of the developer guide's data capture page (s3://<prefix>/{endpoint-name}/{variant-name}/
    yyyy/mm/dd/hh/filename.jsonl); the file name as SageMaker writes it, seen in a real object key
    published in an AWS-written S3 event (…/AllTraffic/2020/03/11/12/32-18-648-cee08c3a-02ce-4790-b8ba-
    3173cfc12813.jsonl): minute, second and millisecond of the first record, then a UUID.
    """
    moment = time.gmtime(first_record_time)
    millis = int(round(first_record_time * 1000)) % 1000
    return (f"{endpoint}/{variant}/{time.strftime('%Y/%m/%d/%H', moment)}/"
            f"{time.strftime('%M-%S', moment)}-{millis:03d}-{uuid.uuid4()}.jsonl")


class CaptureWriter:
    """Buffers records per endpoint, variant and hour; flush() writes each buffer as one .jsonl file."""

    def __init__(self, config: CaptureConfig) -> None:
        self.config = config
        self._buffers: dict[tuple[str, str, str], tuple[float, list[dict]]] = {}
        self._lock = threading.Lock()
        self._seen = 0

    def sampled(self) -> bool:
        """Deterministic sampling: exactly round(n * pct / 100) of the first n requests are captured."""
        with self._lock:
            n = self._seen
            self._seen += 1
        pct = self.config.sampling_percentage
        return (n + 1) * pct // 100 > n * pct // 100

    def add(self, endpoint: str, variant: str, record: dict, inference_time: float) -> None:
        hour = time.strftime("%Y/%m/%d/%H", time.gmtime(inference_time))
        with self._lock:
            self._buffers.setdefault((endpoint, variant, hour), (inference_time, []))[1].append(record)

    def flush(self) -> list[str]:
        """Write out everything buffered; returns the file paths or s3:// URIs written."""
        with self._lock:
            buffers, self._buffers = self._buffers, {}
        written = []
        for (endpoint, variant, _), (first_time, records) in sorted(buffers.items()):
            relative = capture_key(endpoint, variant, first_time)
            body = "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in records)
            written.append(self._write(relative, body.encode("utf-8")))
        return written

    def _write(self, relative: str, body: bytes) -> str:
        destination = self.config.destination
        if destination.startswith("s3://"):
            import boto3

            parsed = urlparse(destination)
            key = "/".join(part for part in (parsed.path.strip("/"), relative) if part)
            boto3.client("s3").put_object(Bucket=parsed.netloc, Key=key, Body=body)
            return f"s3://{parsed.netloc}/{key}"
        path = Path(destination) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return str(path)
