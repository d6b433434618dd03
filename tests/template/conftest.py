"""Fixtures of the template tests: the synthesized project template."""
import pytest


@pytest.fixture(scope="session")
def project_template(synthesis) -> dict:
    return synthesis.template("sagemaker-project")
