"""Write capture and ground truth files in SageMaker's JSON-lines layouts for the analysis tests.

Record shapes (written here from the documented formats, not copied):
- data capture: developer guide "Capture data from real-time endpoint" and the records in
  aws/sagemaker-python-sdk tests/data/monitor/capture.jsonl and aws/amazon-sagemaker-examples'
  sm-model_monitor_introduction notebook: observedContentType, mode, data, encoding per payload;
  eventMetadata with eventId, inferenceTime, and inferenceId only when the caller sent one; eventVersion "0".
  Encoding is CSV for text/csv, JSON for application/json(lines), BASE64 otherwise.
- ground truth: developer guide "Ingest Ground Truth labels and merge them with predictions" and
  tests/data/monitor/actuals.jsonl: groundTruthData {data, encoding}, eventMetadata {eventId}, eventVersion.
- keys: .../<endpoint>/<variant>/yyyy/mm/dd/hh/mm-ss-mmm-<uuid>.jsonl (the sm-model_monitor_introduction
  notebook lists e.g. AllTraffic/2022/04/18/00/20-48-871-0b7bfd33-c8a7-4adf-a09a-98fd0af79974.jsonl).
"""
import base64
import json
import uuid
from pathlib import Path

CSV_OUT = "text/csv; charset=utf-8"  # what the XGBoost container answers with, as captured in the notebook


def payload(mode: str, body: str, content_type: str, encoding: str | None = None) -> dict:
    """One endpointInput/endpointOutput; BASE64 payloads are encoded here."""
    kind = content_type.split(";")[0].strip()
    encoding = encoding or {"text/csv": "CSV", "application/json": "JSON", "application/jsonlines": "JSON"}.get(kind, "BASE64")
    data = base64.b64encode(body.encode()).decode() if encoding == "BASE64" else body
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_record(inputs: str, output: str, inference_id: str | None, time: str, *, input_type: str = "text/csv",
                   output_type: str = CSV_OUT, encoding: str | None = None, event_id: str | None = None) -> dict:
    """One record as SageMaker data capture writes it; inference_id None leaves inferenceId out, as SageMaker does."""
    metadata = {"eventId": event_id or str(uuid.uuid4()), "inferenceTime": time}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return {
        "captureData": {
            "endpointInput": payload("INPUT", inputs, input_type, encoding),
            "endpointOutput": payload("OUTPUT", output, output_type, encoding),
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }


def truth_record(key: str, label: str, encoding: str = "CSV") -> dict:
    """One line of Model Monitor's ground truth: eventMetadata.eventId holds the capture's inferenceId or eventId."""
    data = base64.b64encode(label.encode()).decode() if encoding == "BASE64" else label
    return {"groundTruthData": {"data": data, "encoding": encoding}, "eventMetadata": {"eventId": key}, "eventVersion": "0"}


def write_jsonl(folder: Path, records: list[dict]) -> Path:
    """One file named as SageMaker names capture files (mm-ss-mmm-<uuid>.jsonl)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"20-48-871-{uuid.uuid4()}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def write_variant(root: Path, endpoint: str, variant: str, records: list[dict], hour: str = "2024/05/01/12") -> Path:
    """Write records under <root>/<endpoint>/<variant>/yyyy/mm/dd/hh/, 100 a file."""
    for start in range(0, len(records), 100):
        write_jsonl(root / endpoint / variant / hour, records[start:start + 100])
    return root
