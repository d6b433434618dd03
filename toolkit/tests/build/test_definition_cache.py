"""run_local's definition cache: what changes the key, and a cached run that never imports the SDK."""
import json
import subprocess
import sys

from seed_build import SEED
from mlops_guardrails.local import definition_cache
from mlops_guardrails.build.project import LOCAL_DEFAULTS, from_environment
from mlops_guardrails.build.run_local import cached_definition
from pipelines.run_local import REPO

PARAMETERS = {"region": "us-east-1", "hyperparameters": {}}


def copy_package(tmp_path):
    target = tmp_path / "pipelines"
    for path in (SEED / "pipelines").rglob("*.py"):
        destination = target / path.relative_to(SEED / "pipelines")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(path.read_bytes())
    return target


def test_cache_key_changes_with_pipeline_code_sdk_version_and_parameters(tmp_path, monkeypatch):
    package = copy_package(tmp_path)
    key = definition_cache.cache_key(PARAMETERS, package)
    assert definition_cache.cache_key(PARAMETERS, package) == key

    assert definition_cache.cache_key({**PARAMETERS, "hyperparameters": {"max_depth": "6"}}, package) != key

    script = package / "abalone" / "preprocess.py"
    script.write_text(script.read_text() + "\n# edited\n")
    edited = definition_cache.cache_key(PARAMETERS, package)
    assert edited != key

    monkeypatch.setattr(definition_cache, "sdk_versions", lambda: {"sagemaker": "0.0.0"})
    assert definition_cache.cache_key(PARAMETERS, package) != edited


def test_cache_store_then_load_round_trips_and_a_corrupt_entry_reads_as_missing(tmp_path):
    entry = {"definition": {"Version": "2020-12-01", "Steps": []}, "code_prefix": "s3://b/p/code/abc"}
    definition_cache.store("k1", entry, tmp_path)
    assert definition_cache.load("k1", tmp_path) == entry
    assert [p.name for p in tmp_path.iterdir()] == ["k1.json"]  # no temporary file left behind
    (tmp_path / "k2.json").write_text('{"definition": ')
    assert definition_cache.load("k2", tmp_path) is None
    assert definition_cache.load("absent", tmp_path) is None


CONTRACT_VARIABLES = [*LOCAL_DEFAULTS, "MODEL_PACKAGE_GROUP_NAME"]


def test_cached_definition_equals_the_built_one_and_skips_the_sdk_import(monkeypatch):
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    project = from_environment(LOCAL_DEFAULTS)
    built, prefix, origin = cached_definition(REPO, project, {}, use_cache=False)
    assert origin == "built"
    probe = (
        "import json, sys\n"
        "from mlops_guardrails.build.project import LOCAL_DEFAULTS, from_environment\n"
        "from mlops_guardrails.build.run_local import cached_definition\n"
        "from pipelines.run_local import REPO\n"
        "definition, prefix, origin = cached_definition(REPO, from_environment(LOCAL_DEFAULTS), {}, use_cache=True)\n"
        "sdk = sorted(name for name in sys.modules if name == 'sagemaker' or name.startswith('sagemaker.'))\n"
        "print(json.dumps({'definition': definition, 'prefix': prefix, 'origin': origin, 'sdk': sdk}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=SEED, capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    assert loaded["origin"] == "cached"
    assert loaded["sdk"] == []
    assert loaded["definition"] == built
    assert loaded["prefix"] == prefix


def test_no_cache_rebuilds_even_when_an_entry_matches():
    project = from_environment(LOCAL_DEFAULTS)
    cached_definition(REPO, project, {}, use_cache=True)
    assert cached_definition(REPO, project, {}, use_cache=False)[2] == "built"
    assert cached_definition(REPO, project, {}, use_cache=True)[2] == "cached"


def test_cache_folder_is_the_seeds_own_unless_the_variable_names_another(tmp_path, monkeypatch):
    monkeypatch.delenv(definition_cache.CACHE_VARIABLE, raising=False)
    assert definition_cache.cache_dir(SEED) == SEED / ".cache" / "definitions"
    monkeypatch.setenv(definition_cache.CACHE_VARIABLE, str(tmp_path))
    definition_cache.store("k", {"definition": {}, "code_prefix": "s3://b/p"}, definition_cache.cache_dir(SEED))
    assert definition_cache.load("k", definition_cache.cache_dir(SEED)) == {"definition": {}, "code_prefix": "s3://b/p"}
    assert (tmp_path / "k.json").is_file()
