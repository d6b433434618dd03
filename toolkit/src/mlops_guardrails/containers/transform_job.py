"""The batch transform container, run as a step process: load /opt/ml/model, predict every input record.

Arguments: the input folder, the output folder, the image name, and the transform's ContentType,
SplitType, Accept, AssembleWith. Output files are named <input file>.out, as batch transform names them.
Model loading:
- sagemaker-xgboost: model.tar.gz's xgboost-model as the serving container loads it, pickle first and
  then Booster.load_model (xgboost_model.py, the loader the rehearsal's endpoint host uses too).
- sagemaker-scikit-learn: the inference script named by SAGEMAKER_PROGRAM (unpacked from
  SAGEMAKER_SUBMIT_DIRECTORY or the model archive's code/ folder) with model_fn and, when defined,
  input_fn / predict_fn / output_fn, as sagemaker-inference-toolkit calls them.
Only text/csv records run here (one record per line with SplitType Line).
"""
import importlib.util
import io
import os
import sys
from pathlib import Path

import numpy as np

if __package__:
    from mlops_guardrails.containers import xgboost_model
else:  # run as a script under the container's Python: this folder is first on sys.path
    import xgboost_model

MODEL_DIR = Path("/opt/ml/model")
XGBOOST_MODEL_FILE = "xgboost-model"


def load_xgboost(model_dir: Path):
    booster, _ = xgboost_model.load_booster((model_dir / XGBOOST_MODEL_FILE).read_bytes())
    return booster


def xgboost_handler(model_dir: Path):
    import xgboost

    booster = load_xgboost(model_dir)
    return lambda body, content_type, accept: _csv(booster.predict(xgboost.DMatrix(_rows(body))))


def script_handler(model_dir: Path):
    program = os.environ.get("SAGEMAKER_PROGRAM")
    if not program:
        raise SystemExit("error: SAGEMAKER_PROGRAM is not set: the scikit-learn container needs an inference script")
    folders = [Path(os.environ.get("SM_LOCAL_CODE_DIR", "")), model_dir / "code"]
    script = next((folder / program for folder in folders if (folder / program).is_file()), None)
    if script is None:
        raise SystemExit(f"error: inference script {program}: not in the submit directory nor in model.tar.gz's code/")
    sys.path.insert(0, str(script.parent))
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.model_fn(str(model_dir))
    input_fn = getattr(module, "input_fn", lambda body, content_type: _rows(body))
    predict_fn = getattr(module, "predict_fn", lambda data, model: model.predict(data))
    output_fn = getattr(module, "output_fn", lambda prediction, accept: _csv(prediction))
    return lambda body, content_type, accept: output_fn(predict_fn(input_fn(body, content_type), model), accept)


HANDLERS = {"sagemaker-xgboost": xgboost_handler, "sagemaker-scikit-learn": script_handler}


def _rows(body) -> np.ndarray:
    text = body.decode() if isinstance(body, bytes) else body
    return np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)


def _csv(predictions) -> str:
    return "\n".join(",".join(map(str, np.atleast_1d(row))) for row in np.asarray(predictions))


def main(argv: list[str]) -> int:
    input_dir, output_dir, image, content_type, split_type, accept, assemble_with = argv
    if content_type not in ("text/csv", "None", ""):
        raise SystemExit(f"error: ContentType {content_type}: local batch transform reads text/csv")
    handler = HANDLERS[image](MODEL_DIR)
    files = sorted(p for p in Path(input_dir).rglob("*") if p.is_file())
    separator = "\n" if assemble_with == "Line" else ""
    for path in files:
        text = path.read_bytes().decode()
        records = [line for line in text.splitlines() if line.strip()] if split_type == "Line" else [text]
        results = [str(handler(record, content_type, accept)) for record in records]
        target = Path(output_dir) / (str(path.relative_to(input_dir)) + ".out")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(separator.join(results) + separator)
    print(f"transform: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
