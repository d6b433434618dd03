"""Code that both seeds carry (each seed stands alone) stays the same in both."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def body(path: str) -> str:
    """The file after its module docstring, which says what the module is for in its own seed."""
    text = (ROOT / path).read_text()
    return text[text.index('"""', 3) + 3:]


def test_both_seeds_carry_the_same_emulator():
    assert body("seed-build/pipelines/local/emulator.py") == body("seed-deploy/deploy/emulator.py")


def test_both_seeds_test_the_emulator_the_same_way():
    build = (ROOT / "seed-build/tests/test_emulator.py").read_text()
    deploy = (ROOT / "seed-deploy/tests/test_emulator.py").read_text()
    assert build.replace("pipelines.local.emulator", "deploy.emulator") == deploy


def test_both_seeds_carry_the_same_aws_error_lines():
    assert body("seed-build/pipelines/aws_errors.py") == body("seed-deploy/deploy/aws_errors.py")


def test_both_seeds_check_the_same_aws_formats():
    assert body("seed-build/pipelines/aws_formats.py") == body("seed-deploy/deploy/aws_formats.py")


def test_both_seeds_carry_the_same_xgboost_container_environment():
    assert body("seed-build/pipelines/local/xgboost_env.py") == body("seed-deploy/deploy/rehearsal/xgboost_env.py")


def test_both_seeds_pin_the_xgboost_container_environment_alike():
    def pins(path: str) -> list[str]:
        return [line for line in (ROOT / path).read_text().splitlines() if line and not line.startswith("#")]

    assert pins("seed-build/requirements-xgboost-1.7.txt") == pins("seed-deploy/requirements-xgboost-1.7.txt")


def test_both_seeds_check_their_ci_files_the_same_way():
    def shared(path: str) -> list[str]:
        return [line for line in (ROOT / path).read_text().splitlines() if not line.startswith("WORKFLOW, BUILDSPECS")]

    assert shared("seed-build/tests/test_ci_files.py") == shared("seed-deploy/tests/test_ci_files.py")
