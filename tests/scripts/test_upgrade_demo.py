"""make upgrade-demo: the rehearsal of 1.0.0 (git revision ae859d0) -> the work tree runs to its end offline."""
import argparse
import subprocess

import pytest

import upgrade_demo
from cdk_apps import ROOT
from mlops_guardrails.emulator import FAKE_CREDENTIALS

REVISION = "ae859d0"


def test_the_upgrade_rehearsal_merges_keeps_the_team_edit_and_reruns_to_nothing(tmp_path, monkeypatch):
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{REVISION}^{{commit}}"]).returncode != 0:
        pytest.skip(f"{REVISION} is not in this clone's history (a shallow clone): the rehearsal's old version")
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)  # restored after the test (the rehearsal sets them process-wide)
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("## 2.0.0\n- thin seeds pin mlops-guardrails\n\n## 1.0.0\n- first release\n")
    lines = []
    args = argparse.Namespace(from_rev=REVISION, from_version="1.0.0", to_version="2.0.0", changelog=changelog,
                              out=tmp_path / "out")
    assert upgrade_demo.rehearse(args, progress=lines.append) == 0
    assert "    - thin seeds pin mlops-guardrails" in lines
    assert any(line.startswith("    seed-build: template-upgrade/2.0.0 on top of main:") and
               line.endswith("the team's README section kept") for line in lines)
    assert lines[-2] == "==> churn: already at template 2.0.0: nothing changed"
    assert (tmp_path / "out" / "churn-seed-deploy-2.0.0.md").read_text().startswith(
        "Template upgrade of acme/churn-deploy: 1.0.0 -> 2.0.0.")
