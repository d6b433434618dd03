"""`python -m pipelines.run_local`: this repo's pipeline run on this machine by the pinned mlops_guardrails
(its executor, the emulator, the step isolation). `--help` lists every option."""
from pathlib import Path

from mlops_guardrails.build import sdk  # first: it sets the SDK's environment before the SDK is imported
from mlops_guardrails.build import run_local

ROOT = Path(__file__).resolve().parents[2]
# What run_local needs of this repo: edit it when you rename the pipeline's module or its data.
REPO = run_local.RepoPipeline(
    pipeline_module="pipelines.abalone.pipeline",
    code_module="pipelines.code",
    package_dir=ROOT / "pipelines",
    default_data=ROOT / "data" / "abalone.csv",
)


def main(argv: list[str] | None = None) -> int:
    return run_local.main(argv, REPO)


__all__ = ["REPO", "main", "sdk"]
