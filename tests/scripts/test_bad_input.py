"""The repository scripts, fed bad input: exit code, a one-line message naming the problem, nothing changed.

Each row: an id, the script, its arguments, the expected exit code and a fragment the error must contain;
each runs in-process through the script's main(argv), and the files under the input folder are unchanged.
(publish.py and lint.py have more bad-input tests beside their own tests.)
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


ROWS = [
    ("demo-speed-nan", "demo", ["--speed", "nan"], 2, "--speed: nan: must be > 0 and <= 150"),
    ("demo-speed-1e999", "demo", ["--speed", "1e999"], 2, "--speed: inf: must be > 0 and <= 150"),
    ("demo-out-is-a-file", "demo", ["--out", "{tmp}/a-file"], 2, "--out: {tmp}/a-file: exists and is not a folder"),
    ("demo-work-dir-is-a-file", "demo", ["--work-dir", "{tmp}/a-file"], 2, "--work-dir: {tmp}/a-file: exists and is not a folder"),
    ("synth-seed-bucket-format", "synth", ["--seed-bucket", "Seeds_Bucket", "--out-dir", "{tmp}/templates"], 2,
     "--seed-bucket: 'Seeds_Bucket': must be an S3 bucket name"),
    ("test-seeds-unknown-seed", "test_seeds", ["seed-nope"], 2, "seed-nope: not a seed folder under"),
    ("publish-studio-role-format", "publish", ["--dry-run", "--studio-role-arn", "StudioRole"], 2,
     "--studio-role-arn: 'StudioRole': must be an IAM role ARN"),
    ("publish-version-with-slash", "publish", ["--dry-run", "--version", "../1.0"], 2, "--version: '../1.0': must be"),
    ("lint-no-templates", "lint", ["--templates-dir", "{tmp}/none", "--nag-report", "{tmp}/none.json"], 2,
     "has no templates or {tmp}/none.json is missing: run scripts/synth.py"),
]


def tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_refused_with_a_named_error_and_changes_nothing(row, tmp_path):
    _, script, argv, expected_code, fragment = row
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
    assert "Traceback" not in err.getvalue()
    assert tree(tmp_path) == before


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
