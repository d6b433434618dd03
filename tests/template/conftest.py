"""Fixtures of the template tests: one synthesis per session, a resolver for parameter sets."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from cdk_apps import cached_synthesis  # noqa: E402



@pytest.fixture(scope="session")
def synthesis():
    return cached_synthesis()


@pytest.fixture(scope="session")
def project_template(synthesis) -> dict:
    return synthesis.template("sagemaker-project")
