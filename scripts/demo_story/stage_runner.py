"""The deploy pipeline run locally: its stages and actions in the order the synthesized project template
defines, each action by its provider (CodeBuild, CloudFormation, manual approval, source)."""
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from demo_story import codebuild, console, emulator_fixes
from demo_story.cloudformation import deploy_stack
from demo_story.endpoints import EndpointBridge, Rollout

SOURCE_IGNORE = shutil.ignore_patterns("tests", "__pycache__", ".pytest_cache", "*.pyc")


@dataclass
class ActionResult:
    """One row of the report: an action of one pipeline execution."""

    execution: int
    trigger: str
    stage: str
    action: str
    provider: str
    passed: bool
    seconds: float
    detail: str
    rollout: Rollout | None = None


@dataclass
class Execution:
    number: int
    trigger: str
    results: list[ActionResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        failed = [r for r in self.results if not r.passed]
        return f"Failed at {failed[0].stage}" if failed else "Succeeded"

    def result(self, action: str) -> ActionResult | None:
        return next((r for r in self.results if r.action == action), None)


def pipeline_stages(project) -> list[dict]:
    """The deploy CodePipeline's stages from the synthesized template (the pipeline the approval rule targets)."""
    _, pipeline = project.resource_of_type(
        "AWS::CodePipeline::Pipeline",
        lambda r: any(a["ActionTypeId"]["Provider"] == "CloudFormation"
                      for s in r["Properties"]["Stages"] for a in s["Actions"]))
    return pipeline["Properties"]["Stages"]


def _logical_id(value: str) -> str:
    match = re.fullmatch(r"<([A-Za-z0-9]+)>", value)
    if not match:
        raise ValueError(f"ProjectName: {value!r}: expected a Ref to a CodeBuild project of the template")
    return match.group(1)


def _artifact_file(reference: str, artifacts: dict[str, Path]) -> Path:
    """"BuildArtifact::template-export.yml" -> the file in that artifact's folder."""
    name, _, path = reference.partition("::")
    return artifacts[name] / path


class DeployPipeline:
    """Runs executions of the deploy pipeline against the emulator and the endpoint host."""

    def __init__(self, project, session, bridge: EndpointBridge, deploy_repo: Path, work_dir: Path,
                 extra_environment: dict[str, str]) -> None:
        self.project, self.session, self.bridge = project, session, bridge
        self.deploy_repo, self.work_dir, self.extra = deploy_repo, work_dir, extra_environment
        self.stages = pipeline_stages(project)
        self.executions: list[Execution] = []
        self.handlers: dict[str, Callable] = {
            "CodeCommit": self._source, "CodeStarSourceConnection": self._source,
            "CodeBuild": self._codebuild, "CloudFormation": self._cloudformation, "Manual": self._approval,
        }

    def describe(self) -> str:
        return " -> ".join(stage["Name"] for stage in self.stages)

    def run(self, trigger: str) -> Execution:
        execution = Execution(len(self.executions) + 1, trigger)
        self.executions.append(execution)
        folder = self.work_dir / f"execution-{execution.number}"
        artifacts: dict[str, Path] = {}
        console.detail(f"deploy pipeline execution {execution.number} ({trigger}): {self.describe()}")
        for stage in self.stages:
            for action in sorted(stage["Actions"], key=lambda a: a.get("RunOrder", 1)):
                provider = action["ActionTypeId"]["Provider"]
                if provider not in self.handlers:
                    raise ValueError(f"action {action['Name']}: provider {provider}: not runnable locally "
                                     f"(runnable: {sorted(self.handlers)})")
                console.detail(f"- {stage['Name']} / {action['Name']} ({provider})")
                started = time.monotonic()
                passed, detail, rollout = self.handlers[provider](action, artifacts, folder)
                result = ActionResult(execution.number, trigger, stage["Name"], action["Name"], provider, passed,
                                      time.monotonic() - started, detail, rollout)
                execution.results.append(result)
                console.detail(f"  {'passed' if passed else 'FAILED'}: {detail}")
                if not passed:
                    console.detail(f"execution {execution.number}: {execution.status}")
                    return execution
        console.detail(f"execution {execution.number}: {execution.status}")
        return execution

    # -- action providers ----------------------------------------------------------------------
    def _source(self, action: dict, artifacts: dict[str, Path], folder: Path):
        target = folder / "source"
        shutil.copytree(self.deploy_repo, target, ignore=SOURCE_IGNORE)
        for output in action.get("OutputArtifacts", []):
            artifacts[output["Name"]] = target
        return True, f"deploy repository at {self.deploy_repo.name} copied to the execution's source", None

    def _codebuild(self, action: dict, artifacts: dict[str, Path], folder: Path):
        configuration = action["Configuration"]
        logical_id = _logical_id(configuration["ProjectName"])
        project_resource = self.project.template["Resources"][logical_id]
        buildspec = project_resource["Properties"]["Source"]["BuildSpec"]
        environment = codebuild.project_environment(self.project, logical_id)
        environment |= codebuild.action_environment(configuration)
        source = artifacts[action["InputArtifacts"][0]["Name"]]
        run = codebuild.run_buildspec(source, buildspec, environment, self.extra)
        for output in action.get("OutputArtifacts", []):
            target = folder / output["Name"]
            target.mkdir(parents=True, exist_ok=True)
            for path in run.artifacts:
                shutil.copy2(path, target / path.name)
            artifacts[output["Name"]] = target
        name = project_resource["Properties"]["Name"]
        if run.passed:
            return True, f"CodeBuild {name}: {buildspec} passed ({run.seconds:.1f}s)", None
        return False, f"CodeBuild {name}: {buildspec}: `{codebuild._one_line(run.failed_command)}` failed: " \
                      f"{_last_error(run.output)}", None

    def _cloudformation(self, action: dict, artifacts: dict[str, Path], folder: Path):
        configuration = action["Configuration"]
        if configuration.get("ActionMode") != "CREATE_UPDATE":
            raise ValueError(f"action {action['Name']}: ActionMode {configuration.get('ActionMode')}: "
                             "only CREATE_UPDATE is run locally")
        stack = configuration["StackName"]
        template = _artifact_file(configuration["TemplatePath"], artifacts).read_text()
        settings = json.loads(_artifact_file(configuration["TemplateConfiguration"], artifacts).read_text())
        overrides = configuration.get("ParameterOverrides")
        if overrides:
            settings.setdefault("Parameters", {}).update(json.loads(overrides))
        stage = settings["Parameters"]["StageName"]
        endpoint = settings["Parameters"]["EndpointName"]
        sm = self.session.client("sagemaker")
        before = emulator_fixes.snapshot_endpoint(sm, endpoint)
        deploy = deploy_stack(self.session, stack=stack, template_text=template, configuration=settings)
        console.detail(f"  stack {stack}: {deploy.status}; endpoint {deploy.endpoint_name} -> "
                       f"{deploy.endpoint_config_name}; alarms {', '.join(deploy.alarms)}")
        if deploy.not_emulated:
            console.detail(f"  not emulated (moto cannot create them): {', '.join(deploy.not_emulated)}")
        rollout = self.bridge.apply(stage, deploy, before)
        return True, f"stack {deploy.status}; endpoint {rollout.kind}: {rollout.status}", rollout

    def _approval(self, action: dict, artifacts: dict[str, Path], folder: Path):
        note = action.get("Configuration", {}).get("CustomData", "")
        console.detail(f"  manual approval: \"{note}\" -> approved (automatic in the demo)")
        return True, "approved (automatic in the demo)", None


def _last_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    return (lines[-1] if lines else (output.splitlines() or ["no output"])[-1])[:400]
