"""scripts/demo.py's options: bad values exit 2 before anything starts."""
import importlib.util
from pathlib import Path

import pytest

# Loaded from its path: `import demo` would find this test package (tests/demo) first.
_SPEC = importlib.util.spec_from_file_location("demo_cli", Path(__file__).resolve().parents[2] / "scripts" / "demo.py")
demo = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(demo)


@pytest.mark.parametrize("speed", ["0", "151", "-5"])
def test_demo_cli_speed_out_of_range_exits_2(speed, capsys):
    with pytest.raises(SystemExit) as stopped:
        demo.parse(["--speed", speed])
    assert stopped.value.code == 2
    assert f"--speed: {float(speed)}: must be > 0 and <= 150" in capsys.readouterr().err


def test_demo_cli_fast_uses_the_tests_clock_and_traffic(tmp_path):
    settings = demo.settings_from(demo.parse(["--fast", "--out", str(tmp_path)]))
    assert (settings.speed, settings.ab_requests, settings.shadow_requests, settings.out_dir) == (
        120.0, 200, 100, tmp_path)
