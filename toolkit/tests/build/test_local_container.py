"""A step process sees /opt/ml mapped to its folder, is isolated, and fails with its log's tail."""
import sys
import textwrap

import pytest

from mlops_guardrails.local.container import container_root, run_process
from mlops_guardrails.local.errors import StepFailed
from mlops_guardrails.local.opt_ml import NATIVE_HINT, map_path

# What SageMaker scripts do with /opt/ml, through each file API they use.
SCRIPT = """
import glob, json, os, pathlib, shutil, tarfile
import pandas as pd
os.makedirs("/opt/ml/processing/output/nested", exist_ok=True)
pathlib.Path("/opt/ml/processing/output/nested/a.txt").write_text("a")
with open("/opt/ml/processing/output/b.txt", "w") as f:
    f.write("b")
shutil.copy("/opt/ml/processing/output/b.txt", "/opt/ml/processing/output/c.txt")
pd.DataFrame({"x": [1, 2]}).to_csv("/opt/ml/processing/output/frame.csv", index=False)
with tarfile.open("/opt/ml/processing/output/bundle.tar.gz", "w:gz") as archive:
    archive.add("/opt/ml/processing/output/nested", arcname="nested")
walked = sorted(name for _, _, names in os.walk("/opt/ml/processing/output") for name in names)
json.dump({
    "glob": sorted(glob.glob("/opt/ml/processing/output/*.txt")),
    "walk": walked,
    "exists": os.path.exists("/opt/ml/processing/output/c.txt"),
    "rows": len(pd.read_csv("/opt/ml/processing/output/frame.csv")),
    "sm_env": os.environ.get("PIP_REQUIRE_VIRTUALENV"),
}, open("/opt/ml/processing/output/report.json", "w"))
"""


def test_unchanged_script_reads_and_writes_opt_ml_in_its_step_folder(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    run_process(["python3", str(script)], tmp_path, tmp_path / "job.log")
    output = container_root(tmp_path) / "processing" / "output"
    import json

    report = json.loads((output / "report.json").read_text())
    assert report == {
        "glob": ["/opt/ml/processing/output/b.txt", "/opt/ml/processing/output/c.txt"],
        "walk": ["a.txt", "b.txt", "bundle.tar.gz", "c.txt", "frame.csv"],
        "exists": True,
        "rows": 2,
        "sm_env": "1",
    }
    assert (output / "nested" / "a.txt").read_text() == "a"


def test_native_code_opening_opt_ml_fails_with_a_hint(tmp_path):
    with pytest.raises(StepFailed) as failure:
        run_process(["cat", "/opt/ml/processing/input/data.csv"], tmp_path, tmp_path / "job.log")
    assert "/opt/ml/processing/input/data.csv: No such file or directory" in str(failure.value)
    assert NATIVE_HINT in str(failure.value)


def test_failure_carries_the_tail_of_the_log(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("for i in range(30):\n    print(f'line {i}')\nraise SystemExit('error: bad input')\n")
    with pytest.raises(StepFailed, match="^error: bad input$") as failure:
        run_process([sys.executable, str(script)], tmp_path, tmp_path / "job.log")
    assert failure.value.log_tail[0] == "line 16" and failure.value.log_tail[-1] == "error: bad input"
    assert failure.value.log_path == tmp_path / "job.log"


def test_step_over_its_time_limit_is_killed(tmp_path):
    with pytest.raises(StepFailed, match="timed out after 0.5s"):
        run_process(["python3", "-c", "import time; time.sleep(30)"], tmp_path, tmp_path / "job.log", timeout=0.5)


@pytest.mark.parametrize("path, expected", [
    ("/opt/ml", "/root"),
    ("/opt/ml/model/x", "/root/model/x"),
    ("/opt/mlx/model", "/opt/mlx/model"),
    ("relative/opt/ml", "relative/opt/ml"),
    (3, 3),
])
def test_map_path_maps_only_the_opt_ml_prefix(path, expected):
    assert map_path(path, "/root") == expected
