"""seed_merge and upgrade_repos' bundle path on real git repositories made here: a team's repository started from
seed version 1.0.0, edited, then upgraded to 2.0.0."""
import subprocess
from pathlib import Path

import pytest

import upgrade_repos
from seed_merge import description, merge, pin_of

BASE = {
    "pipelines/pipeline.py": b"def steps():\n    return ['preprocess', 'train']\n\n\nTIMEOUT = 60\n",
    "config.json": b'{\n  "instance": "ml.m5.large",\n  "threshold": 6.0\n}\n',
    "scripts/evaluate.py": b"import json\n\nMETRIC = 'mse'\n",
    "old_helper.py": b"def helper():\n    return 1\n",
    "requirements.txt": b"boto3==1.44.8\nmlops-guardrails==1.0.0\npytest==9.2.0\n",
}
NEW = {
    **BASE,
    "pipelines/pipeline.py": b"def steps():\n    return ['preprocess', 'train']\n\n\nTIMEOUT = 120\n",
    "scripts/evaluate.py": b"import json\n\nMETRIC = 'rmse'\n",
    "old_helper.py": b"def helper():\n    return 2\n",
    "requirements.txt": b"boto3==1.44.8\nmlops-guardrails==2.0.0\npytest==9.2.0\n",
    "docs/new.md": b"# new in 2.0.0\n",
}


def team_repository(path: Path) -> Path:
    """A git repository at 1.0.0's files, then the team's commit: an edit the new version does not touch
    (config.json), one it also changes (evaluate.py), a deleted file, their own pin and their own file."""
    path.mkdir()
    run(path, "init", "--quiet", "-b", "main")
    write(path, BASE)
    commit(path, "initial seed 1.0.0")
    write(path, {"config.json": b'{\n  "instance": "ml.m5.xlarge",\n  "threshold": 6.0\n}\n',
                 "scripts/evaluate.py": b"import json\n\nMETRIC = 'mae'\n",
                 "requirements.txt": b"boto3==1.44.8\nmlops-guardrails==1.1.0\npytest==9.2.0\nlightgbm==4.6.0\n",
                 "team_notes.md": b"ours\n"})
    (path / "old_helper.py").unlink()
    commit(path, "team edits")
    return path


def run(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def write(repo: Path, files: dict) -> None:
    for name, content in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(content)


def commit(repo: Path, message: str) -> None:
    run(repo, "add", "-A")
    run(repo, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "--quiet", "-m", message)


@pytest.fixture
def upgraded(tmp_path):
    repo = team_repository(tmp_path / "team")
    parent, head = upgrade_repos.clone_head(repo)
    result = merge(BASE, NEW, head, labels=("1.0.0", "2.0.0"), pin_version="2.0.0")
    return repo, parent, head, result


def test_a_team_edit_the_new_version_does_not_touch_survives(upgraded):
    _repo, _parent, head, result = upgraded
    assert result.files["config.json"] == head["config.json"]
    assert result.files["team_notes.md"] == b"ours\n"
    assert result.files["pipelines/pipeline.py"] == NEW["pipelines/pipeline.py"]  # untouched by the team: new
    assert result.files["docs/new.md"] == b"# new in 2.0.0\n"


def test_an_edit_both_sides_made_is_a_listed_conflict_with_markers(upgraded):
    _repo, _parent, head, result = upgraded
    assert result.conflicts == ["scripts/evaluate.py"]
    assert result.files["scripts/evaluate.py"] == (
        b"import json\n\n<<<<<<< your repository\nMETRIC = 'mae'\n=======\nMETRIC = 'rmse'\n"
        b">>>>>>> template 2.0.0\n")
    assert "Conflicts (1), left with conflict markers for you to resolve:\n- scripts/evaluate.py\n" in \
        description("team", "1.0.0", "2.0.0", result, head)


def test_a_file_the_team_deleted_stays_deleted(upgraded):
    _repo, _parent, head, result = upgraded
    assert "old_helper.py" not in result.files
    assert "old_helper.py: deleted by the team; the new version changes it: kept deleted" in result.notes
    assert "old_helper.py" not in result.changed


def test_the_pin_moves_and_the_teams_own_lines_stay(upgraded):
    _repo, _parent, head, result = upgraded
    assert result.files["requirements.txt"] == b"boto3==1.44.8\nmlops-guardrails==2.0.0\npytest==9.2.0\nlightgbm==4.6.0\n"
    assert result.pin == ("1.1.0", "2.0.0")
    assert "Package pin: mlops-guardrails 1.1.0 -> 2.0.0" in description("team", "1.0.0", "2.0.0", result, head)


def test_without_a_pin_line_the_upgrade_says_so_and_adds_none():
    base = {"requirements.txt": b"boto3==1.44.8\n"}
    result = merge(base, base, base, labels=("1.0.0", "2.0.0"), pin_version="2.0.0")
    assert result.pin is None and pin_of(result.files["requirements.txt"]) is None
    assert result.notes == ["requirements.txt: no mlops-guardrails== line: the pin was not moved and none was added"]


def test_the_bundle_holds_the_merge_on_top_of_the_teams_head(upgraded, tmp_path):
    repo, parent, head, result = upgraded
    branch = upgrade_repos.upgrade_branch("2.0.0")
    bundle = upgrade_repos.write_bundle(repo, parent, branch, result.files, "template upgrade 1.0.0 -> 2.0.0",
                                        tmp_path / "out" / "upgrade.bundle")
    assert run(repo, "status", "--porcelain") == ""  # the team's clone is never changed
    push, request = upgrade_repos.push_commands(bundle, branch, "main", "Template upgrade 2.0.0",
                                                tmp_path / "pr.md", "acme/churn-build", "github")
    subprocess.run(push.split(" && ")[0], shell=True, cwd=repo, check=True, capture_output=True)  # noqa: S602 - the command as printed
    assert run(repo, "rev-parse", f"{branch}~1").strip() == parent
    assert run(repo, "show", f"{branch}:requirements.txt").count("mlops-guardrails==2.0.0") == 1
    assert run(repo, "ls-tree", "-r", "--name-only", branch).split() == sorted(result.files)
    assert request.startswith(f"gh pr create --repo acme/churn-build --head {branch} --base main")


def test_pull_request_tokens_differ_per_repository_even_for_long_names():
    long = "sagemaker-" + "a" * 32 + "-p-abcdefghijkl"
    assert upgrade_repos.request_token(long + "-modelbuild", "template-upgrade/2.0.0") != \
        upgrade_repos.request_token(long + "-modeldeploy", "template-upgrade/2.0.0")


def test_a_description_over_codecommits_limit_is_cut_with_a_note():
    import boto3
    from botocore.stub import ANY, Stubber

    codecommit = boto3.client("codecommit", region_name="us-east-1")
    text = "- file.py (modified)\n" * 1000  # 21,000 characters
    with Stubber(codecommit) as stub:
        stub.add_response("create_pull_request", {"pullRequest": {"pullRequestId": "3"}}, {
            "title": "t", "clientRequestToken": "tok", "targets": ANY,
            "description": text[:upgrade_repos.PULL_REQUEST_DESCRIPTION_MAX - len(upgrade_repos.CUT_NOTE)]
            + upgrade_repos.CUT_NOTE})
        assert upgrade_repos.codecommit_pull_request(codecommit, "r", "b", "main", "t", text, "tok") == "3"
