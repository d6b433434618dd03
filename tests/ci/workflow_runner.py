"""Runs a CI file's jobs as their scripts: GitHub Actions `run:` steps or GitLab `before_script` + `script`, in
order, in one bash per command with the job's variables, the first failure stopping the run.

What the CI itself provides is stood in for, as the CodeBuild runner of the demo does (scripts/demo_story/
codebuild.py): `uses:` steps (checkout: the work folder is the repository copy; setup-python: this venv's
python first on PATH; configure-aws-credentials and the OIDC token: the emulator's fake credentials;
upload/download-artifact: every job shares the one work folder) and the install lines (this venv holds the
same pins). Every other command runs as written, `aws` being tests/ci/aws_cli.py (the emulator's
CloudFormation stand-in for `aws cloudformation deploy`, boto3 for `aws s3`)."""
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
# CI plumbing that the runner stands in for (see the module docstring); matched at a command's start.
PLUMBING = ("pip install", "python -m venv /tmp/awscli", "export PATH=", "printf '%s' \"$AWS_ID_TOKEN\"",
            "aws s3 cp --quiet \"$TOOLKIT_WHEEL_URI\"")
COMMAND_TIMEOUT = 300


@dataclass
class Job:
    name: str
    env: dict[str, str]
    commands: list[str]
    environment: str | None = None
    one_shell: bool = False  # GitLab runs a job's lines in one shell; GitHub each step in its own


@dataclass
class JobRun:
    name: str
    passed: bool
    ran: list[str] = field(default_factory=list)
    output: str = ""


def _github_value(value, variables: dict[str, str]) -> str:
    """`${{ vars.NAME }}` -> the repository variable; any other expression is refused (the runner would guess)."""
    def replace(match):
        expression = match.group(1).strip()
        if not expression.startswith("vars."):
            raise ValueError(f"expression ${{{{ {expression} }}}}: only vars.* is evaluated by the runner")
        return variables[expression.removeprefix("vars.")]
    return re.sub(r"\$\{\{(.+?)\}\}", replace, str(value))


def github_jobs(path: Path, variables: dict[str, str]) -> list[Job]:
    """The workflow's jobs in file order (each job's `needs` precede it there), env merged workflow < job."""
    workflow = yaml.safe_load(path.read_text())
    jobs = []
    for name, job in workflow["jobs"].items():
        env = {k: _github_value(v, variables) for k, v in {**workflow.get("env", {}), **job.get("env", {})}.items()}
        commands = [step["run"] for step in job["steps"] if "run" in step]
        jobs.append(Job(name, env, commands, job.get("environment")))
    return jobs


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), str(value))


def gitlab_jobs(path: Path, variables: dict[str, str]) -> list[Job]:
    """The pipeline's jobs by stage order, `extends` applied, variables merged CI/CD < file < job (GitLab
    expands `$NAME` in a variable's value)."""
    pipeline = yaml.safe_load(path.read_text())
    jobs = []
    for stage in pipeline["stages"]:
        for name, job in pipeline.items():
            if not isinstance(job, dict) or name.startswith(".") or job.get("stage") != stage:
                continue
            base = pipeline.get(job.get("extends", ""), {})
            env = dict(variables)
            for key, value in {**pipeline.get("variables", {}), **job.get("variables", {})}.items():
                env[key] = _expand(value, env)
            commands = [*job.get("before_script", base.get("before_script", [])), *job["script"]]
            environment = job.get("environment", {}).get("name")
            jobs.append(Job(name, env, commands, environment, one_shell=True))
    return jobs


def run_job(job: Job, workdir: Path, base_env: dict[str, str]) -> JobRun:
    """The job's commands in `workdir`; plumbing skipped; stops at the first failing command."""
    path = f"{HERE / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{base_env.get('PATH', '')}"
    env = {**base_env, **job.env, "PATH": path, "PYTHONUNBUFFERED": "1"}
    run = JobRun(job.name, True)
    commands = [c for c in job.commands if not c.lstrip().startswith(PLUMBING)]
    if job.one_shell:
        run.ran = commands
        commands = ["\n".join(commands)]
    for command in commands:
        done = subprocess.run(["bash", "-e", "-c", command], cwd=workdir, env=env, text=True, capture_output=True,
                              timeout=COMMAND_TIMEOUT)
        if not job.one_shell:
            run.ran.append(command)
        run.output += done.stdout + done.stderr
        if done.returncode != 0:
            run.passed = False
            return run
    return run


def run_jobs(jobs: list[Job], workdir: Path, base_env: dict[str, str]) -> list[JobRun]:
    """Jobs in order; a failed job stops the pipeline (its dependants never start)."""
    runs = []
    for job in jobs:
        runs.append(run_job(job, workdir, base_env))
        if not runs[-1].passed:
            break
    return runs
