"""checkov (pinned in .venv-tools) on the synthesized templates: no failed check; every skip carries its reason."""
import pytest

import lint

# The skips, and only these, each with its reason in the template's metadata (template/components/nag.py).
EXPECTED_SKIPS = {("sagemaker-project.json", "CKV_AWS_18")} | {
    (template, check) for template in ("sagemaker-project-portfolio.json", "sagemaker-project-target-account.json",
                                       "sagemaker-project-launch-role.json")
    for check in ("CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_111")}


@pytest.fixture(scope="module")
def result(synthesis):
    (folder,) = {path.parent for path in synthesis.templates.values()}
    return lint.checkov(folder)


def test_checkov_finds_no_failed_check(result):
    assert result.failed == []
    assert result.passed > 150


def test_every_skip_is_expected_and_has_a_reason(result):
    skips = [line.split(": ", 3) for line in result.skipped]
    assert {(template, check) for template, _, check, _ in skips} == EXPECTED_SKIPS
    assert all(len(reason) > 40 for *_, reason in skips), skips
