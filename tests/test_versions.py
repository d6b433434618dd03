"""One version number: the toolkit's (mlops_guardrails.__version__) is what each seed pins, what the wheel
is built as, what the template names and what publish uploads."""
import re
import zipfile
from pathlib import Path

from mlops_guardrails import __version__ as VERSION
from toolkit_wheel import build_wheel

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_semantic():
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", VERSION)


def test_each_seed_pins_exactly_the_toolkits_version():
    for seed in ("seed-build", "seed-deploy"):
        pins = re.findall(r"^mlops-guardrails==(\S+)$", (ROOT / seed / "requirements.txt").read_text(), re.M)
        assert pins == [VERSION], seed


def test_the_wheel_is_built_as_the_toolkits_version(tmp_path):
    wheel = build_wheel(tmp_path)
    assert wheel.name == f"mlops_guardrails-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"mlops_guardrails-{VERSION}.dist-info/METADATA").decode()
        names = archive.namelist()
    assert re.search(r"^Name: mlops-guardrails$", metadata, re.M) and re.search(rf"^Version: {VERSION}$", metadata, re.M)
    # The package's data travels with it: the schema, the rule tables, the XGBoost container's pins, the bootstrap.
    for name in ("deploy/config.schema.json", "deploy/instance_types.json", "deploy/analysis/prices.json",
                 "requirements-xgboost-1.7.txt", "local/bootstrap/sitecustomize.py"):
        assert f"mlops_guardrails/{name}" in names, name
