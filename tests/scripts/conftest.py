"""Fixtures of the script tests."""
from remembered_lint import remembered_cfn_lint  # noqa: F401  (autouse: publish and lint.py lint the same templates)
