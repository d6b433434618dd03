"""Where an upgrade's seed merge is read from and written to: a CodeCommit repository (read through GetFolder and
GetBlob, written as branch template-upgrade/<version> with CreateBranch and CreateCommit, and a pull request), or a
repository behind CodeConnections (GitHub, GitLab, Bitbucket; AWS has no push API for them): a local clone is
read, the branch is written as a git bundle, and the two commands that push it and open the request are printed.
Every write is skipped when it is already there, so an interrupted upgrade finishes on the next run."""
import hashlib
import io
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from seed_merge import Files

BRANCH_PREFIX = "template-upgrade/"
AUTHOR = "SageMaker project template upgrade"
# CodeCommit's quotas (userguide/limits.html): at most 100 files in a single commit made through the API.
FILES_PER_COMMIT = 100
PULL_REQUEST_DESCRIPTION_MAX = 10240  # botocore's codecommit model: CreatePullRequest description max
CUT_NOTE = "\n... (cut at CodeCommit's description limit: the commit message lists every file)\n"


def upgrade_branch(version: str) -> str:
    return f"{BRANCH_PREFIX}{version}"


def files_of_zip(body: bytes) -> Files:
    """A seed zip's files by path."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


# CodeCommit ---------------------------------------------------------------------------------------------------------

def codecommit_head(cc, repository: str) -> tuple[str, str, Files]:
    """(default branch, its commit id, its files) of a CodeCommit repository."""
    branch = cc.get_repository(repositoryName=repository)["repositoryMetadata"]["defaultBranch"]
    commit = cc.get_branch(repositoryName=repository, branchName=branch)["branch"]["commitId"]
    return branch, commit, codecommit_files(cc, repository, commit, "/")


def codecommit_files(cc, repository: str, commit: str, folder: str) -> Files:
    """Every file under `folder` at `commit` (GetFolder lists one level: walk the subfolders)."""
    listing = cc.get_folder(repositoryName=repository, commitSpecifier=commit, folderPath=folder)
    files = {entry["absolutePath"].lstrip("/"):
             cc.get_blob(repositoryName=repository, blobId=entry["blobId"])["content"]
             for entry in listing.get("files", [])}
    for sub in listing.get("subFolders", []):
        files.update(codecommit_files(cc, repository, commit, sub["absolutePath"]))
    return files


def codecommit_branch_commit(cc, repository: str, branch: str) -> str | None:
    """The branch's commit id, or None when the branch does not exist."""
    try:
        return cc.get_branch(repositoryName=repository, branchName=branch)["branch"]["commitId"]
    except cc.exceptions.BranchDoesNotExistException:
        return None


def codecommit_push(cc, repository: str, parent: str, branch: str, merged: Files, head: Files,
                    message: str) -> tuple[str, bool]:
    """Branch `branch` at `parent`, then the commits on it that turn `head` into `merged` (one per
    FILES_PER_COMMIT changed files). Returns (branch head, made now). A rerun continues after the last part an
    earlier run committed (each part's message says "part i/n"), so every part is committed once."""
    entries = ([{"filePath": path, "fileContent": content} for path, content in sorted(merged.items())
                if head.get(path) != content] + [{"filePath": path} for path in sorted(set(head) - set(merged))])
    parts = [entries[i:i + FILES_PER_COMMIT] for i in range(0, len(entries), FILES_PER_COMMIT)] or [[]]
    at = codecommit_branch_commit(cc, repository, branch)
    done = 0
    if at is None:
        cc.create_branch(repositoryName=repository, branchName=branch, commitId=parent)
        at = parent
    elif at != parent:
        done = parts_committed(cc.get_commit(repositoryName=repository, commitId=at)["commit"].get("message", ""))
    for number in range(done, len(parts)):
        text = message if len(parts) == 1 else f"[part {number + 1}/{len(parts)}] {message}"
        at = cc.create_commit(repositoryName=repository, branchName=branch, parentCommitId=at, authorName=AUTHOR,
                              commitMessage=text, putFiles=[e for e in parts[number] if "fileContent" in e],
                              deleteFiles=[e for e in parts[number] if "fileContent" not in e])["commitId"]
    return at, done < len(parts)


def parts_committed(message: str) -> int:
    """How many parts the branch's head commit completes ("[part i/n]": i; a one-part commit: all of them)."""
    found = re.match(r"\[part (\d+)/(\d+)\]", message)
    return int(found.group(1)) if found else sys.maxsize


def request_token(repository: str, branch: str) -> str:
    """The pull request's idempotency token: one per repository and upgrade branch, whatever their length."""
    return hashlib.sha256(f"{repository}\n{branch}".encode()).hexdigest()[:32]


def codecommit_pull_request(cc, repository: str, branch: str, destination: str, title: str, text: str,
                            token: str) -> str:
    """The pull request from `branch` to `destination`; the same clientRequestToken (and the same parameters) on a
    rerun returns the request already opened instead of a second one (CodeCommit's idempotency token)."""
    if len(text) > PULL_REQUEST_DESCRIPTION_MAX:  # CreatePullRequest's limit; the commit message keeps it all
        text = text[:PULL_REQUEST_DESCRIPTION_MAX - len(CUT_NOTE)] + CUT_NOTE
    request = cc.create_pull_request(
        title=title, description=text, clientRequestToken=token,
        targets=[{"repositoryName": repository, "sourceReference": branch, "destinationReference": destination}])
    return request["pullRequest"]["pullRequestId"]


# CodeConnections (a local clone) ------------------------------------------------------------------------------------

def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    run = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {repo}: {run.stderr.decode(errors='replace').strip()}")
    return run.stdout


def clone_head(clone: Path) -> tuple[str, Files]:
    """(HEAD's commit, its files) of a local clone: what the team has, uncommitted work left out."""
    commit = git(clone, "rev-parse", "HEAD").decode().strip()
    paths = [p for p in git(clone, "ls-tree", "-r", "-z", "--name-only", commit).decode().split("\0") if p]
    return commit, {path: git(clone, "cat-file", "blob", f"{commit}:{path}") for path in paths}


def write_bundle(clone: Path, parent: str, branch: str, merged: Files, message: str, out: Path) -> Path:
    """Commit `merged` on `branch` (parent `parent`) in a temporary copy of `clone` and write the branch as a git
    bundle at `out` (only the new commit: the team's repository already has `parent`). The clone is never changed."""
    with tempfile.TemporaryDirectory(prefix="seed-upgrade-") as work:
        copy = Path(work) / "repo"
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(clone), str(copy)], check=True,
                       capture_output=True)
        git(copy, "checkout", "--quiet", "-b", branch, parent)
        modes = dict(line.split(" ", 1) for line in git(copy, "ls-tree", "-r", "--format=%(objectmode) %(path)",
                                                                 parent).decode().splitlines())  # keep executables
        git(copy, "rm", "-r", "--quiet", "--cached", "--ignore-unmatch", ".")
        for path, content in merged.items():
            blob = git(copy, "hash-object", "-w", "--stdin", data=content).decode().strip()
            git(copy, "update-index", "--add", "--cacheinfo", f"{modes.get(path, '100644')},{blob},{path}")
        git(copy, "-c", f"user.name={AUTHOR}", "-c", "user.email=template-upgrade@localhost", "commit", "--quiet",
            "--allow-empty", "-m", message)
        out.parent.mkdir(parents=True, exist_ok=True)
        git(copy, "bundle", "create", str(out.resolve()), f"{parent}..refs/heads/{branch}")
    return out


def push_commands(bundle: Path, branch: str, default_branch: str, title: str, description_file: Path,
                  repository_id: str, host: str) -> list[str]:
    """The two commands a team member runs in the clone: fetch the bundle's branch and push it, then open the
    request (GitHub's gh, GitLab's glab; Bitbucket's compare page)."""
    push = (f"git fetch {shlex.quote(str(bundle))} {branch}:{branch} && git push origin {branch}")
    if host == "gitlab":
        request = (f"glab mr create --source-branch {branch} --target-branch {default_branch} "
                   f"--title {shlex.quote(title)} --description \"$(cat {shlex.quote(str(description_file))})\"")
    elif host == "bitbucket":
        request = f"open https://bitbucket.org/{repository_id}/pull-requests/new?source={branch}&dest={default_branch}"
    else:
        request = (f"gh pr create --repo {repository_id} --head {branch} --base {default_branch} "
                   f"--title {shlex.quote(title)} --body-file {shlex.quote(str(description_file))}")
    return [push, request]
