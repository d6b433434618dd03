"""The seeds' CI files linted with the tools venv's pinned linters: actionlint (GitHub workflow syntax and
expressions), zizmor (workflow security: permissions, injection, unpinned actions) and check-jsonschema with
its bundled GitLab CI schema (.gitlab-ci.yml). All offline."""
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = ROOT / ".venv-tools" / "bin"
SEEDS = (ROOT / "seed-build", ROOT / "seed-deploy")
TIMEOUT = 120


@dataclass(frozen=True)
class LintRun:
    """One linter on one set of files: the command's exit code and what it printed."""

    tool: str
    files: list[str]
    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def workflow_files(seeds=SEEDS) -> list[Path]:
    return sorted(path for seed in seeds for path in (seed / ".github" / "workflows").glob("*.yml"))


def gitlab_files(seeds=SEEDS) -> list[Path]:
    return sorted(seed / ".gitlab-ci.yml" for seed in seeds if (seed / ".gitlab-ci.yml").is_file())


def commands(tools_bin: Path = TOOLS_BIN) -> dict[str, tuple[list[str], str]]:
    """Each linter's command line (files are appended) and which files it takes. zizmor runs --offline (no
    GitHub API lookups) and exits non-zero on any finding."""
    return {
        "actionlint": ([str(tools_bin / "actionlint"), "-no-color"], "workflows"),
        "zizmor": ([str(tools_bin / "zizmor"), "--offline", "--no-progress"], "workflows"),
        "check-jsonschema": ([str(tools_bin / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci"], "gitlab"),
    }


def lint_ci_files(seeds=SEEDS, tools_bin: Path = TOOLS_BIN) -> list[LintRun]:
    """Run the three linters over the seeds' CI files; a missing linter raises with what to run."""
    workflows, gitlab = workflow_files(seeds), gitlab_files(seeds)
    if not workflows or not gitlab:
        raise FileNotFoundError(f"no CI files under {', '.join(str(s) for s in seeds)} (.github/workflows, "
                                ".gitlab-ci.yml)")
    files = {"workflows": [str(p) for p in workflows], "gitlab": [str(p) for p in gitlab]}
    runs = []
    for tool, (command, kind) in commands(tools_bin).items():
        if not Path(command[0]).exists():
            raise FileNotFoundError(f"{command[0]} is missing: run `make tools` (the linters' venv)")
        done = subprocess.run([*command, *files[kind]], capture_output=True, text=True, timeout=TIMEOUT)
        runs.append(LintRun(tool, files[kind], done.returncode, (done.stdout + done.stderr).strip()))
    return runs
