"""`python -m pipelines.run_pipeline`: upsert this repo's pipeline in SageMaker and start it (CodeBuild runs it),
by the pinned mlops_guardrails. `--help` lists every option."""
from mlops_guardrails.build.run_pipeline import main

__all__ = ["main"]
