"""Fixtures: the repository's scripts and CDK apps importable; one synthesis per session (shared cache)."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "scripts", ROOT / "service-catalog"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from cdk_apps import cached_synthesis  # noqa: E402


@pytest.fixture(scope="session")
def synthesis():
    return cached_synthesis()
