"""A seed becomes a team's repository on its own: every path its files cite is inside the seed or inside the
pinned package (mlops_guardrails/...), never one of this repository's other folders."""
import re
import subprocess
from pathlib import Path

import pytest

import mlops_guardrails

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(mlops_guardrails.__file__).parent
REPOSITORY_ONLY = re.compile(r"(shared/reference|docs/contracts\.md|\btemplate/|\bscripts/|service-catalog/|"
                             r"\bseed-(build|deploy)\b|\btoolkit/)")
PACKAGE_PATH = re.compile(r"mlops_guardrails/([\w/.-]+\.(py|json|txt))")


def seed_files(seed: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", seed], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / name for name in listed.stdout.split() if not re.search(r"/(data|sample-data)/", name)]


@pytest.mark.parametrize("seed", ["seed-build", "seed-deploy"])
def test_a_seed_cites_no_other_folder_of_this_repository(seed):
    cited = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}" for path in seed_files(seed)
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
             if REPOSITORY_ONLY.search(line)]
    assert cited == []


@pytest.mark.parametrize("seed", ["seed-build", "seed-deploy"])
def test_every_package_path_a_seed_cites_exists_in_the_package(seed):
    cited = {match.group(1) for path in seed_files(seed) for match in PACKAGE_PATH.finditer(path.read_text())}
    assert cited  # the READMEs say where the machinery lives
    assert sorted(name for name in cited if not (PACKAGE / name).is_file()) == []


def test_the_check_finds_a_repository_path():
    assert REPOSITORY_ONLY.search("# see shared/reference/sagemaker-facts.md")
    assert REPOSITORY_ONLY.search("(template/README.md)") and not REPOSITORY_ONLY.search("endpoint-template.yml")
