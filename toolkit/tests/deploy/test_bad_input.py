"""Every command, fed bad input: the exit code, a one-line message naming the problem, and nothing changed.

Each row: an id, the command line (run in-process through mlops_guardrails.deploy.cli.main), environment overrides, the
expected exit code and a fragment the error must contain. After each row the registry group's versions
and statuses, the S3 objects and the files under the work folder are what they were before.
"""
import contextlib
import hashlib
import io
import json
import runpy
import sys
from pathlib import Path

import boto3
import pytest

from mlops_guardrails.deploy import cli, json_output

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs
ROLE = "arn:aws:iam::123456789012:role/model-execution"
CONFIG = SEED / "prod-config.json"
GOOD_ENV = {"SAGEMAKER_PROJECT_NAME": "badin", "SAGEMAKER_PROJECT_ID": "p1", "MODEL_PACKAGE_GROUP_NAME": "{group}",
            "ARTIFACT_BUCKET": "{bucket}", "MODEL_EXECUTION_ROLE_ARN": ROLE}
UNREACHABLE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}  # nothing listens on port 9
NAN_CONFIG = json.loads(CONFIG.read_text())

ROWS = [
    # stage configs: not JSON numbers, too deep, not UTF-8, a folder, missing
    ("validate-nan", ["validate", "{tmp}/nan-config.json"], {}, 2, "NaN: not a number JSON allows"),
    ("validate-1e999", ["validate", "{tmp}/huge-config.json"], {}, 2, "1e999: not a number JSON allows"),
    ("validate-infinity", ["validate", "{tmp}/inf-config.json"], {}, 2, "-Infinity: not a number JSON allows"),
    ("validate-deep", ["validate", "{tmp}/deep.json"], {}, 2, "deep.json: a stage config: nested too deeply to read"),
    ("validate-latin1", ["validate", "{tmp}/latin1.json"], {}, 2, "latin1.json: not UTF-8 text (byte 13)"),
    ("validate-duplicate-key", ["validate", "{tmp}/duplicate-key-config.json"], {}, 2,
     "duplicate-key-config.json: key 'ProductionVariants' given twice in one object (a stage config): JSON readers disagree"),
    ("validate-folder", ["validate", "{tmp}/folder"], {}, 2, "folder: Is a directory: cannot be read"),
    ("validate-missing", ["validate", "{tmp}/missing.json"], {}, 2, "missing.json: No such file or directory"),
    # plan: number options and files
    ("plan-rps-nan", ["plan", str(CONFIG), "--rps", "nan"], {}, 2, "--rps: nan: must be a finite number"),
    ("plan-rps-1e999", ["plan", str(CONFIG), "--rps", "1e999"], {}, 2, "--rps: inf: must be a finite number"),
    ("plan-rps-zero", ["plan", str(CONFIG), "--rps", "0"], {}, 2, "--rps: 0.0: must be > 0"),
    ("plan-prices-nan", ["plan", str(CONFIG), "--rps", "5", "--prices", "{tmp}/nan.json"], {}, 2, "nan.json: NaN: not a number"),
    ("plan-prices-a-list", ["plan", str(CONFIG), "--rps", "5", "--prices", "{tmp}/prices-list.json"], {}, 2,
     "prices: list: must be an object of instance type -> price per instance-hour"),
    ("plan-config-deep", ["plan", "{tmp}/deep.json", "--rps", "5"], {}, 2, "nested too deeply to read"),
    # build: environment formats, configs, output path, AWS
    ("build-bucket-format", ["build", "--output-dir", "{tmp}/out"], {**GOOD_ENV, "ARTIFACT_BUCKET": "My_Bucket"}, 2,
     "ARTIFACT_BUCKET: 'My_Bucket': must be an S3 bucket name"),
    ("build-role-format", ["build", "--output-dir", "{tmp}/out"], {**GOOD_ENV, "MODEL_EXECUTION_ROLE_ARN": "model-role"}, 2,
     "MODEL_EXECUTION_ROLE_ARN: 'model-role': must be an IAM role ARN"),
    ("build-project-format", ["build", "--output-dir", "{tmp}/out"], {**GOOD_ENV, "SAGEMAKER_PROJECT_NAME": "-bad name"}, 2,
     "SAGEMAKER_PROJECT_NAME: '-bad name': must be 1-32 letters"),
    ("build-target-role-format", ["build", "--output-dir", "{tmp}/out"], {**GOOD_ENV, "PROD_TARGET_ROLE_ARN": "arn:aws:iam::1:role/x"}, 2,
     "PROD_TARGET_ROLE_ARN: 'arn:aws:iam::1:role/x': must be an IAM role ARN"),
    ("build-missing-env", ["build", "--output-dir", "{tmp}/out"], {**GOOD_ENV, "ARTIFACT_BUCKET": ""}, 2, "ARTIFACT_BUCKET: not set"),
    ("build-config-nan", ["build", "--output-dir", "{tmp}/out", "--prod-config", "{tmp}/nan-config.json"], GOOD_ENV, 2,
     "NaN: not a number JSON allows"),
    ("build-output-is-a-file", ["build", "--output-dir", "{tmp}/a-file"], GOOD_ENV, 2, "a-file: a file is in the way of a folder"),
    ("build-output-half-blocked", ["build", "--output-dir", "{tmp}/out-blocked", "--staging-config", str(SEED / "staging-config.json"),
                                   "--prod-config", str(CONFIG)], GOOD_ENV, 2,
     "{tmp}/out-blocked/prod-config-export.json: a folder is in the way of the file to write: move it; nothing was written"),
    ("build-config-duplicate-key", ["build", "--output-dir", "{tmp}/out", "--prod-config", "{tmp}/duplicate-key-config.json"],
     GOOD_ENV, 2, "key 'ProductionVariants' given twice in one object (a stage config)"),
    ("build-unreachable", ["build", "--output-dir", "{tmp}/out"], {**GOOD_ENV, **UNREACHABLE}, 1,
     "AWS call sagemaker:ListModelPackages on {group} failed: Could not connect to the endpoint URL"),
    # verify and test-stage
    ("verify-role-format", ["verify", "--endpoint-name", "e", "--expected-endpoint-config", "c", "--target-role-arn", "admin"],
     {}, 2, "target role: 'admin': must be an IAM role ARN"),
    ("verify-unknown-stack", ["verify", "--stack-name", "no-such-stack"], {}, 2, "stack no-such-stack"),
    ("verify-unreachable", ["verify", "--endpoint-name", "e", "--expected-endpoint-config", "c"], UNREACHABLE, 1,
     "AWS call sagemaker:DescribeEndpoint on e failed: Could not connect"),
    ("verify-endpoint-format", ["verify", "--endpoint-name", "my_endpoint", "--expected-endpoint-config", "c"], {}, 2,
     "--endpoint-name: 'my_endpoint': must be 1-63 letters"),
    ("test-stage-endpoint-format", ["test-stage", "--endpoint-name", "prod endpoint", "--config", str(CONFIG)], {}, 2,
     "endpoint: 'prod endpoint': must be 1-63 letters"),
    ("test-stage-stage-from-env", ["test-stage", "--config", str(CONFIG)], {"STAGE": "qa", "SAGEMAKER_PROJECT_NAME": "p"}, 2,
     "STAGE: 'qa': must be one of staging, prod"),
    ("test-stage-project-name-too-long", ["test-stage", "--config", str(CONFIG)],
     {"STAGE": "prod", "SAGEMAKER_PROJECT_NAME": "a" + "-" * 40 + "b"}, 2, "SAGEMAKER_PROJECT_NAME: 'a---"),
    ("test-stage-config-nan", ["test-stage", "--endpoint-name", "e", "--config", "{tmp}/nan-config.json"], {}, 2, "NaN: not a number"),
    ("test-stage-rows-latin1", ["test-stage", "--endpoint-name", "e", "--config", str(CONFIG), "--rows", "{tmp}/latin1.json"],
     {}, 2, "latin1.json: not UTF-8 text"),
    ("test-stage-report-is-a-folder", ["test-stage", "--endpoint-name", "no-such-endpoint", "--config", str(CONFIG),
                                       "--report", "{tmp}/folder"], {}, 2, "--report {tmp}/folder: is a folder"),
    # rollback
    ("rollback-group-format", ["rollback", "--to-version", "1", "--group", "bad group!"], {}, 2,
     "--group: 'bad group!': must be 1-63 letters"),
    ("rollback-unknown-version", ["rollback", "--to-version", "9", "--group", "{group}", "--audit-file", "{tmp}/a.jsonl"],
     {}, 2, "has no version 9 (versions: 3, 2, 1)"),
    ("rollback-not-approved", ["rollback", "--to-version", "2", "--group", "{group}", "--audit-file", "{tmp}/a.jsonl"],
     {}, 2, "version 2 of {group} is Rejected, not Approved"),
    ("rollback-audit-folder-missing", ["rollback", "--to-version", "1", "--group", "{group}", "--audit-file",
                                       "{tmp}/missing/a.jsonl"], {}, 2, "cannot append to it (No such file or directory)"),
    ("rollback-audit-is-a-folder", ["rollback", "--to-version", "1", "--group", "{group}", "--audit-file", "{tmp}/folder"],
     {}, 2, "--audit-file {tmp}/folder: cannot read it (Is a directory)"),
    ("rollback-audit-not-an-audit", ["rollback", "--to-version", "1", "--group", "{group}", "--audit-file",
                                     "{tmp}/deep.json"], {}, 2, "line 1: not a JSON object"),
    ("rollback-audit-event-missing-a-field", ["rollback", "--to-version", "1", "--group", "{group}", "--audit-file",
                                              "{tmp}/hand-edited.jsonl"], {}, 2,
     "hand-edited.jsonl: line 1: a rejected event without version (a version number): it was edited by hand"),
    ("rollback-unreachable", ["rollback", "--to-version", "1", "--group", "{group}"], UNREACHABLE, 1,
     "AWS call sagemaker:ListModelPackages on {group} failed: Could not connect"),
    ("rollback-no-region", ["rollback", "--to-version", "1", "--group", "{group}"],
     {"AWS_DEFAULT_REGION": None, "AWS_REGION": None, "AWS_CONFIG_FILE": "{tmp}/missing"}, 1, "no AWS region set"),
    # teardown and shadow-test
    ("teardown-project-format", ["teardown", "--project", "bad name!", "--dry-run"], {}, 2, "--project: 'bad name!': must match"),
    ("teardown-role-format", ["teardown", "--project", "p", "--staging-role-arn", "staging", "--dry-run"], {}, 2,
     "target role: 'staging': must be an IAM role ARN"),
    ("teardown-prices-nan", ["teardown", "--project", "p", "--dry-run", "--prices", "{tmp}/nan.json"], {}, 2,
     "nan.json: NaN: not a number JSON allows"),
    ("shadow-test-sampling-nan", ["shadow-test", "start", "--name", "x", "--endpoint", "e", "--candidate-model", "m",
                                  "--sampling-percentage", "nan", "--capture-destination", "s3://b/p"], {}, 2,
     "argument --sampling-percentage: invalid int value: 'nan'"),
    ("shadow-test-status-name-format", ["shadow-test", "status", "--name", "bad name!"], {}, 2,
     "--name: 'bad name!': must match [a-zA-Z0-9](-*[a-zA-Z0-9]){{0,119}} (CreateInferenceExperiment)"),
    ("shadow-test-stop-name-too-long", ["shadow-test", "stop", "--name", "a" + "-" * 120 + "b"], {}, 2, "--name: 'a---"),
    *[(f"shadow-test-capture-destination-{case}", ["shadow-test", "start", "--name", "x", "--endpoint", "e", "--candidate-model",
                                                  "m", "--role-arn", ROLE, "--model-package-group", "{group}", "--capture-destination", value], {}, 2,
       f"--capture-destination: {value!r}: must be an s3://BUCKET/PREFIX URI naming a valid bucket")
      for case, value in (("no-bucket", "s3://"), ("bad-bucket", "s3://Bad_Bucket/x"), ("https", "https://b/p"))],
    ("shadow-test-api-missing", ["shadow-test", "status", "--name", "nope"], {}, 1,
     "AWS call sagemaker:DescribeInferenceExperiment on nope failed: 500: the endpoint answered HTTP 500 with an HTML page"),
    # rehearse: options, artifacts, output path
    ("rehearse-speed-inf", ["rehearse", "--config", str(CONFIG), "--blue", "b", "--green", "g", "--speed", "inf"], {}, 2,
     "--speed: inf: must be a finite number"),
    ("rehearse-latency-negative", ["rehearse", "--config", str(CONFIG), "--blue", "b", "--green", "g",
                                   "--fault-latency-ms=-5"], {}, 2, "--fault-latency-ms: -5.0: must be >= 0"),
    ("rehearse-endpoint-format", ["rehearse", "--config", str(CONFIG), "--blue", "b", "--green", "g",
                                  "--endpoint-name", "bad name!"], {}, 2, "--endpoint-name: 'bad name!': must be 1-63"),
    ("rehearse-component-name-too-long", ["rehearse", "--config", str(SEED / "examples/inference-components.json"),
                                          "--blue", "b", "--green", "g", "--endpoint-name", "e" * 60], {}, 2,
     "ComponentName: \"model\": InferenceComponentName <endpoint>-<ComponentName> would be 66 characters"),
    ("rehearse-truncated-archive", ["rehearse", "--config", str(CONFIG), "--blue", "{tmp}/truncated.tar.gz", "--green",
                                    "{tmp}/truncated.tar.gz", "--out", "{tmp}/rehearsal"], {}, 2,
     "truncated.tar.gz: not a tar archive (truncated or corrupt)"),
    ("rehearse-archive-cut-in-half", ["rehearse", "--config", str(CONFIG), "--blue", "{tmp}/half.tar.gz", "--green",
                                      "{tmp}/half.tar.gz", "--out", "{tmp}/rehearsal"], {}, 2,
     "half.tar.gz: not a tar archive (truncated or corrupt): Compressed file ended before the end-of-stream marker"),
    ("rehearse-out-is-a-file", ["rehearse", "--config", str(CONFIG), "--blue", "b", "--green", "g", "--out", "{tmp}/a-file"],
     {}, 2, "--out {tmp}/a-file: exists and is not a folder"),
    ("rehearse-config-1e999", ["rehearse", "--config", "{tmp}/huge-config.json", "--blue", "b", "--green", "g"], {}, 2,
     "1e999: not a number"),
    # analyses
    ("analyze-ab-alpha-nan", ["analyze-ab", "{tmp}/folder", "--truth", "{tmp}/truth.csv", "--alpha", "nan"], {}, 2,
     "--alpha: nan: must be a finite number"),
    ("analyze-ab-missing-captures", ["analyze-ab", "{tmp}/missing", "--truth", "{tmp}/truth.csv"], {}, 2,
     "missing: not found"),
    ("analyze-ab-missing-bucket", ["analyze-ab", "s3://no-such-bucket-bad-input/captures", "--truth", "{tmp}/truth.csv"],
     {}, 1, "no-such-bucket-bad-input"),
    ("analyze-ab-s3-capture-not-utf8", ["analyze-ab", "s3://{bucket}/latin1-captures", "--truth", "{tmp}/truth.csv"], {}, 2,
     "s3://{bucket}/latin1-captures/ep/control/2024/05/01/12/capture.jsonl: not UTF-8 text"),
    ("analyze-ab-empty-captures", ["analyze-ab", "{tmp}/empty-captures", "--truth", "{tmp}/truth.csv", "--control", "a"], {}, 2,
     "{tmp}/empty-captures: 1 .jsonl capture file(s) but no capture record in them: nothing to analyze"),
    ("analyze-ab-bom-truth-bad-label", ["analyze-ab", "{tmp}/captures", "--truth", "{tmp}/truth-bom.csv"], {}, 2,
     "truth-bom.csv:2: label: 'x': must be a number"),
    ("analyze-ab-truth-nan-label", ["analyze-ab", "{tmp}/captures", "--truth", "{tmp}/truth-nan.csv"], {}, 2,
     "truth-nan.csv:3: label: 'nan': must be a number"),
    ("compare-shadow-tolerance-inf", ["compare-shadow", "{tmp}/folder", "--tolerance=-inf"], {}, 2,
     "--tolerance: -inf: must be a finite number"),
    ("drift-statistics-nan", ["drift", "{tmp}/folder", "--statistics", "{tmp}/nan.json"], {}, 2, "nan.json: NaN: not a number"),
    ("drift-statistics-deep", ["drift", "{tmp}/folder", "--statistics", "{tmp}/deep.json"], {}, 2, "nested too deeply"),
    ("drift-statistics-latin1", ["drift", "{tmp}/folder", "--statistics", "{tmp}/latin1.json"], {}, 2, "latin1.json: not UTF-8"),
]


def half_archive() -> bytes:
    """A model.tar.gz cut in half: its gzip stream ends before its end-of-stream marker."""
    import os
    import tarfile

    buffer, data = io.BytesIO(), os.urandom(200_000)  # random bytes: gzip cannot shrink them
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()[:len(buffer.getvalue()) // 2]


def write_inputs(folder: Path) -> None:
    (folder / "nan.json").write_text('{"currency": "EUR", "prices": {"ml.m5.large": NaN}}')
    text = CONFIG.read_text()
    (folder / "nan-config.json").write_text(text.replace('"InitialVariantWeight": 1', '"InitialVariantWeight": NaN', 1)
                                            if '"InitialVariantWeight": 1' in text else text[:-2] + ', "x": NaN}')
    (folder / "huge-config.json").write_text(text.replace("{", '{"Huge": 1e999, ', 1))
    (folder / "inf-config.json").write_text(text.replace("{", '{"Inf": -Infinity, ', 1))
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "latin1.json").write_bytes('{"name": "caf\u00e9"}'.encode("latin-1"))
    (folder / "folder").mkdir()
    (folder / "duplicate-key-config.json").write_text(text.replace("{", '{"ProductionVariants": [], ', 1))
    (folder / "hand-edited.jsonl").write_text('{"event": "rejected", "plan": "abc", "time": "2026-01-01"}\n')
    (folder / "out-blocked" / "prod-config-export.json").mkdir(parents=True)  # a folder where a file goes
    (folder / "a-file").write_text("I am a file\n")
    (folder / "truth.csv").write_text("inference_id,label\n1,3.0\n")
    (folder / "truth-bom.csv").write_text("\ufeffinference_id,label\n1,x\n")  # the header reads right; the label does not
    (folder / "empty-captures" / "ep" / "a" / "2024" / "05" / "01" / "12").mkdir(parents=True)
    (folder / "empty-captures" / "ep" / "a" / "2024" / "05" / "01" / "12" / "capture.jsonl").write_text("\n")
    (folder / "truth-nan.csv").write_text("inference_id,label\n1,3.0\n2,nan\n")
    from analysis.capture_files import capture_record, write_variant

    records = [capture_record("0.5,0.4", "9.5", str(n), "2024-05-01T12:00:00Z") for n in (1, 2)]
    write_variant(folder / "captures", "ep", "control", records)
    (folder / "prices-list.json").write_text('{"currency": "USD", "prices": [["ml.m5.large", 0.1]]}')
    (folder / "half.tar.gz").write_bytes(half_archive())
    (folder / "truncated.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)  # a gzip header, then nothing


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input")
    write_inputs(folder)
    return folder


@pytest.fixture(scope="module")
def world(emulator_url):
    """A group with versions 1 Approved, 2 Rejected, 3 Approved and a bucket with one object."""
    from mlops_guardrails.testing import _register_packages

    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ENDPOINT_URL", emulator_url)
    group, bucket = "bad-input-group", "bad-input-bucket"
    _register_packages(boto3.client("sagemaker"), group, ["Approved", "Rejected", "Approved"], baseline=True)
    boto3.client("s3").create_bucket(Bucket=bucket)
    boto3.client("s3").put_object(Bucket=bucket, Key="keep/me.txt", Body=b"x")
    boto3.client("s3").put_object(Bucket=bucket, Key="latin1-captures/ep/control/2024/05/01/12/capture.jsonl",
                                  Body='{"captureData": "caf\u00e9"}\n'.encode("latin-1"))
    mp.undo()
    # The snapshot's own clients, made once: two new clients per snapshot were a third of this file's time.
    where = {"endpoint_url": emulator_url, "region_name": "us-east-1"}
    return {"group": group, "bucket": bucket, "url": emulator_url,
            "sm": boto3.client("sagemaker", **where), "s3": boto3.client("s3", **where)}


def snapshot(world, folder: Path) -> dict:
    """What a bad input must not change: the group's versions and statuses, every S3 object, the files."""
    sm, s3 = world["sm"], world["s3"]
    packages = sm.list_model_packages(ModelPackageGroupName=world["group"])["ModelPackageSummaryList"]
    objects = {(b["Name"], o["Key"], o["ETag"]) for b in s3.list_buckets()["Buckets"]
               for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])}
    files = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
             for p in sorted(folder.rglob("*"))}
    return {"registry": sorted((p["ModelPackageVersion"], p["ModelApprovalStatus"]) for p in packages),
            "s3": sorted(objects), "files": files}


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code
    return code, err.getvalue()


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_refused_with_a_named_error_and_changes_nothing(row, inputs, world, monkeypatch):
    _, argv, env, expected_code, fragment = row
    values = {"tmp": str(inputs), "group": world["group"], "bucket": world["bucket"]}
    monkeypatch.setenv("AWS_ENDPOINT_URL", world["url"])
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value.format(**values))
    before = snapshot(world, inputs)
    code, err = run([arg.format(**values) for arg in argv])
    assert code == expected_code, err
    assert fragment.format(**values) in err
    assert "Traceback" not in err and err.startswith(("error: ", "usage: ", str(inputs)))
    assert snapshot(world, inputs) == before


def test_build_py_entry_point_reports_bad_environment_in_one_line(world, inputs, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", world["url"])
    for key, value in {**GOOD_ENV, "ARTIFACT_BUCKET": "x"}.items():
        monkeypatch.setenv(key, value.format(group=world["group"], bucket=world["bucket"]))
    monkeypatch.setattr(sys, "argv", ["build.py", "--output-dir", str(inputs / "out")])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(SEED / "build.py"), run_name="__main__")
    assert done.value.code == 2
    assert capsys.readouterr().err == ("error: environment: ARTIFACT_BUCKET: 'x': must be an S3 bucket name: 3-63 "
                                       "lowercase letters, digits, dots and hyphens, a letter or digit first and last, "
                                       "none of S3's reserved prefixes (xn--, sthree-, amzn-s3-demo-) or suffixes "
                                       "(-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)\n")
    assert not (inputs / "out").exists()


def test_debug_shows_the_traceback_the_default_hides(inputs, capsys):
    code, err = run(["rollback", "--to-version", "1", "--group", "bad group!", "--debug"])
    assert code == 2 and "Traceback (most recent call last)" in err and err.rstrip().endswith("must be 1-63 letters, digits and hyphens, no hyphen first or last")


def test_json_output_writes_undefined_numbers_as_null():
    import numpy as np

    text = json_output.dumps({"t": float("inf"), "p": np.float64("nan"), "n": [1.5, -float("inf")], "ok": 2})
    assert json.loads(text) == {"t": None, "p": None, "n": [1.5, None], "ok": 2}
