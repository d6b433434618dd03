"""Fixtures of the template tests: the synthesized project template."""
import pytest

from remembered_lint import remembered_cfn_lint  # noqa: F401  (autouse: the templates publish lints too)


@pytest.fixture(scope="session")
def project_template(synthesis) -> dict:
    return synthesis.template("sagemaker-project")
