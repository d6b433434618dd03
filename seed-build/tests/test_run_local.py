"""run_local end to end against the session's emulator: the real pipeline on the real data."""
import json
import shutil

import boto3
import pytest

from pipelines import code, run_local
from pipelines.abalone import preprocess
from mlops_guardrails.build.run_local import step_images
from mlops_guardrails.local import warm_start


def use_project(monkeypatch, name):
    """Each test registers into its own group, so their registries never mix."""
    monkeypatch.setenv("SAGEMAKER_PROJECT_NAME", name)
    monkeypatch.setenv("SAGEMAKER_PROJECT_ID", "p-test")
    return f"{name}-p-test"


def packages(group):
    sagemaker = boto3.client("sagemaker")
    try:
        return sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    except sagemaker.exceptions.ClientError:
        return []


def read_s3_json(uri):
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.fixture(scope="module")
def default_run(emulator_url, tmp_path_factory):
    """One full default run for the module's assertions (it takes several seconds)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ENDPOINT_URL", emulator_url)
    group = use_project(mp, "default-run")
    capture = tmp_path_factory.mktemp("out") / "stdout.txt"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run_local.main(["--work-dir", str(tmp_path_factory.mktemp("work"))])
    capture.write_text(out.getvalue())
    yield code, out.getvalue(), group
    mp.undo()


def test_run_local_defaults_registers_a_pending_package_with_test_mse_in_range(default_run, emulator):
    code, stdout, group = default_run
    assert code == 0
    (summary,) = packages(group)
    assert summary["ModelApprovalStatus"] == "PendingManualApproval"
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    evaluation = read_s3_json(package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"])
    mse = evaluation["regression_metrics"]["mse"]["value"]
    assert f"{mse:.4f}" == "5.2248"  # the seed's figure with defaults (seeded split, training under xgboost 1.7.4)
    assert f"test-set MSE: {mse:.4f}" in stdout


def test_run_local_prints_a_table_row_per_step(default_run):
    _, stdout, _ = default_run
    for name, kind in [
        ("PreprocessAbaloneData", "Processing"), ("DataQualityBaseline", "Processing"),
        ("TrainAbaloneModel", "Training"), ("EvaluateAbaloneModel", "Processing"),
        ("CheckMseAbaloneEvaluation", "Condition"), ("RegisterAbaloneModel", "RegisterModel"),
    ]:
        assert any(line.split()[:3] == [name, kind, "Succeeded"] and line.rstrip().endswith("s") for line in stdout.splitlines())


def test_run_local_registers_model_artifact_and_baseline_retrievable_from_s3(default_run, emulator):
    _, _, group = default_run
    (summary,) = packages(group)
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["Image"].endswith("/sagemaker-xgboost:1.7-1")
    bucket, _, key = container["ModelDataUrl"].removeprefix("s3://").partition("/")
    assert key.endswith("/output/model.tar.gz")
    assert boto3.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"] > 1000
    quality = package["ModelMetrics"]["ModelDataQuality"]
    statistics = read_s3_json(quality["Statistics"]["S3Uri"])
    constraints = read_s3_json(quality["Constraints"]["S3Uri"])
    assert [f["name"] for f in statistics["features"]][:3] == ["prediction", "sex_F", "sex_I"]
    assert statistics["dataset"]["item_count"] == 2924
    assert all(f["num_constraints"]["is_non_negative"] for f in constraints["features"])


def test_run_local_mse_threshold_one_fails_with_the_fail_message_and_registers_nothing(emulator, monkeypatch, tmp_path, capsys):
    group = use_project(monkeypatch, "strict-threshold")
    code = run_local.main(["--param", "MseThreshold=1.0", "--work-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "error: pipeline failed at step " in captured.err and ": Test-set MSE " in captured.err
    assert "error: error:" not in captured.err
    assert "is above the threshold 1.0" in captured.err
    assert "AbaloneMseFail" in captured.out
    assert packages(group) == []


def test_run_local_missing_input_file_exits_2_and_registers_nothing(emulator, monkeypatch, tmp_path, capsys):
    group = use_project(monkeypatch, "missing-input")
    code = run_local.main(["--param", f"InputDataUrl={tmp_path / 'nope.csv'}", "--work-dir", str(tmp_path)])
    assert code == 2
    assert f"error: InputDataUrl: {tmp_path / 'nope.csv'}: no such file" in capsys.readouterr().err
    assert packages(group) == []


def test_run_local_csv_with_wrong_columns_fails_in_preprocess_and_registers_nothing(emulator, monkeypatch, tmp_path, capsys):
    group = use_project(monkeypatch, "wrong-columns")
    bad = tmp_path / "five-columns.csv"
    bad.write_text("M,0.455,0.365,0.095,15\nF,0.53,0.42,0.135,9\n")
    code = run_local.main(["--param", f"InputDataUrl={bad}", "--work-dir", str(tmp_path / "work")])
    captured = capsys.readouterr()
    assert code == 1
    assert "five-columns.csv: 5 columns: the abalone CSV has 9" in captured.err
    assert "PreprocessAbaloneData" in captured.out and "Failed" in captured.out
    assert packages(group) == []


@pytest.mark.parametrize("argv, message", [
    (["--param", "Nope=1"], "error: unknown parameter Nope: the pipeline takes ProcessingInstanceType"),
    (["--param", "MseThreshold=low"], "error: parameter MseThreshold: 'low': not a valid Float"),
    (["--param", "MseThreshold"], "error: --param 'MseThreshold': expected NAME=VALUE"),
])
def test_run_local_bad_param_exits_2_before_anything_runs(emulator, monkeypatch, argv, message, capsys):
    group = use_project(monkeypatch, "bad-param")
    assert run_local.main(argv) == 2
    assert message in capsys.readouterr().err
    assert packages(group) == []


def test_run_local_says_how_it_got_the_definition_and_how_its_steps_started(default_run):
    _, stdout, _ = default_run
    assert any(line in ("definition: cached", "definition: built") for line in stdout.splitlines())
    if not warm_start.unavailable_reason():
        assert "step processes: 4 warm-started (forked after importing numpy, pandas; numpy, pandas, xgboost)" in stdout.splitlines()


def test_the_run_knows_every_steps_environment_from_the_definition_before_any_step():
    """Images named in processing, training and model steps (branches included, parameters resolved) give
    the forkservers to start: the project's for scikit-learn's, the container's Python for XGBoost 1.7-1's;
    an image known only once a step has run, or with no local environment, is left for its step to report."""
    import sys

    from mlops_guardrails import xgboost_env
    from mlops_guardrails.local.container import PROJECT_PRELOAD, XGBOOST_PRELOAD, step_environments

    ecr = "683313688378.dkr.ecr.us-east-1.amazonaws.com"
    sklearn, xgb = f"{ecr}/sagemaker-scikit-learn:1.2-1-cpu-py3", f"{ecr}/sagemaker-xgboost:1.7-1"
    definition = {"Steps": [
        {"Name": "P", "Type": "Processing", "Arguments": {"AppSpecification": {"ImageUri": sklearn}}},
        {"Name": "C", "Type": "Condition", "Arguments": {"IfSteps": [
            {"Name": "T", "Type": "Training", "Arguments": {"AlgorithmSpecification": {"TrainingImage": {"Get": "Parameters.Image"}}}},
            {"Name": "M", "Type": "Model", "Arguments": {"PrimaryContainer": {"Image": {"Get": "Steps.T.Image"}}}},
        ], "ElseSteps": [
            {"Name": "Old", "Type": "Training", "Arguments": {"AlgorithmSpecification": {"TrainingImage": f"{ecr}/sagemaker-xgboost:0.90-1"}}},
        ]}},
    ]}
    images = step_images(definition, {"Image": xgb})
    assert images == {sklearn, xgb, f"{ecr}/sagemaker-xgboost:0.90-1"}
    assert step_environments(images) == {sys.executable: PROJECT_PRELOAD,
                                         str(xgboost_env.python_for("1.7-1")): XGBOOST_PRELOAD}


def test_run_local_registers_the_models_input_signature_with_the_package(default_run, emulator):
    _, _, group = default_run
    (summary,) = packages(group)
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    signature = read_s3_json(package["CustomerMetadataProperties"]["FeatureSignatureS3Uri"])
    assert [f["name"] for f in signature["features"]] == preprocess.FEATURES
    assert signature["count"] == len(preprocess.FEATURES)


def test_run_local_baseline_that_disagrees_with_the_signature_fails_and_registers_nothing(emulator, monkeypatch, tmp_path, capsys):
    group = use_project(monkeypatch, "signature-mismatch")
    scripts = tmp_path / "abalone"
    shutil.copytree(code.SCRIPTS_DIR, scripts)
    edited = scripts / "preprocess.py"
    # The baseline written from another list than the model's features: the mistake the check exists for.
    edited.write_text(edited.read_text().replace("[FEATURES].to_csv(baseline", "[FEATURES[:-1]].to_csv(baseline"))
    monkeypatch.setattr(code, "SCRIPTS_DIR", scripts)

    exit_code = run_local.main(["--no-cache", "--work-dir", str(tmp_path / "work")])

    captured = capsys.readouterr()
    assert exit_code == 1
    assert ("signature.json has 10 features (sex_F, sex_I, sex_M, length, diameter, height, whole_weight, "
            "shucked_weight, viscera_weight, shell_weight); baseline.csv has 9 (sex_F") in captured.err
    assert any(line.split()[:3] == ["DataQualityBaseline", "Processing", "Failed"] for line in captured.out.splitlines())
    assert packages(group) == []


def test_run_local_summary_follows_renamed_steps(emulator, monkeypatch, tmp_path, capsys):
    group = use_project(monkeypatch, "renamed-steps")
    source = code.SCRIPTS_DIR / "pipeline.py"
    package = tmp_path / "renamed"
    shutil.copytree(code.SCRIPTS_DIR, package)
    text = source.read_text().replace('"EvaluateAbaloneModel"', '"ScoreModel"').replace('"RegisterAbaloneModel"', '"Publish"')
    (package / "pipeline.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    renamed = importlib.import_module("renamed.pipeline")
    monkeypatch.setattr("pipelines.abalone.pipeline.get_pipeline", renamed.get_pipeline)

    assert run_local.main(["--no-cache", "--work-dir", str(tmp_path / "work")]) == 0

    out = capsys.readouterr().out
    assert "ScoreModel" in out and "test-set MSE: 5.2248" in out and "[ScoreModel]" in out
    (summary,) = packages(group)
    assert f"registered: {summary['ModelPackageArn']}" in out
