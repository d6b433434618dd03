"""The GitHub Actions and GitLab CI files run the buildspecs' commands, at the pins of requirements.txt."""
import re
from pathlib import Path

import yaml

SEED = Path(__file__).resolve().parent.parent
WORKFLOW, BUILDSPECS = "model-build.yml", ("buildspec.yml",)
CI_FILES = [SEED / ".github" / "workflows" / WORKFLOW, SEED / ".gitlab-ci.yml"]


def commands(path: Path) -> str:
    """Every command of the file, as one text (GitHub `run:` steps; GitLab before_script and script)."""
    document = yaml.safe_load(path.read_text())
    if "jobs" in document:
        return "\n".join(step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step)
    return "\n".join(line for job in document.values() if isinstance(job, dict)
                     for key in ("before_script", "script") for line in job.get(key, []))


def test_ci_files_install_requirements_with_the_toolkit_wheel_as_the_buildspec_does():
    """requirements.txt's pins, mlops-guardrails from the wheel fetched from the template bucket; nothing else
    but the AWS CLI for GitLab's image."""
    install = "pip install --quiet --find-links wheels -r requirements.txt"
    for path in CI_FILES:
        text = commands(path)
        assert 'aws s3 cp --quiet "$TOOLKIT_WHEEL_URI" wheels/' in text and install in text, path
        assert {package for package, _ in re.findall(r"([A-Za-z0-9_.-]+)==([0-9.]+)", text)} <= {"awscli"}, path


def test_ci_files_run_the_buildspecs_commands():
    spec = [c for name in BUILDSPECS
            for c in yaml.safe_load((SEED / name).read_text())["phases"]["build"]["commands"]]
    for path in CI_FILES:
        text = commands(path)
        for command in spec:
            first_line = command.strip().splitlines()[0].strip()
            if first_line.startswith("if "):  # test-buildspec's STAGE switch: the CI runs the staging branch
                first_line = command.strip().splitlines()[1].strip()
            assert first_line in text, (path.name, first_line)
