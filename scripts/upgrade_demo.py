"""`make upgrade-demo`: rehearse a project upgrade end to end, offline. The old version is a git revision of this
repository (its seeds and its synthesized project template, `git archive REV`), the new one the work tree; both
are published to the embedded emulator, a project's two repositories are real git repositories that start from the
old seeds and carry a team's edits, and upgrade_project runs against them: changelog, infrastructure preview,
UpdateProject (Stubber: moto has no SageMaker projects), the seed merges written as git bundles, then the bundles
applied to the repositories and a rerun that changes nothing.

Offline, the preview diffs the two synthesized templates (stack_preview.template_changes) because moto cannot
create the project stack; in AWS it is CloudFormation's change set or Service Catalog's plan."""
import argparse
import datetime
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import published_versions
import s3_template
import stack_preview
import upgrade_project
import upgrade_repos
from cdk_apps import ROOT, synthesize
from script_errors import ScriptInputError, run_command
from seed_zips import SEEDS, STAMP_FILE, zip_seeds

BUCKET = "upgrade-demo-assets"
PROJECT, PROJECT_ID = "churn", "p-upgrade0demo"
CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/11111111-2222-3333-4444-555555555555"
TEAM_NOTE = "\n## Team notes\nOur own words, kept by every upgrade.\n"
EXAMPLES = """examples:
  scripts/upgrade_demo.py                                  # ae859d0 (1.0.0) -> the work tree (2.0.0)
  scripts/upgrade_demo.py --from-rev main --from-version 1.0.0 --to-version 2.0.0 --changelog toolkit/CHANGELOG.md
exit codes: 0 rehearsed; 1 a step did not happen as the rehearsal needs; 2 bad options (an unknown revision).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-rev", default="ae859d0", help="git revision of the old version (default: ae859d0)")
    parser.add_argument("--from-version", default="1.0.0")
    parser.add_argument("--to-version", default="2.0.0")
    parser.add_argument("--changelog", type=Path, help="CHANGELOG.md with `## X.Y.Z` sections (default: "
                                                       "toolkit/CHANGELOG.md when it exists)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "upgrade-demo", help="bundles, state, report")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return run_command(lambda: rehearse(args), args.debug)


def rehearse(args, progress=print) -> int:
    """The rehearsal, step by step; returns 0 when every check held."""
    from mlops_guardrails.emulator import FAKE_CREDENTIALS, embedded_emulator

    os.environ.update(FAKE_CREDENTIALS)
    (args.out / f"{PROJECT}.json").unlink(missing_ok=True)  # a rehearsal starts from nothing
    with tempfile.TemporaryDirectory(prefix="upgrade-demo-") as work:
        work = Path(work)
        old_tree = export_revision(args.from_rev, work / "old")
        progress(f"==> 1. versions: {args.from_version} = {args.from_rev} (git archive), {args.to_version} = work tree")
        templates = {args.from_version: synthesize_revision(old_tree, work / "old-templates", args.from_version),
                     args.to_version: synthesize(work / "new-templates", seed_bucket=BUCKET, progress=lambda _l: None,
                                                 seed_prefix=f"{published_versions.VERSIONS_ROOT}{args.to_version}/"
                                                 ).template(upgrade_project.s3_template.TEMPLATE_NAME)}
        with embedded_emulator():
            publish_versions(old_tree, work, args, templates, progress)
            clones = {seed: team_repository(work / "repos" / seed, work / f"{args.from_version}-zips" / f"{seed}.zip")
                      for seed in SEEDS}
            progress("==> 3. the team's repositories: the old seeds, then the team's commit (a README section each)")
            progress(f"==> 4. make upgrade-project ARGS=\"{PROJECT} --to {args.to_version} --clone seed-build=... "
                     "--clone seed-deploy=...\"")
            made = run_upgrade(args, clones, templates, progress)
            apply_bundles(args, clones, made, progress)
            progress("==> 6. rerun: the same version again")
            again = run_upgrade(args, clones, templates, progress, at_target=True)
            if again:
                raise upgrade_project.UpgradeError(f"rerun changed {again}: it must change nothing")
    progress(f"==> rehearsed: {args.from_version} -> {args.to_version}; bundles and descriptions in {args.out}")
    return 0


def export_revision(rev: str, into: Path) -> Path:
    """The repository at `rev` (git archive): its seeds and the code that synthesizes its template."""
    run = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], capture_output=True, check=False)
    if run.returncode != 0:
        raise ScriptInputError(f"--from-rev: {rev!r}: {run.stderr.decode(errors='replace').strip()}")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(run.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def synthesize_revision(tree: Path, out: Path, version: str) -> dict:
    """The old revision's project template, synthesized by its own scripts/synth.py (in a child process: its
    template/ package shadows this one's)."""
    subprocess.run([sys.executable, str(tree / "scripts" / "synth.py"), "--out-dir", str(out), "--seed-bucket", BUCKET,
                    "--seed-prefix", f"{published_versions.VERSIONS_ROOT}{version}/"], cwd=tree, check=True,
                   capture_output=True)
    return json.loads((out / f"{s3_template.TEMPLATE_NAME}.json").read_text())


def publish_versions(old_tree: Path, work: Path, args, templates: dict, progress) -> None:
    """Both versions as publish lays them out: seed zips (the old without stamps, as 1.0.0 published them) and
    the YAML template under sagemaker-project/<version>/."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    zips = {args.from_version: zip_seeds(work / f"{args.from_version}-zips", old_tree),
            args.to_version: zip_seeds(work / f"{args.to_version}-zips", ROOT, version=args.to_version)}
    for version, seeds in zips.items():
        prefix = f"{published_versions.VERSIONS_ROOT}{version}/"
        for path in seeds.values():
            s3.put_object(Bucket=BUCKET, Key=prefix + path.name, Body=path.read_bytes())
        s3.put_object(Bucket=BUCKET, Key=prefix + s3_template.YAML_KEY,
                      Body=s3_template.template_yaml(templates[version]).encode())
    progress("==> 2. published to the emulator:")
    for row in published_versions.listing(published_versions.s3_versions(s3, BUCKET), []):
        progress(f"    {row}")


def team_repository(path: Path, seed_zip: Path) -> Path:
    """A git repository made from the old seed zip, then the team's own commit."""
    files = upgrade_repos.files_of_zip(seed_zip.read_bytes())
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(content)
    git = ["git", "-C", str(path), "-c", "user.name=team", "-c", "user.email=team@localhost"]
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(path)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "initial seed"], check=True)
    with (path / "README.md").open("a") as readme:
        readme.write(TEAM_NOTE)
    subprocess.run([*git, "commit", "--quiet", "-am", "team notes"], check=True)
    return path


def described(args, version: str, status: str) -> dict:
    url = s3_template.template_url(BUCKET, f"{published_versions.VERSIONS_ROOT}{version}/{s3_template.YAML_KEY}",
                                   "us-east-1")
    parameters = {"CodeConnectionArn": CONNECTION, "BuildRepositoryId": "acme/churn-build",
                  "DeployRepositoryId": "acme/churn-deploy", "BranchName": "main"}
    return {"ProjectArn": f"arn:aws:sagemaker:us-east-1:123456789012:project/{PROJECT}", "ProjectName": PROJECT,
            "ProjectId": PROJECT_ID, "ProjectStatus": status,
            "CreationTime": datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc),
            "TemplateProviderDetails": [{"CfnTemplateProviderDetail": {
                "TemplateName": s3_template.TEMPLATE_NAME, "TemplateURL": url,
                "Parameters": [{"Key": k, "Value": v} for k, v in parameters.items()],
                "StackDetail": {"Name": f"SP-{PROJECT}-{PROJECT_ID}", "StatusMessage": "ok"}}}]}


def run_upgrade(args, clones: dict[str, Path], templates: dict, progress, at_target: bool = False) -> list[str]:
    """upgrade_project.upgrade with SageMaker's project API stubbed (botocore validates every request)."""
    import boto3
    from botocore.stub import Stubber

    sagemaker = boto3.client("sagemaker")
    with Stubber(sagemaker) as stub:
        if at_target:
            stub.add_response("describe_project", described(args, args.to_version, "UpdateCompleted"))
        else:
            stub.add_response("describe_project", described(args, args.from_version, "CreateCompleted"))
            stub.add_response("update_project", {"ProjectArn": described(args, args.to_version, "")["ProjectArn"]})
            stub.add_response("describe_project", described(args, args.to_version, "UpdateInProgress"))
            stub.add_response("describe_project", described(args, args.to_version, "UpdateCompleted"))
        options = upgrade_project.Options(project=PROJECT, to=args.to_version, asset_bucket=BUCKET,
                                          changelog_path=args.changelog, clones=clones, out_dir=args.out)
        made = upgrade_project.upgrade(
            options, upgrade_project.Clients(sagemaker=sagemaker), progress=progress, sleep=lambda _s: None,
            preview=lambda _project, _bucket: stack_preview.template_changes(templates[args.from_version],
                                                                            templates[args.to_version]))
        stub.assert_no_pending_responses()
    return made


def apply_bundles(args, clones: dict[str, Path], made: list[str], progress) -> None:
    """What a team member does with each bundle (the fetch of the printed command; there is no origin to push to),
    then the checks: the team's section survives, the stamp names the new version."""
    branch = upgrade_repos.upgrade_branch(args.to_version)
    progress("==> 5. the bundles fetched into the repositories, as the printed command does:")
    for seed, clone in clones.items():
        bundle = args.out / f"{PROJECT}-{seed}-{args.to_version}.bundle"
        if f"bundle {bundle}" not in " ".join(made):
            raise upgrade_project.UpgradeError(f"{seed}: no bundle written at {bundle}")
        subprocess.run(["git", "-C", str(clone), "fetch", "--quiet", str(bundle), f"{branch}:{branch}"], check=True)
        readme = upgrade_repos.git(clone, "show", f"{branch}:README.md").decode()
        stamp = json.loads(upgrade_repos.git(clone, "show", f"{branch}:{STAMP_FILE}"))
        if TEAM_NOTE not in readme or stamp["template_version"] != args.to_version:
            raise upgrade_project.UpgradeError(f"{seed}: the branch lost the team's README section or its stamp "
                                               f"is {stamp['template_version']}")
        stat = upgrade_repos.git(clone, "diff", "--stat", "main", branch).decode().strip().splitlines()
        progress(f"    {seed}: {branch} on top of main: {stat[-1].strip() if stat else 'no changes'}; "
                 "the team's README section kept")


if __name__ == "__main__":
    sys.exit(main())
