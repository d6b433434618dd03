"""A CodeBuild action run locally: the buildspec's phases and commands, in the source folder, with the
environment the project template gives the CodeBuild project (plus the action's own variables)."""
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from demo_story import console

# The install phase pip-installs what the repo's .venv already holds at the same pins: it is skipped,
# and the venv's python is first on PATH, as `python` in the commands.
SKIPPED_PHASES = ("install",)
RUN_PHASES = ("pre_build", "build", "post_build")
COMMAND_TIMEOUT = 300
SHOWN_LINES = 6  # of each command's output; the stage test report alone is ~200 lines


@dataclass
class BuildRun:
    """What one CodeBuild run did: passed or not, the failing command, the artifact files, its output."""

    passed: bool
    seconds: float
    failed_command: str | None
    output: str
    artifacts: list[Path]


def project_environment(project, codebuild_logical_id: str) -> dict[str, str]:
    """The CodeBuild project's EnvironmentVariables from the synthesized template, with emulator values."""
    resource = project.template["Resources"][codebuild_logical_id]
    variables = resource["Properties"]["Environment"]["EnvironmentVariables"]
    return {item["Name"]: str(project.physical(item["Value"])) for item in variables}


def action_environment(configuration: dict) -> dict[str, str]:
    """A CodePipeline CodeBuild action's EnvironmentVariables (a JSON string of {name, value, type})."""
    return {item["name"]: item["value"] for item in json.loads(configuration.get("EnvironmentVariables", "[]"))}


def run_buildspec(source: Path, buildspec: str, environment: dict[str, str], extra: dict[str, str]) -> BuildRun:
    """Every command of the run phases, in order, in one environment; the first failure stops the build."""
    spec = yaml.safe_load((source / buildspec).read_text())
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, **environment, **extra, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
           "CODEBUILD_SRC_DIR": str(source), "PYTHONUNBUFFERED": "1"}
    started, output = time.monotonic(), []
    for phase in SKIPPED_PHASES:
        if phase in spec.get("phases", {}):
            console.detail(f"  [{buildspec}] {phase}: skipped (the demo's venv holds the same pinned packages)")
    for phase in RUN_PHASES:
        for command in spec.get("phases", {}).get(phase, {}).get("commands", []):
            console.detail(f"  [{buildspec}] {phase}: $ {_one_line(command)}")
            completed = subprocess.run(["bash", "-e", "-c", command], cwd=source, env=env, text=True,
                                       capture_output=True, timeout=COMMAND_TIMEOUT)
            text = (completed.stdout + completed.stderr).rstrip()
            output.append(text)
            lines = text.splitlines()
            for line in lines[:SHOWN_LINES]:
                console.detail(f"      {line}")
            if len(lines) > SHOWN_LINES:
                console.detail(f"      ... ({len(lines) - SHOWN_LINES} more lines in the build log)")
            if completed.returncode != 0:
                console.detail(f"      command failed (exit {completed.returncode})")
                return BuildRun(False, time.monotonic() - started, command, "\n".join(output), [])
    artifacts = [source / name for name in spec.get("artifacts", {}).get("files", [])]
    missing = [str(path.name) for path in artifacts if not path.is_file()]
    if missing:
        return BuildRun(False, time.monotonic() - started, f"artifacts missing: {missing}", "\n".join(output), [])
    return BuildRun(True, time.monotonic() - started, None, "\n".join(output), artifacts)


def _one_line(command: str) -> str:
    lines = [line.strip() for line in command.strip().splitlines() if line.strip()]
    return lines[0] + (" ..." if len(lines) > 1 else "")
