"""Upgrade a SageMaker project made from this template to another published version, losing nothing:
1. infrastructure: preview the project stack's change (a change set on the S3 path, a provisioned-product plan on
   the Service Catalog path), refuse to replace or remove a resource holding data unless it is allowed by name,
   then UpdateProject and wait;
2. seed code: in each repository, a three-way merge of the seed's old version to the new one onto its head, as
   branch template-upgrade/<version> and a pull request (CodeCommit), or a git bundle and two commands
   (CodeConnections); the mlops-guardrails pin moves with it.
Rerunnable: every step first reads where AWS (and the state file) already is, so an interrupted upgrade finishes on
the next run and an upgrade to the version already there changes nothing."""
import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import changelog
import published_versions
import s3_template
import seed_merge
import stack_preview
import upgrade_repos
from cdk_apps import ROOT
from script_errors import ScriptError, ScriptInputError, run_command
from seed_zips import SEEDS, STAMP_FILE, read_stamp

REPOSITORY_SUFFIX = {"seed-build": "modelbuild", "seed-deploy": "modeldeploy"}  # template/components/repositories.py
REPOSITORY_PARAMETER = {"seed-build": "BuildRepositoryId", "seed-deploy": "DeployRepositoryId"}
DONE_STATUSES = ("CreateCompleted", "UpdateCompleted")
POLL_SECONDS = 15
DEFAULT_CHANGELOG = ROOT / "toolkit" / "CHANGELOG.md"  # the package's changelog (the thin-seeds issue)
EXAMPLES = """examples:
  scripts/upgrade_project.py churn --to 2.0.0 --dry-run            # the preview: changelog, stack changes, merges
  scripts/upgrade_project.py churn --to 2.0.0
  scripts/upgrade_project.py churn --to 2.0.0 --allow-replace ArtifactBucket   # accept losing that resource
  scripts/upgrade_project.py churn --to 2.0.0 --clone seed-build=~/src/churn-build \\
      --clone seed-deploy=~/src/churn-deploy
exit codes: 0 upgraded (or already at the version); 1 refused (data would be lost) or an AWS error; 2 invalid input.
"""


class UpgradeError(ScriptError):
    """The upgrade ran and stopped: AWS refused, or the preview found data that would be lost (exit 1)."""


class UpgradeInputError(UpgradeError, ScriptInputError):
    """Invalid options (exit 2), raised before anything is read or changed."""


@dataclass
class Options:
    project: str
    to: str
    dry_run: bool = False
    allow_replace: set[str] = field(default_factory=set)
    asset_bucket: str | None = None
    changelog_path: Path | None = None  # None: toolkit/CHANGELOG.md when it exists
    clones: dict[str, Path] = field(default_factory=dict)  # seed -> local clone of a CodeConnections repository
    git_host: str = "github"
    out_dir: Path = ROOT / "build" / "upgrades"
    region: str = field(default_factory=lambda: os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))

    @property
    def state_path(self) -> Path:
        return self.out_dir / f"{self.project}.json"


class Clients:
    """boto3 clients, made on first use (tests pass stubbed ones)."""

    def __init__(self, **given):
        self._given = given

    def __getattr__(self, service: str):
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._given:
            import boto3

            self._given[service] = boto3.client(service)
        return self._given[service]


@dataclass
class Project:
    """What DescribeProject says about the project."""

    name: str
    id: str
    status: str
    version: str | None
    parameters: dict[str, str]
    product_id: str | None = None  # Service Catalog path
    provisioned_product_id: str | None = None
    stack: str | None = None  # S3 path: the project stack
    template_url: str | None = None


def validate(options: Options) -> None:
    """Bad input names the field, the value and the rule, before anything is read or changed."""
    try:
        changelog.version_key(options.to)
    except ValueError as error:
        raise UpgradeInputError(f"--to: {error}") from error
    if not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", options.project) or len(options.project) > 32:
        raise UpgradeInputError(f"PROJECT: {options.project!r}: must be a SageMaker project name (up to 32 letters, "
                                "digits and hyphens)")
    for seed, clone in options.clones.items():
        if seed not in SEEDS:
            raise UpgradeInputError(f"--clone: {seed!r}: must name a seed: {', '.join(SEEDS)}")
        if not (clone / ".git").exists():
            raise UpgradeInputError(f"--clone: {clone}: not a git clone (no .git)")
    if options.git_host not in ("github", "gitlab", "bitbucket"):
        raise UpgradeInputError(f"--git-host: {options.git_host!r}: must be github, gitlab or bitbucket")
    if options.changelog_path is not None and not options.changelog_path.is_file():
        raise UpgradeInputError(f"--changelog: {options.changelog_path}: no such file (a CHANGELOG.md with "
                                "`## X.Y.Z` headings)")


def describe_project(clients: Clients, name: str) -> Project:
    """The project's path, version and parameters (the version: its provisioning artifact's name, or the
    sagemaker-project/<version>/ of its template URL)."""
    described = clients.sagemaker.describe_project(ProjectName=name)
    project = Project(name=name, id=described["ProjectId"], status=described["ProjectStatus"], version=None,
                      parameters={})
    if "ServiceCatalogProvisioningDetails" in described:
        details = described["ServiceCatalogProvisioningDetails"]
        project.product_id = details["ProductId"]
        project.provisioned_product_id = described.get("ServiceCatalogProvisionedProductDetails", {}).get(
            "ProvisionedProductId")
        project.parameters = {p["Key"]: p["Value"] for p in details.get("ProvisioningParameters", [])}
        project.version = next((a["Name"] for a in published_versions.product_versions(
            clients.servicecatalog, project.product_id) if a["Id"] == details.get("ProvisioningArtifactId")), None)
    else:
        provider = described["TemplateProviderDetails"][0]["CfnTemplateProviderDetail"]
        project.template_url = provider["TemplateURL"]
        project.stack = provider.get("StackDetail", {}).get("Name")
        project.parameters = {p["Key"]: p.get("Value", "") for p in provider.get("Parameters", [])}
        found = re.search(re.escape(published_versions.VERSIONS_ROOT) + r"([^/]+)/", provider["TemplateURL"])
        project.version = found.group(1) if found else None
    return project


def upgrade(options: Options, clients: Clients, progress=print, sleep=time.sleep, preview=None) -> list[str]:
    """Preview, refuse or update, then merge the seeds; returns the changes made (empty: nothing changed).
    `preview(project, bucket)` replaces AWS's preview of the stack change (the offline rehearsal's template diff)."""
    validate(options)
    project = describe_project(clients, options.project)
    state = load_state(options)
    current = state.get("from") or project.version or "unknown"
    progress(f"==> project {project.name}: template {project.version or 'unknown'} -> {options.to}"
             + (f" (resuming the upgrade from {current})" if state.get("from") else ""))
    bucket = options.asset_bucket or project.parameters.get("SeedBucket")
    if not bucket:
        raise UpgradeInputError("--asset-bucket: not given and the project has no SeedBucket parameter: pass the "
                                "bucket publish uploaded the versions to")
    print_changelog(options, current, progress)
    infra_done = project.version == options.to and project.status in DONE_STATUSES
    if not infra_done and project.status != "UpdateInProgress":  # in progress: an earlier run's previewed update
        preview_infrastructure(options, clients, project, bucket, progress, preview)
    merges = [merge_seed(options, clients, project, seed, bucket, current, progress) for seed in SEEDS]
    if options.dry_run:
        progress("==> dry run: nothing changed")
        return []
    save_state(options, {"project": project.name, "from": current, "to": options.to})
    made = [] if infra_done else update_infrastructure(options, clients, project, bucket, progress, sleep)
    for merge in merges:
        made += merge.push(progress) if merge else []
    save_state(options, {"project": project.name, "from": current, "to": options.to, "complete": True})
    progress(f"==> {project.name} is at template {options.to}" if made else
             f"==> {project.name}: already at template {options.to}: nothing changed")
    return made


def print_changelog(options: Options, current: str, progress) -> None:
    """The changelog entries the jump crosses (a downgrade lists the versions it takes back)."""
    path = options.changelog_path or DEFAULT_CHANGELOG
    if current == options.to or current == "unknown":
        return
    if not path.is_file():
        progress(f"==> no changelog at {path}: the versions crossed are not listed (--changelog PATH)")
        return
    direction = "downgrade: takes back" if changelog.version_key(options.to) < changelog.version_key(current) else \
        "upgrade: brings"
    entries = changelog.crossed(path.read_text(), current, options.to)
    progress(f"==> {direction} {len(entries)} changelog entr{'y' if len(entries) == 1 else 'ies'} ({path}):")
    for version, body in entries:
        progress(f"  ## {version}")
        for line in body.splitlines():
            progress(f"    {line}")


def preview_infrastructure(options: Options, clients: Clients, project: Project, bucket: str, progress,
                           preview=None) -> None:
    """The project stack's change as a table; stop, changing nothing, when data would be lost."""
    progress("==> infrastructure preview")
    name = f"template-upgrade-{options.to.replace('.', '-')}"
    if preview:
        changes = preview(project, bucket)
    elif project.product_id:
        artifact = target_artifact(options, clients, project)
        changes = stack_preview.plan_changes(
            clients.servicecatalog, plan_name=name, product_id=project.product_id,
            provisioned_product=project.provisioned_product_id, artifact_id=artifact, token=f"{project.id}-{name}")
    else:
        changes = stack_preview.change_set_changes(
            clients.cloudformation, project.stack, name, target_template_url(options, bucket),
            [{"ParameterKey": k, "ParameterValue": v} for k, v in project.parameters.items()])
    for row in stack_preview.table(changes):
        progress(f"    {row}")
    refused = stack_preview.refusals(changes, options.allow_replace)
    if refused:
        raise UpgradeError("refused, nothing changed: " + "; ".join(refused))


def target_artifact(options: Options, clients: Clients, project: Project) -> str:
    artifact = published_versions.artifact_id(clients.servicecatalog, project.product_id, options.to)
    if artifact is None:
        raise UpgradeInputError(f"--to: {options.to!r}: not published on product {project.product_id} "
                                "(scripts/publish.py --list shows what is)")
    return artifact


def target_template_url(options: Options, bucket: str) -> str:
    key = f"{published_versions.VERSIONS_ROOT}{options.to}/{s3_template.YAML_KEY}"
    return s3_template.template_url(bucket, key, options.region)


def update_infrastructure(options: Options, clients: Clients, project: Project, bucket: str, progress,
                          sleep) -> list[str]:
    """UpdateProject to the target version (unless an earlier run started it), then wait with progress."""
    if project.status != "UpdateInProgress":
        request: dict = {"ProjectName": project.name}
        if project.product_id:
            request["ServiceCatalogProvisioningUpdateDetails"] = {
                "ProvisioningArtifactId": target_artifact(options, clients, project),
                "ProvisioningParameters": [{"Key": k, "Value": v} for k, v in project.parameters.items()]}
        else:
            request["TemplateProvidersToUpdate"] = [{"CfnTemplateProvider": {
                "TemplateName": s3_template.TEMPLATE_NAME, "TemplateURL": target_template_url(options, bucket),
                "Parameters": [{"Key": k, "Value": v} for k, v in project.parameters.items()]}}]
        progress(f"==> UpdateProject {project.name} -> {options.to}")
        clients.sagemaker.update_project(**request)
    status = wait_for_project(clients, project.name, progress, sleep)
    if status not in DONE_STATUSES:
        raise UpgradeError(f"project {project.name}: {status}: see the project stack's events; rerun to retry")
    return [f"infrastructure: {project.name} updated to {options.to}"]


def wait_for_project(clients: Clients, name: str, progress, sleep) -> str:
    while True:
        status = clients.sagemaker.describe_project(ProjectName=name)["ProjectStatus"]
        progress(f"    {name}: {status}")
        if not status.endswith("InProgress") and status != "Pending":
            return status
        sleep(POLL_SECONDS)


@dataclass
class SeedMerge:
    """One repository's merge, computed (read only), and how to write it."""

    seed: str
    repository: str
    result: seed_merge.MergeResult
    text: str
    push: object  # (progress) -> list[str] of the changes made


def merge_seed(options: Options, clients: Clients, project: Project, seed: str, bucket: str, current: str,
               progress) -> SeedMerge | None:
    """Read the repository's head and both versions of the seed, merge, and summarize; None when up to date."""
    connection = project.parameters.get("CodeConnectionArn", "")
    if connection:
        repository = project.parameters.get(REPOSITORY_PARAMETER[seed], "")
        if seed not in options.clones:
            raise UpgradeInputError(f"--clone: {seed}: {repository} is behind CodeConnections (no AWS push API): "
                                    f"pass --clone {seed}=PATH, a local clone of it")
        parent, head = upgrade_repos.clone_head(options.clones[seed])
        default_branch = project.parameters.get("BranchName", "main")
    else:
        repository = f"sagemaker-{project.name}-{project.id}-{REPOSITORY_SUFFIX[seed]}"
        default_branch, parent, head = upgrade_repos.codecommit_head(clients.codecommit, repository)
    base_version = stamped_version(head) or current
    if base_version == options.to:
        progress(f"==> {repository}: seed already at {options.to}")
        return None
    base, new = (seed_files(clients, bucket, version, seed) for version in (base_version, options.to))
    result = seed_merge.merge(base, new, head, labels=(base_version, options.to), pin_version=options.to)
    if not result.changed:
        progress(f"==> {repository}: {seed} {base_version} -> {options.to}: nothing to merge")
        return None
    text = seed_merge.description(repository, base_version, options.to, result, head)
    progress(f"==> {repository}: {seed} {base_version} -> {options.to}: {len(result.changed)} files changed, "
             f"{len(result.conflicts)} conflicts" + ("" if stamped_version(head) else
                                                     f" (no {STAMP_FILE}: merged from the project's {base_version})"))
    branch = upgrade_repos.upgrade_branch(options.to)
    title = f"Template upgrade {base_version} -> {options.to}"
    message = f"{title}\n\n{text}"

    def push_codecommit(progress) -> list[str]:
        commit, made = upgrade_repos.codecommit_push(clients.codecommit, repository, parent, branch, result.files,
                                                     head, message)
        request = upgrade_repos.codecommit_pull_request(clients.codecommit, repository, branch, default_branch, title,
                                                        text, token=upgrade_repos.request_token(repository, branch))
        progress(f"    {repository}: branch {branch} at {commit}" + ("" if made else " (pushed by an earlier run)")
                 + f", pull request {request}")
        return [f"{repository}: branch {branch}"] if made else []

    def push_bundle(progress) -> list[str]:
        stem = f"{project.name}-{seed}-{options.to}"  # not Path.with_suffix: the version has dots
        description_file = options.out_dir / f"{stem}.md"
        description_file.parent.mkdir(parents=True, exist_ok=True)
        description_file.write_text(text)
        bundle = upgrade_repos.write_bundle(options.clones[seed], parent, branch, result.files, message,
                                            options.out_dir / f"{stem}.bundle")
        progress(f"    {repository}: wrote {bundle}; in your clone, run:")
        for command in upgrade_repos.push_commands(bundle, branch, default_branch, title, description_file,
                                                   repository, options.git_host):
            progress(f"      {command}")
        return [f"{repository}: bundle {bundle}"]

    return SeedMerge(seed, repository, result, text, push_bundle if connection else push_codecommit)


def stamped_version(head: seed_merge.Files) -> str | None:
    """The template version the repository's seed is at, from its stamp (None: no stamp, a 1.0.0 seed)."""
    return read_stamp(head[STAMP_FILE].decode())["template_version"] if STAMP_FILE in head else None


def seed_files(clients: Clients, bucket: str, version: str, seed: str) -> seed_merge.Files:
    key = f"{published_versions.VERSIONS_ROOT}{version}/{seed}.zip"
    try:
        body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except clients.s3.exceptions.NoSuchKey as error:
        raise UpgradeInputError(f"version {version}: s3://{bucket}/{key}: not published (scripts/publish.py "
                                "--list shows what is)") from error
    return upgrade_repos.files_of_zip(body)


def load_state(options: Options) -> dict:
    """An unfinished upgrade to the same version: resume it (its from-version is the merge base)."""
    if not options.state_path.is_file():
        return {}
    state = json.loads(options.state_path.read_text())
    return state if state.get("to") == options.to and not state.get("complete") else {}


def save_state(options: Options, state: dict) -> None:
    options.state_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = options.state_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n")
    temporary.replace(options.state_path)  # a kill mid-write leaves the old state, never half a file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", help="the SageMaker project's name")
    parser.add_argument("--to", required=True, help="the published template version to move to (up or down)")
    parser.add_argument("--dry-run", action="store_true",
                        help="preview: changelog, stack changes, merges; change nothing")
    parser.add_argument("--allow-replace", action="append", default=[], metavar="LOGICAL_ID",
                        help="accept the replacement or removal of this data-holding resource (repeatable)")
    parser.add_argument("--asset-bucket", help="the bucket publish uploaded the versions to (default: the project's "
                                               "SeedBucket parameter)")
    parser.add_argument("--changelog", type=Path,
                        help="CHANGELOG.md with `## X.Y.Z` sections (default: toolkit/CHANGELOG.md)")
    parser.add_argument("--clone", action="append", default=[], metavar="SEED=PATH",
                        help="a local clone of a CodeConnections repository (seed-build=..., seed-deploy=...)")
    parser.add_argument("--git-host", default="github", help="github, gitlab or bitbucket (CodeConnections)")
    parser.add_argument("--out-dir", type=Path, default=Options.out_dir, help="state file and bundles")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)

    def action() -> None:
        clones = {}
        for value in args.clone:
            seed, _, path = value.partition("=")
            if not path:
                raise UpgradeInputError(f"--clone: {value!r}: must be SEED=PATH, e.g. seed-build=../churn-build")
            clones[seed] = Path(path).expanduser()
        upgrade(Options(project=args.project, to=args.to, dry_run=args.dry_run, allow_replace=set(args.allow_replace),
                        asset_bucket=args.asset_bucket, changelog_path=args.changelog, clones=clones,
                        git_host=args.git_host, out_dir=args.out_dir), Clients())
    return run_command(action, args.debug)


if __name__ == "__main__":
    sys.exit(main())
