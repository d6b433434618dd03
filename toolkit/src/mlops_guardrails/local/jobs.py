"""What a step runner receives (StepRun) and the helpers the job-running steps share."""
import json
from dataclasses import dataclass
from pathlib import Path

from mlops_guardrails.local.container import STEP_TIMEOUT_SECONDS, host_path
from mlops_guardrails.local.errors import StepFailed
from mlops_guardrails.local.expressions import Context


@dataclass
class StepRun:
    """What the executor needs to run one step."""

    step: dict
    context: Context
    job_dir: Path
    job_name: str
    timeout: float = STEP_TIMEOUT_SECONDS

    def time_limit(self, arguments: dict) -> float:
        """The step's StoppingCondition when it is shorter than the run's limit."""
        limit = arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        return min(self.timeout, float(limit)) if limit else self.timeout


def read_property_files(run: StepRun, outputs: list[dict], container_root: Path) -> None:
    """Load the step's PropertyFiles from its output folders, for Std:JsonGet."""
    local_paths = {item["OutputName"]: item["S3Output"]["LocalPath"] for item in outputs}
    for spec in run.step.get("PropertyFiles", []):
        if spec["OutputName"] not in local_paths:
            raise StepFailed(f"property file {spec['PropertyFileName']}: no output named {spec['OutputName']}")
        path = host_path(container_root, local_paths[spec["OutputName"]]) / spec["FilePath"]
        if not path.is_file():
            raise StepFailed(f"property file {spec['PropertyFileName']}: {spec['FilePath']} was not written")
        run.context.property_files[(run.step["Name"], spec["PropertyFileName"])] = json.loads(path.read_text())
