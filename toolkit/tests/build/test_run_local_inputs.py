"""Local input files are owned by their run: two runs at once on different data each train on their own."""
import contextlib
import io
import os
import subprocess
import sys
import tarfile

import boto3
from seed_build import DATA, SEED
from mlops_guardrails.build.run_local import input_key
from pipelines import run_local  # seed-build's entry: its pipeline is the one run
from mlops_guardrails.build.project import LOCAL_DEFAULTS, from_environment

SHIFT = 20  # dataset B's rings are A's + 20: a model trained on B predicts about 20 more


def write_dataset(path, rows, shift):
    header, *lines = DATA.read_text().splitlines()
    out = [header] + [",".join(line.split(",")[:-1] + [str(int(line.split(",")[-1]) + shift)]) for line in rows(lines)]
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(out) + "\n")
    return len(out) - 1


def registered_package(stdout):
    (line,) = [line for line in stdout.splitlines() if line.startswith("registered: ")]
    return boto3.client("sagemaker").describe_model_package(ModelPackageName=line.removeprefix("registered: "))


def mean_predictions(packages, features_csv, tmp_path):
    """Each registered model's mean prediction, by the XGBoost container's own xgboost (1.7: the model file is
    its binary format, which the repo's newer xgboost does not read); one interpreter for all the models."""
    from mlops_guardrails import xgboost_env

    models = []
    for package in packages:
        bucket, _, key = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].removeprefix("s3://").partition("/")
        archive = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        models.append(tmp_path / f"{package['ModelPackageVersion']}-xgboost-model")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            models[-1].write_bytes(tar.extractfile("xgboost-model").read())
    predict = ("import sys, numpy as np, xgboost as x; d = x.DMatrix(np.loadtxt(sys.argv[1], delimiter=',', ndmin=2)[:, 1:])\n"
               "for path in sys.argv[2:]:\n    b = x.Booster(); b.load_model(path); print(float(b.predict(d).mean()))")
    result = subprocess.run([str(xgboost_env.python_for("1.7-1")), "-c", predict, str(features_csv), *map(str, models)],
                            capture_output=True, text=True, check=True)
    return [float(line) for line in result.stdout.split()]


def baseline_rows(package):
    uri = package["ModelMetrics"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    import json

    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())["dataset"]["item_count"]


def test_input_key_is_content_addressed_and_names_the_file(tmp_path):
    first, second, same = tmp_path / "a" / "data.csv", tmp_path / "b" / "data.csv", tmp_path / "c" / "data.csv"
    for path, text in [(first, "1\n"), (second, "2\n"), (same, "1\n")]:
        path.parent.mkdir()
        path.write_text(text)
    keys = [input_key(path, "p-build") for path in (first, second, same)]
    assert keys[0] != keys[1] and keys[0] == keys[2]
    assert keys[0].startswith("p-build/local-input/") and keys[0].endswith("/data.csv")


def test_two_concurrent_local_runs_on_different_same_named_files_each_train_on_their_own(emulator, tmp_path, monkeypatch):
    # Same project, bucket and file name: before content-addressed keys both went to local-input/data.csv.
    monkeypatch.setenv("SAGEMAKER_PROJECT_NAME", "concurrent-inputs")
    a, b = tmp_path / "a" / "data.csv", tmp_path / "b" / "data.csv"
    rows_a = write_dataset(a, lambda lines: lines[:1500], 0)
    rows_b = write_dataset(b, lambda lines: lines[-2000:], SHIFT)
    argv = {name: ["--param", f"InputDataUrl={path}", "--param", "MseThreshold=100", "--work-dir", str(tmp_path / f"work-{name}")]
            for name, path in (("a", a), ("b", b))}
    # Run b as the command a user types, in its own process (the suite's one real `python -m
    # pipelines.run_local`), and a meanwhile in this process: two runs at once, without paying a second
    # interpreter's start.
    env = {**os.environ, "PYTHONPATH": str(SEED)}
    process_b = subprocess.Popen([sys.executable, "-m", "pipelines.run_local", *argv["b"]], cwd=SEED, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_a, err_a = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out_a), contextlib.redirect_stderr(err_a):
        code_a = run_local.main(argv["a"])
    out_b, err_b = process_b.communicate(timeout=300)
    assert [code_a, process_b.returncode] == [0, 0], [err_a.getvalue(), err_b]
    package_a, package_b = registered_package(out_a.getvalue()), registered_package(out_b)
    # The baseline step profiles the training split (70% of the rows) of the run's own file.
    assert (baseline_rows(package_a), baseline_rows(package_b)) == (round(rows_a * 0.7), round(rows_b * 0.7))
    test_split = next((tmp_path / "work-a").rglob("test/test.csv"))  # label first, then the features
    mean_a, mean_b = mean_predictions([package_a, package_b], test_split, tmp_path)
    assert mean_b - mean_a > SHIFT - 3
    bucket = from_environment(LOCAL_DEFAULTS).artifact_bucket
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="concurrent-inputs-")["Contents"]
            if "/local-input/" in o["Key"]]
    assert len(keys) == 2 and all(key.endswith("/data.csv") for key in keys)
