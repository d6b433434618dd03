"""One version number: the toolkit's (mlops_guardrails.__version__) is what each seed pins, what the wheel
is built as, what the template names, what the seeds' stamps say and what publish uploads."""
import io
import json
import re
import zipfile
from pathlib import Path

import mlops_guardrails
from mlops_guardrails import WHEEL_NAME
from seed_zips import STAMP_FILE
from toolkit_wheel import build_wheel

ROOT = Path(__file__).resolve().parent.parent
VERSION = mlops_guardrails.__version__


def test_the_version_is_semantic():
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", VERSION)


def test_each_seed_pins_exactly_the_toolkits_version():
    for seed in ("seed-build", "seed-deploy"):
        pins = re.findall(r"^mlops-guardrails==(\S+)$", (ROOT / seed / "requirements.txt").read_text(), re.M)
        assert pins == [VERSION], seed


def test_the_wheel_is_built_as_the_toolkits_version(tmp_path):
    wheel = build_wheel(tmp_path)
    assert wheel.name == WHEEL_NAME == f"mlops_guardrails-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"mlops_guardrails-{VERSION}.dist-info/METADATA").decode()
        names = archive.namelist()
    assert re.search(r"^Name: mlops-guardrails$", metadata, re.M) and re.search(rf"^Version: {VERSION}$", metadata, re.M)
    # Every module and data file of the package travels with it: the schema, the rule tables, the XGBoost
    # container's pins, the bootstrap.
    source = Path(mlops_guardrails.__file__).parent
    expected = {f"mlops_guardrails/{path.relative_to(source).as_posix()}" for path in source.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts}
    assert sorted(expected - set(names)) == []
    for name in ("deploy/config.schema.json", "deploy/instance_types.json", "deploy/analysis/prices.json",
                 "requirements-xgboost-1.7.txt", "local/bootstrap/sitecustomize.py", "build/run_local.py"):
        assert f"mlops_guardrails/{name}" in names, name


def test_publish_uploads_the_wheel_where_the_template_names_it_under_the_toolkits_version(synthesis, emulator):
    """Published with the defaults: the product version is the toolkit's, the wheel sits beside the seed zips
    under that version's prefix, and the template's defaults point CodeBuild at exactly that object."""
    import boto3
    import publish

    options = publish.Options(asset_bucket="versions-assets")
    assert options.version == VERSION
    publish.publish(options, progress=lambda _line: None)
    s3 = boto3.client("s3")
    prefix = f"sagemaker-project/{VERSION}/"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="versions-assets", Prefix=prefix)["Contents"]}
    assert {f"{prefix}{WHEEL_NAME}", f"{prefix}seed-build.zip", f"{prefix}seed-deploy.zip"} <= keys
    template = json.loads(s3.get_object(Bucket="versions-assets", Key=f"{prefix}sagemaker-project.json")["Body"].read())
    assert template["Parameters"]["ToolkitWheelKey"]["Default"] == f"{prefix}{WHEEL_NAME}"
    assert template["Parameters"]["BuildSeedKey"]["Default"] == f"{prefix}seed-build.zip"
    assert template["Parameters"]["SeedBucket"]["Default"] == "versions-assets"
    # The seeds' version stamp (the upgrade's merge base) names the same version.
    for seed in ("seed-build", "seed-deploy"):
        body = s3.get_object(Bucket="versions-assets", Key=f"{prefix}{seed}.zip")["Body"].read()
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert json.loads(archive.read(STAMP_FILE))["template_version"] == VERSION, seed
