"""Write capture files in SageMaker's JSON-lines layout for the analysis tests."""
import json
import uuid
from pathlib import Path


def capture_record(inputs: str, output: str, inference_id: str | None, time: str) -> dict:
    """One record exactly as SageMaker data capture writes it (docs/contracts.md)."""
    metadata = {"eventId": str(uuid.uuid4()), "inferenceTime": time}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": inputs, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": output, "encoding": "CSV"},
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }


def write_variant(root: Path, endpoint: str, variant: str, records: list[dict], hour: str = "2024/05/01/12") -> Path:
    """Write records under <root>/<endpoint>/<variant>/yyyy/mm/dd/hh/, 100 a file as SageMaker batches them."""
    folder = root / endpoint / variant / hour
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(records), 100):
        lines = "\n".join(json.dumps(r) for r in records[start:start + 100])
        (folder / f"{start:05d}-{uuid.uuid4().hex[:8]}.jsonl").write_text(lines + "\n")
    return root
