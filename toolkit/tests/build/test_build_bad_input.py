"""Every command of this seed, fed bad input: exit code, a one-line message naming the problem, nothing changed.

Each row: an id, the command's main() and its arguments (run in-process), environment overrides, the
expected exit code and a fragment the error must contain. Rows that stop before the pipeline runs (exit 2)
leave the registry, every S3 object and the input folder as they were; rows where a step fails (exit 1)
register nothing.
"""
import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import sys

import boto3
import pytest

from seed_build import DATA, SEED
from mlops_guardrails.build import run_pipeline
from mlops_guardrails.build import run_local  # seed-build's entry: its pipeline is the one run

ROLE = "arn:aws:iam::123456789012:role/SageMakerPipelineRole"
PROJECT = {"SAGEMAKER_PROJECT_NAME": "bad-input", "SAGEMAKER_PROJECT_ID": "p-bad"}
GROUP = "bad-input-p-bad"
UNREACHABLE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}  # nothing listens on port 9


def kwargs(**values) -> str:
    base = {"default_bucket": "bad-input-bucket", "pipeline_name": "bad-input-build", "model_package_group_name": GROUP}
    return str({**base, **values}).replace("'", '"')


LOCAL, PIPELINE = run_local.main, run_pipeline.main
FAIL = {"Name": "A", "Type": "Fail", "Arguments": {"ErrorMessage": "stop"}}
# case -> (the definition file's bytes, the error's fragment)
DEFINITIONS = {
    "absolute-step-name": (json.dumps({"Steps": [{**FAIL, "Name": "/tmp/outside"}]}),
                           "Steps[0].Name: '/tmp/outside': must be 1-64 letters, digits, '-' or '_' (SageMaker's StepName)"),
    "parent-step-name": (json.dumps({"Steps": [{**FAIL, "Name": "../x"}]}), "Steps[0].Name: '../x': must be 1-64"),
    "step-name-65": (json.dumps({"Steps": [{**FAIL, "Name": "x" * 65}]}), "Steps[0].Name: 'xxxxx"),
    "branch-step-name": (json.dumps({"Steps": [{"Name": "C", "Type": "Condition", "Arguments": {
        "Conditions": [], "IfSteps": [{**FAIL, "Name": "a/b"}]}}]}), "Steps[0].Arguments.IfSteps[0].Name: 'a/b': must be"),
    "step-without-name": (json.dumps({"Steps": [{"Type": "Fail"}]}), "Steps[0].Name: None: must be 1-64"),
    "step-not-an-object": (json.dumps({"Steps": ["A"]}), "Steps[0]: 'A': expected a step object"),
    "steps-an-object": (json.dumps({"Steps": {"A": FAIL}}), "Steps: {'A': "),
    "deep-nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply to read (maximum recursion depth)"),
    "not-utf8": (b'{"Steps": [{"Name": "caf\xe9"}]}', "not UTF-8 text (byte 24)"),
    "not-json": ("Steps: []", "not JSON: Expecting value: line 1 column 1"),
    "pipeline-definition-an-object": (json.dumps({"PipelineName": "p", "PipelineDefinition": {"Steps": []}}),
                                      "PipelineDefinition: expected the definition as a JSON string"),
    "pipeline-definition-not-json": (json.dumps({"PipelineName": "p", "PipelineDefinition": "Steps"}), "PipelineDefinition: not JSON"),
    "depends-on-a-number": (json.dumps({"Steps": [FAIL, {**FAIL, "Name": "B", "DependsOn": 5}]}),
                            "Steps[1].DependsOn: 5: expected a list of step names"),
    "depends-on-a-string": (json.dumps({"Steps": [FAIL, {**FAIL, "Name": "B", "DependsOn": "A"}]}),
                            "Steps[1].DependsOn: 'A': expected a list of step names"),
    "depends-on-unknown": (json.dumps({"Steps": [{**FAIL, "DependsOn": ["Nope"]}]}), "Steps[0].DependsOn: 'Nope': no step of that name"),
    "reads-unknown-step": (json.dumps({"Steps": [{**FAIL, "Arguments": {"ErrorMessage": {"Get": "Steps.Nope.Outcome"}}}]}),
                           "Steps[0] (A) reads Steps.Nope: 'Nope': no step of that name"),
    "cycle": (json.dumps({"Steps": [{**FAIL, "DependsOn": ["B"]}, {**FAIL, "Name": "B", "DependsOn": ["A"]}]}),
              "steps A, B: wait on each other (a cycle in DependsOn or Steps references)"),
    "duplicate-step-names": (json.dumps({"Steps": [FAIL, FAIL]}), "Steps[1].Name: 'A': already the name of Steps[0]: step names must be unique"),
    "parameters-an-object": (json.dumps({"Parameters": {"X": 1}, "Steps": [FAIL]}), "Parameters: {'X': 1}: expected a list of parameter objects"),
    "float-default-a-word": (json.dumps({"Parameters": [{"Name": "T", "Type": "Float", "DefaultValue": "abc"}], "Steps": [FAIL]}),
                             "Parameters[0].DefaultValue: 'abc': not of type Float"),
    "integer-default-true": (json.dumps({"Parameters": [{"Name": "N", "Type": "Integer", "DefaultValue": True}], "Steps": [FAIL]}),
                             "Parameters[0].DefaultValue: True: not of type Integer"),
    "parameter-type-unknown": (json.dumps({"Parameters": [{"Name": "N", "Type": "Number"}], "Steps": [FAIL]}),
                               "Parameters[0].Type: 'Number': must be one of String, Integer, Float, Boolean"),
    "duplicate-key": ('{"Steps": [{"Name": "A", "Name": "B", "Type": "Fail"}]}',
                      "duplicate key 'Name': JSON readers disagree on which value wins"),
}
PIPELINE_ARGS = ["--module-name", "pipelines.abalone.pipeline", "--role-arn", ROLE]
ROWS = [
    # run_local: options and parameters
    ("local-param-no-equals", LOCAL, ["--param", "MseThreshold"], {}, 2, "--param 'MseThreshold': expected NAME=VALUE"),
    ("local-param-unknown", LOCAL, ["--param", "Nope=1"], {}, 2, "unknown parameter Nope"),
    ("local-param-nan", LOCAL, ["--param", "MseThreshold=nan"], {}, 2, "parameter MseThreshold: 'nan': not a valid Float"),
    ("local-param-1e999", LOCAL, ["--param", "MseThreshold=1e999"], {}, 2, "parameter MseThreshold: '1e999': not a valid Float"),
    ("local-param-integer-word", LOCAL, ["--param", "ProcessingInstanceCount=two"], {}, 2, "'two': not a valid Integer"),
    ("local-hyperparameter-inf", LOCAL, ["--hyperparameter", "eta=inf"], {}, 2, "--hyperparameter eta=inf: must be a finite number"),
    ("local-input-missing", LOCAL, ["--param", "InputDataUrl={tmp}/missing.csv"], {}, 2, "InputDataUrl: {tmp}/missing.csv: no such file"),
    ("local-input-folder", LOCAL, ["--param", "InputDataUrl={tmp}/folder"], {}, 2, "InputDataUrl: {tmp}/folder: no such file"),
    ("local-work-dir-is-a-file", LOCAL, ["--work-dir", "{tmp}/a-file"], {}, 2, "--work-dir {tmp}/a-file: exists and is not a folder"),
    # run_local: every option checked before anything runs
    ("local-json-is-a-folder", LOCAL, ["--json", "{tmp}/folder"], {}, 2, "--json {tmp}/folder: is a folder: give a file path"),
    ("local-json-folder-missing", LOCAL, ["--json", "{tmp}/missing/r.json"], {}, 2, "--json {tmp}/missing/r.json: {tmp}/missing: no such folder"),
    ("local-work-dir-holds-a-users-folder", LOCAL, ["--work-dir", "{tmp}/work-foreign"], {}, 2,
     "--work-dir {tmp}/work-foreign: {tmp}/work-foreign/TrainAbaloneModel is in the way of step TrainAbaloneModel's folder"),
    ("local-stub-name-is-a-path", LOCAL, ["--stub", "../x={tmp}/stub.json"], {}, 2,
     "--stub: '../x': must be 1-64 letters, digits, '-' or '_' (SageMaker's StepName)"),
    # run_local --definition: the definition checked whole, before the emulator starts
    *[("definition-" + case, LOCAL, ["--definition", f"{{tmp}}/definitions/{case}.json"], {}, 2, fragment)
      for case, (_, fragment) in DEFINITIONS.items()],
    # run_local: the environment, checked against AWS's formats
    ("local-bucket-format", LOCAL, [], {"ARTIFACT_BUCKET": "Bad_Bucket"}, 2, "ARTIFACT_BUCKET: 'Bad_Bucket': must be an S3 bucket name"),
    ("local-role-format", LOCAL, [], {"SAGEMAKER_PIPELINE_ROLE_ARN": "PipelineRole"}, 2,
     "SAGEMAKER_PIPELINE_ROLE_ARN: 'PipelineRole': must be an IAM role ARN"),
    ("local-project-format", LOCAL, [], {"SAGEMAKER_PROJECT_NAME": "my project"}, 2, "SAGEMAKER_PROJECT_NAME: 'my project': must be"),
    ("local-group-format", LOCAL, [], {"MODEL_PACKAGE_GROUP_NAME": "x" * 64}, 2, "MODEL_PACKAGE_GROUP_NAME: 'xxxx"),
    # run_pipeline: JSON options, names, module
    ("pipeline-kwargs-nan", PIPELINE, [*PIPELINE_ARGS, "--kwargs", '{"default_bucket": NaN}'], {}, 2, "--kwargs: NaN is not a number JSON allows"),
    ("pipeline-kwargs-1e999", PIPELINE, [*PIPELINE_ARGS, "--kwargs", '{"x": 1e999}'], {}, 2, "--kwargs: 1e999 is not a number"),
    ("pipeline-kwargs-deep", PIPELINE, [*PIPELINE_ARGS, "--kwargs", "[" * 100_000 + "]" * 100_000], {}, 2, "--kwargs: maximum recursion depth"),
    ("pipeline-kwargs-list", PIPELINE, [*PIPELINE_ARGS, "--kwargs", "[]"], {}, 2, "--kwargs: []: expected a JSON dict"),
    ("pipeline-kwargs-missing", PIPELINE, [*PIPELINE_ARGS, "--kwargs", "{}"], {}, 2, "--kwargs: missing default_bucket, pipeline_name"),
    ("pipeline-bucket-format", PIPELINE, [*PIPELINE_ARGS, "--kwargs", kwargs(default_bucket="s3://b")], {}, 2,
     "--kwargs default_bucket: 's3://b': must be an S3 bucket name"),
    ("pipeline-name-format", PIPELINE, [*PIPELINE_ARGS, "--kwargs", kwargs(pipeline_name="my_pipeline")], {}, 2,
     "--kwargs pipeline_name: 'my_pipeline': must be 1-256 letters"),
    ("pipeline-role-format", PIPELINE, ["--module-name", "pipelines.abalone.pipeline", "--role-arn", "PipelineRole",
                                        "--kwargs", kwargs()], {}, 2, "--role-arn: 'PipelineRole': must be an IAM role ARN"),
    ("pipeline-tags-shape", PIPELINE, [*PIPELINE_ARGS, "--tags", '[{"Name": "a"}]', "--kwargs", kwargs()], {}, 2,
     '--tags: [{"Name": "a"}]: expected a JSON list of {"Key": ..., "Value": ...}'),
    ("pipeline-module-missing", PIPELINE, ["--module-name", "pipelines.nope", "--role-arn", ROLE, "--kwargs", kwargs()], {}, 2,
     "--module-name pipelines.nope: No module named 'pipelines.nope'"),
    ("pipeline-module-without-get-pipeline", PIPELINE, ["--module-name", "json", "--role-arn", ROLE, "--kwargs", kwargs()], {}, 2,
     "--module-name json: has no get_pipeline(**kwargs)"),
    ("pipeline-unknown-kwarg", PIPELINE, [*PIPELINE_ARGS, "--kwargs", kwargs(colour="blue")], {}, 2,
     "--kwargs: pipelines.abalone.pipeline.get_pipeline: got an unexpected keyword argument 'colour'"),
    ("pipeline-poll-nan", PIPELINE, [*PIPELINE_ARGS, "--poll-seconds", "nan"], {}, 2, "argument --poll-seconds: invalid seconds value: 'nan'"),
    ("pipeline-unreachable", PIPELINE, [*PIPELINE_ARGS, "--kwargs", kwargs()], UNREACHABLE, 1,
     "error: AWS call s3:PutObject on s3://bad-input-bucket/bad-input-build/code/"),
    ("pipeline-missing-bucket", PIPELINE, [*PIPELINE_ARGS, "--kwargs", kwargs(default_bucket="no-such-bucket-bad-input")], {}, 1,
     "error: AWS call s3:PutObject failed: Failed to upload "),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input")
    (folder / "folder").mkdir()
    (folder / "a-file").write_text("I am a file\n")
    (folder / "stub.json").write_text("{}")
    (folder / "work-foreign" / "TrainAbaloneModel").mkdir(parents=True)  # the user's own folder, not a run's
    (folder / "work-foreign" / ".run.lock").touch()
    (folder / "definitions").mkdir()
    for case, (content, _) in DEFINITIONS.items():
        path = folder / "definitions" / f"{case}.json"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    header, *rows = DATA.read_text().splitlines()
    (folder / "latin1.csv").write_bytes(("\n".join(rows[:50]) + "\nM,0.5,0.4,0.1,0.5,0.2,0.1,0.15,9 caf\u00e9\n").encode("latin-1"))
    (folder / "inf-label.csv").write_text("\n".join(rows[:50] + ["M,0.5,0.4,0.1,0.5,0.2,0.1,0.15,inf"]) + "\n")
    return folder


def snapshot(url: str, folder) -> dict:
    where = {"endpoint_url": url, "region_name": "us-east-1"}
    sm, s3 = boto3.client("sagemaker", **where), boto3.client("s3", **where)
    try:
        packages = sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    except sm.exceptions.ClientError:
        packages = []
    objects = {(b["Name"], o["Key"], o["ETag"]) for b in s3.list_buckets()["Buckets"]
               for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])}
    files = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
             for p in sorted(folder.rglob("*"))}
    return {"registry": sorted((p["ModelPackageVersion"], p["ModelApprovalStatus"]) for p in packages),
            "s3": sorted(objects), "files": files}


def run(main, argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code
    return code, err.getvalue()


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_refused_with_a_named_error_and_changes_nothing(row, inputs, emulator, monkeypatch, tmp_path):
    _, main, argv, env, expected_code, fragment = row
    for key, value in {**PROJECT, **env}.items():
        monkeypatch.setenv(key, value)
    environments = tmp_path / "environments"  # as on a machine that never built the XGBoost container's Python
    environments.mkdir()
    monkeypatch.setenv("XGBOOST_ENVS_DIR", str(environments))
    before = snapshot(emulator, inputs)
    code, err = run(main, [arg.replace("{tmp}", str(inputs)) for arg in argv])
    assert code == expected_code, err
    assert fragment.replace("{tmp}", str(inputs)) in err
    assert "Traceback" not in err and err.count("\n") == 1 or err.startswith("usage: ")
    assert snapshot(emulator, inputs) == before
    assert not any(environments.iterdir())  # refused before any step environment was built


@pytest.mark.parametrize("data, hyperparameters, fragment", [
    ("latin1.csv", [], "latin1.csv: not UTF-8 text (byte"),
    ("inf-label.csv", [], "inf-label.csv: data row 51: every column but sex must be a finite number (1 row(s) are not)"),
    (None, ["--hyperparameter", "eval_metric=no-such-metric"], "AlgorithmError: Unknown metric function no-such-metric"),
])
def test_a_failing_step_reports_its_own_reason_in_one_line_and_registers_nothing(
        data, hyperparameters, fragment, inputs, emulator, monkeypatch, tmp_path):
    for key, value in PROJECT.items():
        monkeypatch.setenv(key, value)
    before = snapshot(emulator, inputs)["registry"]
    argv = ["--work-dir", str(tmp_path), *hyperparameters] + (["--param", f"InputDataUrl={inputs / data}"] if data else [])
    code, err = run(LOCAL, argv)
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error: ")]  # progress lines may precede it
    assert len(errors) == 1 and fragment in errors[0] and "[bt]" not in err and "Traceback" not in err
    assert snapshot(emulator, inputs)["registry"] == before


def test_debug_shows_the_traceback_the_default_hides(monkeypatch):
    monkeypatch.setenv("ARTIFACT_BUCKET", "Bad_Bucket")
    code, err = run(LOCAL, ["--debug"])
    assert code == 2 and "Traceback (most recent call last)" in err and "ARTIFACT_BUCKET: 'Bad_Bucket'" in err


def test_run_pipeline_help_example_works_as_printed(emulator, tmp_path):
    """The first example of --help, run by bash with the variables CodeBuild sets, upserts and starts."""
    help_text = subprocess.run([sys.executable, "-m", "pipelines.run_pipeline", "--help"], cwd=SEED, text=True,
                               capture_output=True, check=True).stdout
    example = re.search(r"examples:\n(.*?[^\\])\n", help_text, re.S).group(1)
    boto3.client("s3").create_bucket(Bucket="help-example-bucket")
    env = {**os.environ, "PYTHONPATH": str(SEED), "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
           "SAGEMAKER_PIPELINE_ROLE_ARN": ROLE, "SAGEMAKER_PROJECT_NAME": "help-example",
           "ARTIFACT_BUCKET": "help-example-bucket"}
    done = subprocess.run(["bash", "-c", example.replace("python ", f"{sys.executable} ", 1)], cwd=SEED, env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "started execution: arn:aws:sagemaker:" in done.stdout
    described = boto3.client("sagemaker").describe_pipeline(PipelineName="p-123-build")
    assert described["RoleArn"] == ROLE
