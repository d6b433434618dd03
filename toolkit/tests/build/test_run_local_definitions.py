"""run_local --definition on pipelines built here with the SageMaker SDK v3 (never hand-written JSON).

Each definition is built once for the module (the SDK takes seconds) and run against the session's
emulator with its scripts and data supplied by --map. The scripts are written as for SageMaker: they
read and write /opt/ml/... themselves and know nothing of local runs.
"""
import contextlib
import io
import json
import tarfile
import textwrap
import zipfile

import boto3
import numpy as np
import pytest

from mlops_guardrails.build import run_local, sdk

BUCKET = "local-definitions-test"
ROLE = "arn:aws:iam::123456789012:role/SageMakerPipelineExecutionRole"
REGION = "us-east-1"
WHEEL = "localrun_probe-1.0-py3-none-any.whl"

# Processing, unchanged for SageMaker: what this instance received, and who it is.
SHARD_SCRIPT = """
import json, os
config = json.load(open("/opt/ml/config/resourceconfig.json"))
seen = sorted(os.listdir("/opt/ml/processing/input/records"))
os.makedirs("/opt/ml/processing/output", exist_ok=True)
with open(f"/opt/ml/processing/output/{config['current_host']}.json", "w") as f:
    json.dump({"host": config["current_host"], "hosts": config["hosts"], "files": seen}, f)
"""
PIP_SCRIPT = """
import json, subprocess, sys
wheel = sys.argv[sys.argv.index("--wheel") + 1]
result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", wheel], capture_output=True, text=True)
import localrun_probe
with open("/opt/ml/processing/output/pip.json", "w") as f:
    json.dump({"code": result.returncode, "prefix": sys.prefix, "module": localrun_probe.__file__}, f)
"""
ARG_SCRIPT = """
import sys
open("/opt/ml/processing/output/arg.txt", "w").write(sys.argv[-1])
"""
FAILING_SCRIPT = """
print("loading the data")
raise ValueError("column rings: expected integers")
"""
SLEEP_SCRIPT = "import time\ntime.sleep(60)\n"
SECOND_FAILS_SCRIPT = """
import json
if json.load(open("/opt/ml/config/resourceconfig.json"))["current_host"] == "algo-2":
    raise SystemExit("error: algo-2 has no data")
"""
# The scikit-learn serving contract (sagemaker-inference-toolkit): model_fn, and predict_fn when defined.
INFERENCE_SCRIPT = """
import os
import joblib
def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))
def predict_fn(data, model):
    return model.predict(data) * 10
"""
# Script mode on the scikit-learn image: SM_* variables, --hyperparameters, /opt/ml/model.
TRAIN_SCRIPT = """
import argparse, glob, json, os
import joblib
import numpy as np
from sklearn.linear_model import Ridge
parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
args = parser.parse_args()
data = np.vstack([np.loadtxt(p, delimiter=",", ndmin=2) for p in sorted(glob.glob(args.train + "/*.csv"))])
model = Ridge(alpha=args.alpha).fit(data[:, 1:], data[:, 0])
joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
hyperparameters = json.load(open("/opt/ml/input/config/hyperparameters.json"))
json.dump({"alpha": args.alpha, "hyperparameters": hyperparameters, "hosts": os.environ["SM_HOSTS"]},
          open("/opt/ml/model/trained.json", "w"))
"""


def training_rows(count=60, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.uniform(0, 1, size=(count, 3))
    label = 2.0 * features[:, 0] - features[:, 1] + 0.5
    return np.column_stack([label, features])


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """The local folders that --map puts where the definitions' s3:// URIs point."""
    root = tmp_path_factory.mktemp("sources")
    code = root / "code"
    code.mkdir()
    for name, text in {"shard.py": SHARD_SCRIPT, "pip_probe.py": PIP_SCRIPT, "arg.py": ARG_SCRIPT,
                       "failing.py": FAILING_SCRIPT, "sleep.py": SLEEP_SCRIPT,
                       "second_fails.py": SECOND_FAILS_SCRIPT}.items():
        (code / name).write_text(textwrap.dedent(text))
    records = root / "records"
    records.mkdir()
    for index in range(7):
        (records / f"part-{index:02d}.csv").write_text(f"{index}\n")
    train = root / "train"
    train.mkdir()
    np.savetxt(train / "train.csv", training_rows(), delimiter=",", fmt="%.6f")
    batch = root / "batch"
    batch.mkdir()
    np.savetxt(batch / "batch.csv", training_rows(5, seed=1)[:, 1:], delimiter=",", fmt="%.6f")
    (root / "wheel").mkdir()
    write_wheel(root / "wheel" / WHEEL)
    (root / "script-mode").mkdir()
    (root / "script-mode" / "train.py").write_text(textwrap.dedent(TRAIN_SCRIPT))
    (root / "sourcedir").mkdir()
    (root / "inference.py").write_text(textwrap.dedent(INFERENCE_SCRIPT))
    with tarfile.open(root / "sourcedir" / "sourcedir.tar.gz", "w:gz") as archive:  # what SDK v2 estimators upload
        archive.add(root / "script-mode" / "train.py", arcname="train.py")
    with tarfile.open(root / "sourcedir" / "inference.tar.gz", "w:gz") as archive:
        archive.add(root / "inference.py", arcname="inference.py")
    return root


def write_wheel(path):
    """The smallest installable wheel: one module, METADATA, WHEEL and RECORD (PEP 427)."""
    info = "localrun_probe-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("localrun_probe.py", "VALUE = 1\n")
        archive.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: localrun-probe\nVersion: 1.0\n")
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")


def maps(sources):
    return [
        "--map", f"s3://{BUCKET}/code={sources / 'code'}",
        "--map", f"s3://{BUCKET}/records={sources / 'records'}",
        "--map", f"s3://{BUCKET}/train={sources / 'train'}",
        "--map", f"s3://{BUCKET}/batch={sources / 'batch'}",
        "--map", f"s3://{BUCKET}/script-mode={sources / 'script-mode'}",
        "--map", f"s3://{BUCKET}/wheel={sources / 'wheel'}",
        "--map", f"s3://{BUCKET}/sourcedir={sources / 'sourcedir'}",
    ]


@pytest.fixture(scope="module")
def definitions(emulator_url, sources, tmp_path_factory):
    """Every definition of this module, built once with the SDK (ModelTrainer's script mode uploads its
    driver files at build time, so the SDK talks to the emulator)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ENDPOINT_URL", emulator_url)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    folder = tmp_path_factory.mktemp("definitions")
    with sdk.quiet(), sdk.building():  # as run_local builds: no garbage collection walking the SDK's objects meanwhile
        built = {name: build(sdk.pipeline_session(BUCKET), sources) for name, build in BUILDERS.items()}
    paths = {}
    for name, definition in built.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(definition)
    yield paths
    mp.undo()


def _processor(session, count=1):
    from sagemaker.core import image_uris
    from sagemaker.core.processing import ScriptProcessor

    return ScriptProcessor(
        image_uri=image_uris.retrieve("sklearn", REGION, version="1.2-1"), command=["python3"],
        instance_type="ml.m5.xlarge", instance_count=count, role=ROLE, sagemaker_session=session,
    )


def _input(name, uri, path, sharded=False):
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    return ProcessingInput(input_name=name, s3_input=ProcessingS3Input(
        s3_uri=uri, local_path=path, s3_data_type="S3Prefix", s3_input_mode="File",
        s3_data_distribution_type="ShardedByS3Key" if sharded else "FullyReplicated"))


def _output(name, uri, path="/opt/ml/processing/output"):
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

    return ProcessingOutput(output_name=name, s3_output=ProcessingS3Output(s3_uri=uri, local_path=path, s3_upload_mode="EndOfJob"))


def build_branches(session, sources):
    """Sharded processing over Count instances -> built-in XGBoost 1.7-1 -> nested conditions whose
    branch creates a model and batch-transforms with it (branch steps reading each other); else Fail."""
    from sagemaker.core import image_uris
    from sagemaker.core.transformer import Transformer
    from sagemaker.core.workflow.conditions import ConditionEquals, ConditionGreaterThan, ConditionIn, ConditionNot, ConditionOr
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterInteger
    from sagemaker.mlops.workflow import ConditionStep, FailStep, ModelStep, Pipeline, ProcessingStep, TrainingStep, TransformStep
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig
    from sagemaker.train.model_trainer import ModelTrainer

    count = ParameterInteger("Count", default_value=3)
    xgboost_image = image_uris.retrieve("xgboost", REGION, version="1.7-1")
    prep = ProcessingStep(name="Prep_Data", step_args=_processor(session, count).run(
        code=f"s3://{BUCKET}/code/shard.py",
        inputs=[_input("records", f"s3://{BUCKET}/records", "/opt/ml/processing/input/records", sharded=True)],
        outputs=[_output("shards", Join(on="/", values=[f"s3://{BUCKET}/out", ExecutionVariables.PIPELINE_EXECUTION_ID, "shards"]))],
    ))
    trainer = ModelTrainer(
        training_image=xgboost_image, compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{BUCKET}/model"),
        hyperparameters={"objective": "reg:squarederror", "num_round": 5, "max_depth": 2},
        base_job_name="branches", sagemaker_session=session, role=ROLE,
    )
    train = TrainingStep(name="Train_Model", step_args=trainer.train(
        input_data_config=[InputData(channel_name="train", data_source=f"s3://{BUCKET}/train", content_type="text/csv")]
    ), depends_on=[prep])
    model = ModelStep(name="Create_Model", step_args=ModelBuilder(
        image_uri=xgboost_image, s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
        role_arn=ROLE, sagemaker_session=session, dependencies={},
    ).build())
    transform = TransformStep(name="Batch_Score", step_args=Transformer(
        model_name=model.properties.ModelName, instance_count=1, instance_type="ml.m5.xlarge",
        output_path=Join(on="/", values=[f"s3://{BUCKET}/out", ExecutionVariables.PIPELINE_EXECUTION_ID, "scores"]),
        assemble_with="Line", accept="text/csv", sagemaker_session=session,
    ).transform(data=f"s3://{BUCKET}/batch", content_type="text/csv", split_type="Line"))
    fail = FailStep(name="Count_Fail", error_message=Join(on=" ", values=["instance count", count, "is in 1..2"]))
    inner = ConditionStep(
        name="Inner_Check",
        conditions=[ConditionNot(expression=ConditionIn(value=count, in_values=[1, 2])),
                    ConditionOr(conditions=[ConditionEquals(left=count, right=3), ConditionGreaterThan(left=count, right=3)])],
        if_steps=[model, transform], else_steps=[fail],
    )
    outer = ConditionStep(name="Outer_Check", conditions=[ConditionGreaterThan(left=count, right=0)], if_steps=[inner], else_steps=[])
    return Pipeline(name="branches", parameters=[count], steps=[prep, train, outer], sagemaker_session=session).definition()


def build_lambda_branch(session, sources):
    """A Lambda step inside a branch whose output a sibling Processing step takes as an argument."""
    from sagemaker.core.workflow.conditions import ConditionEquals
    from sagemaker.core.workflow.parameters import ParameterString
    from sagemaker.mlops.workflow import ConditionStep, LambdaOutput, LambdaStep, Pipeline, ProcessingStep
    from sagemaker.mlops.workflow.lambda_step import LambdaOutputTypeEnum

    from sagemaker.core.lambda_helper import Lambda

    mode = ParameterString("Mode", default_value="go")
    notify = LambdaStep(
        name="Notify_Team", lambda_func=Lambda(function_arn="arn:aws:lambda:us-east-1:123456789012:function:notify"),
        outputs=[LambdaOutput(output_name="ticket", output_type=LambdaOutputTypeEnum.String)],
    )
    use = ProcessingStep(name="Use_Ticket", step_args=_processor(session).run(
        code=f"s3://{BUCKET}/code/arg.py", arguments=["--ticket", notify.properties.Outputs["ticket"]],
        outputs=[_output("arg", f"s3://{BUCKET}/out/lambda")],
    ))
    check = ConditionStep(name="Check_Mode", conditions=[ConditionEquals(left=mode, right="go")], if_steps=[notify, use], else_steps=[])
    return Pipeline(name="lambda-branch", parameters=[mode], steps=[check], sagemaker_session=session).definition()


def build_single(script, arguments=(), name="single", inputs=(), count=1):
    def build(session, sources):
        from sagemaker.mlops.workflow import Pipeline, ProcessingStep

        step = ProcessingStep(name="Run_Script", step_args=_processor(session, count).run(
            code=f"s3://{BUCKET}/code/{script}", arguments=list(arguments), inputs=[_input(*i) for i in inputs],
            outputs=[_output("result", f"s3://{BUCKET}/out/{name}")],
        ))
        return Pipeline(name=name, steps=[step], sagemaker_session=session).definition()

    return build


def build_script_mode(session, sources):
    """SDK v3 ModelTrainer script mode on the scikit-learn image, then batch transform through the
    model's inference script."""
    from sagemaker.core import image_uris
    from sagemaker.core.transformer import Transformer
    from sagemaker.mlops.workflow import ModelStep, Pipeline, TrainingStep, TransformStep
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig, SourceCode
    from sagemaker.train.model_trainer import ModelTrainer

    trainer = ModelTrainer(
        training_image=image_uris.retrieve("sklearn", REGION, version="1.2-1"),
        source_code=SourceCode(source_dir=str(sources / "script-mode"), entry_script="train.py"),  # uploaded at build
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{BUCKET}/script-model"),
        hyperparameters={"alpha": 0.25}, base_job_name="script", sagemaker_session=session, role=ROLE,
    )
    step = TrainingStep(name="Fit_Ridge", step_args=trainer.train(
        input_data_config=[InputData(channel_name="train", data_source=f"s3://{BUCKET}/train")]
    ))
    model = ModelStep(name="Ridge_Model", step_args=ModelBuilder(
        image_uri=image_uris.retrieve("sklearn", REGION, version="1.2-1"),
        s3_model_data_url=step.properties.ModelArtifacts.S3ModelArtifacts, role_arn=ROLE, sagemaker_session=session,
        dependencies={}, env_vars={"SAGEMAKER_PROGRAM": "inference.py",
                                   "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{BUCKET}/sourcedir/inference.tar.gz"},
    ).build())
    transform = TransformStep(name="Ridge_Scores", step_args=Transformer(
        model_name=model.properties.ModelName, instance_count=1, instance_type="ml.m5.xlarge",
        output_path=f"s3://{BUCKET}/out/ridge", assemble_with="Line", sagemaker_session=session,
    ).transform(data=f"s3://{BUCKET}/batch", content_type="text/csv", split_type="Line"))
    return Pipeline(name="script-mode", steps=[step, model, transform], sagemaker_session=session).definition()


def build_toolkit_mode(session, sources):
    """The script-mode contract of SDK v2 estimators (SKLearn(entry_point=...)): sagemaker_program and
    sagemaker_submit_directory hyperparameters, read by sagemaker-training-toolkit in the container."""
    from sagemaker.core import image_uris
    from sagemaker.mlops.workflow import Pipeline, TrainingStep
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig
    from sagemaker.train.model_trainer import ModelTrainer

    trainer = ModelTrainer(
        training_image=image_uris.retrieve("sklearn", REGION, version="1.2-1"),
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{BUCKET}/toolkit-model"),
        hyperparameters={"alpha": 2.0, "sagemaker_program": "train.py",
                         "sagemaker_submit_directory": f"s3://{BUCKET}/sourcedir/sourcedir.tar.gz"},
        base_job_name="toolkit", sagemaker_session=session, role=ROLE,
    )
    step = TrainingStep(name="Fit_Ridge", step_args=trainer.train(
        input_data_config=[InputData(channel_name="train", data_source=f"s3://{BUCKET}/train")]
    ))
    return Pipeline(name="toolkit-mode", steps=[step], sagemaker_session=session).definition()


def build_old_xgboost(session, sources):
    """The built-in XGBoost 1.0-1, whose container pickles its model: refused, not trained as 1.7-1."""
    from sagemaker.core import image_uris
    from sagemaker.mlops.workflow import Pipeline, TrainingStep
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig
    from sagemaker.train.model_trainer import ModelTrainer

    trainer = ModelTrainer(
        training_image=image_uris.retrieve("xgboost", REGION, version="1.0-1"),
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{BUCKET}/old-model"),
        hyperparameters={"num_round": 5}, base_job_name="old", sagemaker_session=session, role=ROLE,
    )
    step = TrainingStep(name="Train_Old", step_args=trainer.train(
        input_data_config=[InputData(channel_name="train", data_source=f"s3://{BUCKET}/train")]
    ))
    return Pipeline(name="old-xgboost", steps=[step], sagemaker_session=session).definition()


BUILDERS = {
    "toolkit_mode": build_toolkit_mode,
    "old_xgboost": build_old_xgboost,
    "branches": build_branches,
    "lambda_branch": build_lambda_branch,
    "pip": build_single("pip_probe.py", ["--wheel", f"/opt/ml/processing/input/wheel/{WHEEL}"], "pip",
                        [("wheel", f"s3://{BUCKET}/wheel", "/opt/ml/processing/input/wheel")]),
    "failing": build_single("failing.py", name="failing"),
    "sleep": build_single("sleep.py", name="sleep"),
    "second_fails": build_single("second_fails.py", name="second-fails", count=2),
    "script_mode": build_script_mode,
}


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_local.main(argv)
    return code, out.getvalue(), err.getvalue()


def model_members(uri, folder):
    """Extract a model.tar.gz from S3 into folder; its member names."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    with tarfile.open(fileobj=io.BytesIO(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())) as archive:
        archive.extractall(folder, filter="data")
        return sorted(archive.getnames())


def trained_run(definition, sources, tmp_path):
    """Run a training definition; the members of Fit_Ridge's model.tar.gz, extracted into tmp_path/model."""
    code, stdout, stderr = run(["--definition", str(definition), *maps(sources), "--work-dir", str(tmp_path / "w"), "--json", str(tmp_path / "r.json")])
    assert code == 0, stdout + stderr
    uri = json.loads((tmp_path / "r.json").read_text())["properties"]["Fit_Ridge"]["ModelArtifacts"]["S3ModelArtifacts"]
    return model_members(uri, tmp_path / "model")


def s3_json(key):
    return json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())


def execution_prefix(report):
    return f"out/{report['execution_id']}"


@pytest.fixture(scope="module")
def branches_run(definitions, sources, tmp_path_factory, emulator_url):
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ENDPOINT_URL", emulator_url)
    work = tmp_path_factory.mktemp("branches")
    report_path = work / "report.json"
    result = run(["--definition", str(definitions["branches"]), *maps(sources), "--work-dir", str(work / "w"), "--json", str(report_path)])
    yield result, json.loads(report_path.read_text()) if report_path.exists() else None, work / "w"
    mp.undo()


def test_definition_with_branch_steps_reading_each_other_runs_every_step(branches_run):
    (code, stdout, stderr), report, _ = branches_run
    assert code == 0, stdout + stderr
    statuses = {step["name"]: (step["type"], step["status"]) for step in report["steps"]}
    assert statuses == {
        "Prep_Data": ("Processing", "Succeeded"), "Train_Model": ("Training", "Succeeded"),
        "Outer_Check": ("Condition", "Succeeded"), "Inner_Check": ("Condition", "Succeeded"),
        "Create_Model": ("Model", "Succeeded"), "Batch_Score": ("Transform", "Succeeded"),
    }
    assert report["properties"]["Inner_Check"] == {"Outcome": True}


def test_sharded_processing_over_three_instances_gives_each_only_its_shard(branches_run, emulator):
    _, report, _ = branches_run
    shards = [s3_json(f"{execution_prefix(report)}/shards/algo-{n}.json") for n in (1, 2, 3)]
    assert [s["host"] for s in shards] == ["algo-1", "algo-2", "algo-3"]
    assert all(s["hosts"] == ["algo-1", "algo-2", "algo-3"] for s in shards)
    files = [f for s in shards for f in s["files"]]
    assert sorted(files) == [f"part-{i:02d}.csv" for i in range(7)]  # each object on exactly one instance
    assert [len(s["files"]) for s in shards] == [3, 2, 2]


def test_underscore_step_names_resolve_model_artifacts_and_model_name(branches_run, emulator):
    _, report, _ = branches_run
    artifacts = report["properties"]["Train_Model"]["ModelArtifacts"]["S3ModelArtifacts"]
    assert report["properties"]["Create_Model"]["PrimaryContainer"]["ModelDataUrl"] == artifacts
    model = boto3.client("sagemaker").describe_model(ModelName=report["properties"]["Create_Model"]["ModelName"])
    assert model["PrimaryContainer"]["ModelDataUrl"] == artifacts


def test_transform_after_create_model_in_a_branch_scores_every_line(branches_run, sources, emulator, tmp_path):
    _, report, _ = branches_run
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"{execution_prefix(report)}/scores/batch.csv.out")["Body"].read()
    scores = [float(line) for line in body.decode().splitlines()]
    assert len(scores) == 5
    # The same model, loaded from the artifact the training step wrote by the xgboost of its image (1.7.4,
    # whose binary format xgboost 3 no longer reads), predicts the same numbers.
    import subprocess

    from mlops_guardrails import xgboost_env

    assert model_members(report["properties"]["Train_Model"]["ModelArtifacts"]["S3ModelArtifacts"], tmp_path) == ["xgboost-model"]
    predict = ("import sys, numpy as np, xgboost as x; b = x.Booster(); b.load_model(sys.argv[1]); "
               "print(' '.join(repr(float(v)) for v in b.predict(x.DMatrix(np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)))))")
    result = subprocess.run([str(xgboost_env.python_for("1.7-1")), "-c", predict, str(tmp_path / "xgboost-model"),
                             str(sources / "batch" / "batch.csv")], capture_output=True, text=True, check=True)
    assert scores == pytest.approx([float(v) for v in result.stdout.split()], rel=1e-5)


def test_json_report_and_summary_table_name_each_step(branches_run):
    (_, stdout, _), report, work = branches_run
    assert report["status"] == "Succeeded" and report["pipeline"] == "branches"
    assert all(step["seconds"] >= 0 for step in report["steps"])
    assert any(line.split()[:3] == ["Batch_Score", "Transform", "Succeeded"] for line in stdout.splitlines())
    assert (work / "Prep_Data" / "algo-2" / "job.log").is_file()


def test_nested_condition_else_branch_fails_with_the_join_message(definitions, sources, emulator, tmp_path):
    code, stdout, stderr = run(["--definition", str(definitions["branches"]), *maps(sources), "--param", "Count=2", "--work-dir", str(tmp_path)])
    assert code == 1
    assert "error: pipeline failed at step Count_Fail: instance count 2 is in 1..2" in stderr
    assert any(line.split()[:3] == ["Count_Fail", "Fail", "Failed"] for line in stdout.splitlines())
    assert "Create_Model" not in stdout


def test_unsupported_step_refuses_the_run_with_one_line_and_runs_nothing(definitions, sources, emulator, tmp_path):
    code, stdout, stderr = run(["--definition", str(definitions["lambda_branch"]), *maps(sources), "--work-dir", str(tmp_path / "w")])
    assert code == 2
    assert ("error: step Notify_Team: type Lambda does not run locally; local runs support Processing, Training, "
            "Transform, Model, RegisterModel, Condition, Fail\n") in stderr
    assert "--stub STEP=outputs.json" in stderr
    assert stdout == "" and not (tmp_path / "w").exists()


def test_stubbed_lambda_gives_its_outputs_to_a_sibling_branch_step(definitions, sources, emulator, tmp_path):
    stub = tmp_path / "notify.json"
    stub.write_text(json.dumps({"OutputParameters": [{"Name": "ticket", "Value": "TICKET-42"}]}))
    code, stdout, stderr = run(["--definition", str(definitions["lambda_branch"]), *maps(sources),
                                "--stub", f"Notify_Team={stub}", "--work-dir", str(tmp_path / "w")])
    assert code == 0, stdout + stderr
    assert any(line.split()[:3] == ["Notify_Team", "Lambda", "Stubbed"] for line in stdout.splitlines())
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key="out/lambda/arg.txt")["Body"].read()
    assert body == b"TICKET-42"


def test_pip_install_in_a_step_lands_in_the_step_folder_not_the_project(definitions, sources, emulator, tmp_path):
    import importlib.util

    code, stdout, stderr = run(["--definition", str(definitions["pip"]), *maps(sources), "--work-dir", str(tmp_path / "w")])
    assert code == 0, stdout + stderr
    result = s3_json("out/pip/pip.json")
    assert result["code"] == 0
    assert result["prefix"].startswith(str(tmp_path / "w"))
    assert result["module"].startswith(str(tmp_path / "w" / "Run_Script" / "python-env"))
    assert importlib.util.find_spec("localrun_probe") is None


def test_failing_script_shows_the_tail_of_its_log_and_reports_it_in_json(definitions, sources, emulator, tmp_path):
    code, stdout, stderr = run(["--definition", str(definitions["failing"]), *maps(sources), "--work-dir", str(tmp_path / "w"), "--json", str(tmp_path / "r.json")])
    assert code == 1
    log = tmp_path / "w" / "Run_Script" / "job.log"
    assert f"error: pipeline failed at step Run_Script (log: {log}): ValueError: column rings: expected integers" in stderr
    assert f"last lines of {log}:" in stdout
    assert "    | loading the data" in stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["status"] == "Failed" and report["failure_reason"] == "ValueError: column rings: expected integers"
    assert report["steps"] == [{"name": "Run_Script", "type": "Processing", "status": "Failed", "seconds": report["steps"][0]["seconds"],
                                "failure_reason": "ValueError: column rings: expected integers", "log": str(log)}]


def test_step_over_its_time_limit_is_stopped(definitions, sources, emulator, tmp_path):
    # Half a second is enough: the script sleeps 60 s, and the limit counts from the step's start (a
    # warm-started step's forkserver is ready by then), so the test waits no longer than it must.
    code, _, stderr = run(["--definition", str(definitions["sleep"]), *maps(sources), "--step-timeout", "0.5", "--work-dir", str(tmp_path)])
    assert code == 1
    assert "error: pipeline failed at step " in stderr
    assert ": timed out after 0.5s (the step's time limit)" in stderr


def test_script_mode_training_on_the_sklearn_image_then_transform_through_its_inference_script(definitions, sources, emulator, tmp_path):
    assert trained_run(definitions["script_mode"], sources, tmp_path) == ["model.joblib", "trained.json"]
    trained = json.loads((tmp_path / "model" / "trained.json").read_text())
    assert trained == {"alpha": 0.25, "hyperparameters": {"alpha": "0.25"}, "hosts": '["algo-1"]'}
    # Transform through the inference script: model_fn loads model.joblib, predict_fn scales by 10.
    import joblib

    batch = np.loadtxt(sources / "batch" / "batch.csv", delimiter=",", ndmin=2)
    expected = joblib.load(tmp_path / "model" / "model.joblib").predict(batch) * 10
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key="out/ridge/batch.csv.out")["Body"].read().decode()
    assert [float(line) for line in body.splitlines()] == pytest.approx(expected.tolist())


def test_toolkit_script_mode_runs_sagemaker_program_from_the_submit_directory(definitions, sources, emulator, tmp_path):
    trained_run(definitions["toolkit_mode"], sources, tmp_path)
    trained = json.loads((tmp_path / "model" / "trained.json").read_text())
    assert trained["alpha"] == 2.0  # the hyperparameter came as --alpha; sagemaker_* ones did not
    assert trained["hyperparameters"]["sagemaker_program"] in ("train.py", '"train.py"')


def test_builtin_xgboost_of_another_version_is_refused_before_the_run(definitions, sources, emulator, tmp_path):
    code, stdout, stderr = run(["--definition", str(definitions["old_xgboost"]), *maps(sources), "--work-dir", str(tmp_path / "w")])
    assert code == 2
    assert "error: step Train_Old: built-in XGBoost 1.0-1: local runs train the built-in algorithm of version 1.7-1 only" in stderr
    assert not (tmp_path / "w").exists()


def test_describe_pipeline_output_is_read_for_its_definition_and_name(definitions, sources, emulator, tmp_path):
    described = tmp_path / "described.json"
    described.write_text(json.dumps({"PipelineName": "from-describe", "PipelineDefinition": definitions["failing"].read_text()}))
    code, stdout, _ = run(["--definition", str(described), *maps(sources), "--work-dir", str(tmp_path / "w")])
    assert code == 1
    assert "pipeline from-describe: running 1 top-level steps locally" in stdout


@pytest.mark.parametrize("extra, message", [
    (["--map", "bucket/key=."], "error: --map bucket/key: expected s3://BUCKET/KEY=PATH"),
    (["--map", f"s3://{BUCKET}/x=/no/such/folder"], f"error: --map s3://{BUCKET}/x=/no/such/folder: no such file or folder"),
    (["--stub", "Nope={stub}"], "error: --stub Nope: no such step; the definition's steps: Run_Script"),
    (["--stub", "Run_Script=/no/such.json"], "error: --stub Run_Script=/no/such.json: No such file or directory"),
    (["--hyperparameter", "a=1"], "error: --hyperparameter: only for this repo's pipeline"),
])
def test_bad_definition_options_exit_2_and_run_nothing(definitions, emulator, tmp_path, extra, message):
    stub = tmp_path / "stub.json"
    stub.write_text("{}")
    extra = [item.replace("{stub}", str(stub)) for item in extra]
    code, stdout, stderr = run(["--definition", str(definitions["failing"]), *extra, "--work-dir", str(tmp_path / "w")])
    assert code == 2
    assert message in stderr
    assert not (tmp_path / "w").exists()


def test_one_failing_instance_fails_the_processing_step_and_names_it(definitions, sources, emulator, tmp_path):
    code, stdout, stderr = run(["--definition", str(definitions["second_fails"]), *maps(sources), "--work-dir", str(tmp_path)])
    assert code == 1
    assert "error: pipeline failed at step Run_Script" in stderr and ": algo-2: error: algo-2 has no data" in stderr
    assert f"last lines of {tmp_path / 'Run_Script' / 'algo-2' / 'job.log'}:" in stdout
