"""Fixtures of the template tests: the synthesized project template."""
import pytest

from remembered_lint import remembered_findings


@pytest.fixture(scope="session", autouse=True)
def _remembered_cfn_lint():
    """The linter tests lint the templates publish lints too (tests/scripts): each text is linted once."""
    with remembered_findings():
        yield


@pytest.fixture(scope="session")
def project_template(synthesis) -> dict:
    return synthesis.template("sagemaker-project")
