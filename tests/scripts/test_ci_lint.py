"""The seeds' CI files pass actionlint, zizmor and GitLab's CI schema; each linter fails a file that breaks its
rule (so a clean verdict means something)."""
from pathlib import Path

import pytest

import ci_lint

UNPINNED = """name: bad
on: [pull_request_target]
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""
SYNTAX = """name: bad
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: echo ${{ github.nope.value }}
        timeout-minutes: soon
"""
GITLAB_BAD = """deploy:
  stage: deploy
  script: 42
  when: sometimes
"""


def test_seed_ci_files_are_clean():
    runs = {run.tool: run for run in ci_lint.lint_ci_files()}
    assert sorted(runs) == ["actionlint", "check-jsonschema", "zizmor"]
    for run in runs.values():
        assert run.passed, (run.tool, run.output)
    assert [Path(f).name for f in runs["actionlint"].files] == ["model-build.yml", "deploy.yml"]
    assert len(runs["check-jsonschema"].files) == 2


def seed_with(tmp_path: Path, workflow: str, gitlab: str) -> Path:
    seed = tmp_path / "seed"
    (seed / ".github" / "workflows").mkdir(parents=True)
    (seed / ".github" / "workflows" / "ci.yml").write_text(workflow)
    (seed / ".gitlab-ci.yml").write_text(gitlab)
    return seed


def test_each_linter_fails_the_file_that_breaks_its_rule(tmp_path):
    clean_gitlab = (ci_lint.ROOT / "seed-build" / ".gitlab-ci.yml").read_text()
    clean_workflow = (ci_lint.ROOT / "seed-build" / ".github" / "workflows" / "model-build.yml").read_text()
    runs = {r.tool: r for r in ci_lint.lint_ci_files([seed_with(tmp_path / "a", UNPINNED, GITLAB_BAD)])}
    assert not runs["zizmor"].passed
    assert "unpinned-uses" in runs["zizmor"].output and "template-injection" in runs["zizmor"].output
    assert not runs["check-jsonschema"].passed
    runs = {r.tool: r for r in ci_lint.lint_ci_files([seed_with(tmp_path / "b", SYNTAX, clean_gitlab)])}
    assert not runs["actionlint"].passed and "github.nope" in runs["actionlint"].output
    assert runs["check-jsonschema"].passed
    runs = {r.tool: r for r in ci_lint.lint_ci_files([seed_with(tmp_path / "c", clean_workflow, clean_gitlab)])}
    assert all(run.passed for run in runs.values()), runs


def test_missing_linter_names_the_make_target(tmp_path):
    with pytest.raises(FileNotFoundError, match="make tools"):
        ci_lint.lint_ci_files(tools_bin=tmp_path)
