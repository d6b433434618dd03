"""cfn-lint's findings remembered by template text for the test session.

cfn-lint is a pure function of the template text and the regions (0.4-1.3 s a template), and the repository
tests lint the same texts many times: the synthesized templates (the linter tests, and every publish, which lints
before it uploads) and seed-deploy's endpoint renders (every scripts/lint.py run). The first call with a text
runs the real cfn-lint; later calls with the same text and regions get its findings again. A different text is
always linted anew, so a test that feeds a broken template still sees cfn-lint's own verdict on it."""
import cfnlint.api
import pytest

_FINDINGS: dict[tuple[str, tuple[str, ...]], list] = {}


def _lint(s, rules=None, regions=None, config=None, *, _real=cfnlint.api.lint):
    if rules is not None or config is not None:  # custom rules or settings: not what the memo saw
        return _real(s, rules, regions, config)
    key = (s, tuple(regions or ()))
    if key not in _FINDINGS:
        _FINDINGS[key] = _real(s, regions=regions)
    return list(_FINDINGS[key])


@pytest.fixture(scope="session", autouse=True)
def remembered_cfn_lint():
    """cfnlint.api.lint (which scripts/lint.py's cfn_lint calls) answers from the memo for the rest of the session.
    Each test folder that lints imports this fixture into its conftest; the first to start it patches."""
    if cfnlint.api.lint is _lint:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cfnlint.api, "lint", _lint)
        yield
