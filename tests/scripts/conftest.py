"""Fixtures of the script tests."""
import pytest

from remembered_lint import remembered_findings


@pytest.fixture(scope="session", autouse=True)
def _remembered_cfn_lint():
    """publish and lint run cfn-lint on the same templates test after test: each text is linted once."""
    with remembered_findings():
        yield
