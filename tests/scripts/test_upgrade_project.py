"""upgrade_project end to end against the emulator (S3 and the project stack's change set on moto) and botocore's
Stubber where moto lacks the API (SageMaker projects, CodeCommit commits and pull requests, Service Catalog plans)."""
import datetime
import json
import uuid

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber

import stack_preview
import upgrade_project
from seed_zips import STAMP_FILE, seed_stamp, zip_seed
from upgrade_project import Clients, Options, UpgradeError

ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}
V1 = {"Resources": {"ArtifactBucket": {"Type": "AWS::S3::Bucket"},
                    "BuildRole": {**ROLE, "Properties": {**ROLE["Properties"], "Description": "build 1.0.0"}}}}
V2 = {"Resources": {"ArtifactBucket": {"Type": "AWS::S3::Bucket"},  # a topic added, the role modified
                    "BuildRole": {**ROLE, "Properties": {**ROLE["Properties"], "Description": "build 2.0.0"}},
                    "Notifications": {"Type": "AWS::SNS::Topic"}}}
V2_NEW_BUCKET = {"Resources": {"DataBucket": {"Type": "AWS::S3::Bucket"}, "BuildRole": V1["Resources"]["BuildRole"]}}
SEED_V1 = {"pipeline.py": b"STEPS = ['train']\nTIMEOUT = 60\n", "requirements.txt": b"boto3==1.44.8\n",
           "docs/usage.md": b"# usage\n"}
SEED_V2 = {**SEED_V1, "pipeline.py": b"STEPS = ['train']\nTIMEOUT = 120\n",
           "requirements.txt": b"boto3==1.44.8\nmlops-guardrails==2.0.0\n"}
PROJECT_ID = "p-abcdef123456"
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture
def published(emulator, tmp_path):
    """Versions 1.0.0 and 2.0.0 published to a fresh bucket, and the project's stack created at 1.0.0."""
    bucket, stack = f"assets-{uuid.uuid4().hex[:10]}", f"SP-churn-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    for version, seed_files, template in (("1.0.0", SEED_V1, V1), ("2.0.0", SEED_V2, V2), ("2.1.0", SEED_V2,
                                                                                            V2_NEW_BUCKET)):
        for seed in ("seed-build", "seed-deploy"):
            folder = tmp_path / version / seed
            for name, content in seed_files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(content)
            stamp = seed_stamp(folder, version, "c0ffee") if version != "1.0.0" else None  # 1.0.0 had no stamps
            body = zip_seed(folder, tmp_path / f"{version}-{seed}.zip", stamp).read_bytes()
            s3.put_object(Bucket=bucket, Key=f"sagemaker-project/{version}/{seed}.zip", Body=body)
        s3.put_object(Bucket=bucket, Key=f"sagemaker-project/{version}/sagemaker-project.yaml",
                      Body=yaml.safe_dump(template).encode())
    boto3.client("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(V1),
                                                Capabilities=["CAPABILITY_IAM"])
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## 2.1.0\n- data bucket renamed\n\n## 2.0.0\n- notifications topic\n"
                         "- longer timeout\n\n## 1.0.0\n- first release\n")
    return {"bucket": bucket, "stack": stack, "changelog": changelog, "out": tmp_path / "upgrades"}


def described(published, version, status="CreateCompleted"):
    url = f"https://{published['bucket']}.s3.us-east-1.amazonaws.com/sagemaker-project/{version}/sagemaker-project.yaml"
    return {"ProjectArn": "arn:aws:sagemaker:us-east-1:123456789012:project/churn", "ProjectName": "churn",
            "ProjectId": PROJECT_ID, "ProjectStatus": status, "CreationTime": NOW,
            "TemplateProviderDetails": [{"CfnTemplateProviderDetail": {
                "TemplateName": "sagemaker-project", "TemplateURL": url,
                "StackDetail": {"Name": published["stack"], "StatusMessage": "ok"}}}]}


def repo(seed):
    return f"sagemaker-churn-{PROJECT_ID}-{upgrade_project.REPOSITORY_SUFFIX[seed]}"


def stub_head(stub, repository, files, commit="head1"):
    """GetRepository, GetBranch and the GetFolder/GetBlob walk of `files` (root files, then each subfolder)."""
    stub.add_response("get_repository", {"repositoryMetadata": {"repositoryName": repository, "defaultBranch": "main"}},
                      {"repositoryName": repository})
    stub.add_response("get_branch", {"branch": {"branchName": "main", "commitId": commit}},
                      {"repositoryName": repository, "branchName": "main"})

    def folder(path, prefix):
        names = [n for n in files if n.startswith(prefix)]
        here = sorted(n for n in names if "/" not in n[len(prefix):])
        subs = sorted({prefix + n[len(prefix):].split("/")[0] for n in names if "/" in n[len(prefix):]})
        stub.add_response("get_folder", {"commitId": commit, "folderPath": path, "treeId": "t",
                                         "files": [{"absolutePath": n, "blobId": f"blob-{n}"} for n in here],
                                         "subFolders": [{"absolutePath": s} for s in subs]},
                          {"repositoryName": repository, "commitSpecifier": commit, "folderPath": path})
        for name in here:
            stub.add_response("get_blob", {"content": files[name]}, {"repositoryName": repository,
                                                                     "blobId": f"blob-{name}"})
        for sub in subs:
            folder(sub, sub + "/")
    folder("/", "")


def stub_push(stub, repository, *, branch_exists=False, pull_request=True):
    branch = "template-upgrade/2.0.0"
    if branch_exists:
        stub.add_response("get_branch", {"branch": {"branchName": branch, "commitId": "upgraded1"}},
                          {"repositoryName": repository, "branchName": branch})
        stub.add_response("get_commit", {"commit": {"message": "Template upgrade 1.0.0 -> 2.0.0\n\n..."}},
                          {"repositoryName": repository, "commitId": "upgraded1"})
    else:
        stub.add_client_error("get_branch", service_error_code="BranchDoesNotExistException")
        stub.add_response("create_branch", {}, {"repositoryName": repository, "branchName": branch,
                                                "commitId": "head1"})
        stub.add_response("create_commit", {"commitId": "upgraded1"}, {
            "repositoryName": repository, "branchName": branch, "parentCommitId": "head1",
            "authorName": ANY, "commitMessage": ANY, "deleteFiles": [],
            "putFiles": [{"filePath": ".template-stamp.json", "fileContent": ANY},
                         {"filePath": "pipeline.py", "fileContent": b"STEPS = ['train']\nTIMEOUT = 120\n"},
                         {"filePath": "requirements.txt", "fileContent": b"lightgbm==4.6.0\nboto3==1.44.8\n"
                                                                         b"mlops-guardrails==2.0.0\n"}]})
    if pull_request:
        stub.add_response("create_pull_request", {"pullRequest": {"pullRequestId": "7"}}, {
            "title": "Template upgrade 1.0.0 -> 2.0.0", "description": ANY, "clientRequestToken": ANY,
            "targets": [{"repositoryName": repository, "sourceReference": branch, "destinationReference": "main"}]})


TEAM_HEAD = {**SEED_V1, "requirements.txt": b"lightgbm==4.6.0\nboto3==1.44.8\n"}  # the team added a line


def options(published, **kwargs):
    return Options(project="churn", to=kwargs.pop("to", "2.0.0"), asset_bucket=published["bucket"],
                   changelog_path=published["changelog"], out_dir=published["out"], **kwargs)


def test_an_upgrade_that_adds_a_resource_and_modifies_a_role_passes(published):
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    lines = []
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:
        sm.add_response("describe_project", described(published, "1.0.0"), {"ProjectName": "churn"})
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), TEAM_HEAD)
        sm.add_response("update_project", {"ProjectArn": "arn:aws:sagemaker:us-east-1:123456789012:project/churn"}, {
            "ProjectName": "churn", "TemplateProvidersToUpdate": [{"CfnTemplateProvider": {
                "TemplateName": "sagemaker-project", "Parameters": [], "TemplateURL":
                    f"https://{published['bucket']}.s3.us-east-1.amazonaws.com/sagemaker-project/2.0.0/"
                    "sagemaker-project.yaml"}}]})
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateInProgress"), {"ProjectName": "churn"})
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateCompleted"), {"ProjectName": "churn"})
        for seed in ("seed-build", "seed-deploy"):
            stub_push(cc, repo(seed))
        made = upgrade_project.upgrade(options(published), Clients(sagemaker=sagemaker, codecommit=codecommit),
                                       progress=lines.append, sleep=lambda _s: None)
        sm.assert_no_pending_responses()
        cc.assert_no_pending_responses()
    assert made == ["infrastructure: churn updated to 2.0.0", f"{repo('seed-build')}: branch template-upgrade/2.0.0",
                    f"{repo('seed-deploy')}: branch template-upgrade/2.0.0"]
    assert "    added     Notifications  AWS::SNS::Topic" in lines
    assert "    modified  BuildRole      AWS::IAM::Role" in lines
    assert "==> upgrade: brings 1 changelog entry" in "\n".join(lines)
    assert "    - notifications topic" in lines
    assert "    churn: UpdateInProgress" in lines and "    churn: UpdateCompleted" in lines
    assert boto3.client("cloudformation").list_change_sets(StackName=published["stack"])["Summaries"] == []


def test_a_change_that_would_replace_the_bucket_is_refused_naming_it_and_nothing_changes(published):
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    with Stubber(sagemaker) as sm, Stubber(codecommit) as _codecommit:  # no update_project or codecommit write stubbed
        sm.add_response("describe_project", described(published, "1.0.0"), {"ProjectName": "churn"})
        with pytest.raises(UpgradeError, match="refused, nothing changed: ArtifactBucket \\(AWS::S3::Bucket\\) would "
                                               "be removed, losing its objects .*: pass --allow-replace ArtifactBucket"):
            upgrade_project.upgrade(options(published, to="2.1.0"), Clients(sagemaker=sagemaker, codecommit=codecommit),
                                    progress=lambda _l: None)
        sm.assert_no_pending_responses()
    stack = boto3.client("cloudformation").describe_stacks(StackName=published["stack"])["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert not (published["out"] / "churn.json").exists()


def test_killed_between_steps_a_rerun_finishes_making_each_change_once(published):
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    clients = Clients(sagemaker=sagemaker, codecommit=codecommit)
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:
        sm.add_response("describe_project", described(published, "1.0.0"), {"ProjectName": "churn"})
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), TEAM_HEAD)
        sm.add_response("update_project", {"ProjectArn": "arn:aws:sagemaker:us-east-1:123456789012:project/churn"})
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateCompleted"), {"ProjectName": "churn"})
        stub_push(cc, repo("seed-build"), pull_request=False)  # the run dies before CreatePullRequest
        with pytest.raises(Exception, match="Unexpected API Call|create_pull_request"):
            upgrade_project.upgrade(options(published), clients, progress=lambda _l: None, sleep=lambda _s: None)
    assert json.loads((published["out"] / "churn.json").read_text()) == {"project": "churn", "from": "1.0.0",
                                                                         "to": "2.0.0"}
    lines = []
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:  # the rerun: no UpdateProject, no second commit
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateCompleted"), {"ProjectName": "churn"})
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), TEAM_HEAD)
        stub_push(cc, repo("seed-build"), branch_exists=True)
        stub_push(cc, repo("seed-deploy"))
        made = upgrade_project.upgrade(options(published), clients, progress=lines.append, sleep=lambda _s: None)
        sm.assert_no_pending_responses()
        cc.assert_no_pending_responses()
    assert made == [f"{repo('seed-deploy')}: branch template-upgrade/2.0.0"]
    assert "==> project churn: template 2.0.0 -> 2.0.0 (resuming the upgrade from 1.0.0)" in lines
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:  # a third run: the version already there
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateCompleted"), {"ProjectName": "churn"})
        stamped = {**TEAM_HEAD, STAMP_FILE: json.dumps({"seed": "s", "template_version": "2.0.0", "files": {}}).encode()}
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), stamped)
        lines = []
        assert upgrade_project.upgrade(options(published), clients, progress=lines.append) == []
    assert lines[-1] == "==> churn: already at template 2.0.0: nothing changed"


def test_a_service_catalog_plan_that_replaces_the_bucket_is_refused():
    sc = boto3.client("servicecatalog", region_name="us-east-1")
    with Stubber(sc) as stub:
        stub.add_response("create_provisioned_product_plan", {"PlanId": "plan-1"})
        stub.add_response("describe_provisioned_product_plan", {"ProvisionedProductPlanDetails": {
            "Status": "CREATE_IN_PROGRESS"}}, {"PlanId": "plan-1"})
        stub.add_response("describe_provisioned_product_plan", {
            "ProvisionedProductPlanDetails": {"Status": "CREATE_SUCCESS"},
            "ResourceChanges": [{"Action": "Modify", "LogicalResourceId": "ArtifactBucket",
                                 "ResourceType": "AWS::S3::Bucket", "Replacement": "True"},
                                {"Action": "Add", "LogicalResourceId": "Topic", "ResourceType": "AWS::SNS::Topic"}]},
            {"PlanId": "plan-1"})
        stub.add_response("delete_provisioned_product_plan", {}, {"PlanId": "plan-1"})
        changes = stack_preview.plan_changes(sc, plan_name="up", product_id="prod-abcdefghijklm",
                                             provisioned_product="pp", artifact_id="pa-2", token="t",
                                             sleep=lambda _s: None)
    assert [c.category for c in changes] == ["replaced", "added"]
    assert stack_preview.refusals(changes, set()) == [
        "ArtifactBucket (AWS::S3::Bucket) would be replaced, losing its objects (model artifacts, data, pipeline "
        "outputs): pass --allow-replace ArtifactBucket to accept this"]
    assert stack_preview.refusals(changes, {"ArtifactBucket"}) == []


def test_bad_version_exits_2_naming_the_field(capsys):
    assert upgrade_project.main(["churn", "--to", "two"]) == 2
    assert capsys.readouterr().err == ("error: --to: 'two': must be a version of numbers and dots, e.g. 2.0.0\n")


def test_template_changes_replace_a_bucket_whose_name_changes_and_modify_a_role():
    old = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "a"}},
                        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Description": "1"}},
                        "Gone": {"Type": "AWS::SNS::Topic"}}}
    new = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "b"}},
                         "Role": {"Type": "AWS::IAM::Role", "Properties": {"Description": "2"}},
                         "Queue": {"Type": "AWS::SQS::Queue"}}}
    changes = {c.logical_id: c.category for c in stack_preview.template_changes(old, new)}
    assert changes == {"Bucket": "replaced", "Role": "modified", "Queue": "added", "Gone": "removed"}


def test_changelog_lists_the_versions_a_skip_or_a_downgrade_crosses():
    import changelog

    text = "# Changelog\n## 3.0.0\nc\n## 2.1.0\nb\n## 2.0.0\na\n## 1.0.0\nfirst\n"
    assert changelog.crossed(text, "1.0.0", "3.0.0") == [("3.0.0", "c"), ("2.1.0", "b"), ("2.0.0", "a")]
    assert changelog.crossed(text, "3.0.0", "2.0.0") == [("3.0.0", "c"), ("2.1.0", "b")]
    assert changelog.crossed(text, "2.0.0", "2.0.0") == []


def test_a_dry_run_previews_and_merges_but_changes_nothing(published):
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    lines = []
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:  # reads only: no update, branch, commit or request
        sm.add_response("describe_project", described(published, "1.0.0"), {"ProjectName": "churn"})
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), TEAM_HEAD)
        assert upgrade_project.upgrade(options(published, dry_run=True),
                                       Clients(sagemaker=sagemaker, codecommit=codecommit), progress=lines.append) == []
        cc.assert_no_pending_responses()
    assert f"==> {repo('seed-build')}: seed-build 1.0.0 -> 2.0.0: 3 files changed, 0 conflicts (no " \
           f"{STAMP_FILE}: merged from the project's 1.0.0)" in lines
    assert lines[-1] == "==> dry run: nothing changed"
    assert not (published["out"] / "churn.json").exists()


def test_allow_replace_names_the_bucket_and_the_upgrade_goes_on(published):
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    lines = []
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:
        sm.add_response("describe_project", described(published, "1.0.0"), {"ProjectName": "churn"})
        stamped = {**TEAM_HEAD, STAMP_FILE: json.dumps({"seed": "s", "template_version": "2.1.0", "files": {}}).encode()}
        for seed in ("seed-build", "seed-deploy"):  # seeds already merged by hand: only the stack moves
            stub_head(cc, repo(seed), stamped)
        sm.add_response("update_project", {"ProjectArn": "arn:aws:sagemaker:us-east-1:123456789012:project/churn"})
        sm.add_response("describe_project", described(published, "2.1.0", "UpdateCompleted"), {"ProjectName": "churn"})
        made = upgrade_project.upgrade(options(published, to="2.1.0", allow_replace={"ArtifactBucket"}),
                                       Clients(sagemaker=sagemaker, codecommit=codecommit), progress=lines.append,
                                       sleep=lambda _s: None)
        sm.assert_no_pending_responses()
    assert made == ["infrastructure: churn updated to 2.1.0"]
    assert "    removed   ArtifactBucket AWS::S3::Bucket   <- holds data" in lines
    assert "==> upgrade: brings 2 changelog entries" in "\n".join(lines)


def test_a_downgrade_lists_the_versions_it_takes_back(published):
    lines = []
    upgrade_project.print_changelog(options(published, to="1.0.0"), "2.1.0", lines.append)
    assert lines[0] == f"==> downgrade: takes back 2 changelog entries ({published['changelog']}):"
    assert [line for line in lines if line.startswith("  ## ")] == ["  ## 2.1.0", "  ## 2.0.0"]


def test_an_unpublished_version_is_named(published):
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:
        sm.add_response("describe_project", described(published, "1.0.0"), {"ProjectName": "churn"})
        stub_head(cc, repo("seed-build"), TEAM_HEAD)
        with pytest.raises(upgrade_project.UpgradeInputError, match=f"version 9.0.0: s3://{published['bucket']}/"
                                                                    "sagemaker-project/9.0.0/seed-build.zip: not published"):
            upgrade_project.upgrade(options(published, to="9.0.0"), Clients(sagemaker=sagemaker, codecommit=codecommit),
                                    progress=lambda _l: None, preview=lambda _p, _b: [])


def test_the_service_catalog_path_plans_then_updates_the_provisioning_artifact(published):
    sagemaker, codecommit, sc = (boto3.client(name) for name in ("sagemaker", "codecommit", "servicecatalog"))
    product = "prod-abcdefghijklm"
    artifacts = {"ProvisioningArtifactDetails": [{"Id": "pa-100", "Name": "1.0.0"}, {"Id": "pa-200", "Name": "2.0.0"}]}
    sc_project = {"ProjectArn": "arn:aws:sagemaker:us-east-1:123456789012:project/churn", "ProjectName": "churn",
                  "ProjectId": PROJECT_ID, "ProjectStatus": "CreateCompleted", "CreationTime": NOW,
                  "ServiceCatalogProvisioningDetails": {"ProductId": product, "ProvisioningArtifactId": "pa-100"},
                  "ServiceCatalogProvisionedProductDetails": {"ProvisionedProductId": "pp-abc"}}
    lines = []
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc, Stubber(sc) as catalog:
        sm.add_response("describe_project", sc_project, {"ProjectName": "churn"})
        catalog.add_response("list_provisioning_artifacts", artifacts, {"ProductId": product})
        catalog.add_response("list_provisioning_artifacts", artifacts, {"ProductId": product})
        catalog.add_response("create_provisioned_product_plan", {"PlanId": "plan-9"}, {
            "PlanName": "template-upgrade-2-0-0", "PlanType": "CLOUDFORMATION", "ProductId": product,
            "ProvisionedProductName": "pp-abc", "ProvisioningArtifactId": "pa-200",
            "IdempotencyToken": f"{PROJECT_ID}-template-upgrade-2-0-0"})
        catalog.add_response("describe_provisioned_product_plan", {
            "ProvisionedProductPlanDetails": {"Status": "CREATE_SUCCESS"},
            "ResourceChanges": [{"Action": "Modify", "LogicalResourceId": "BuildRole", "ResourceType": "AWS::IAM::Role",
                                 "Replacement": "False"}]}, {"PlanId": "plan-9"})
        catalog.add_response("delete_provisioned_product_plan", {}, {"PlanId": "plan-9"})
        stamped = {**TEAM_HEAD, STAMP_FILE: json.dumps({"seed": "s", "template_version": "2.0.0", "files": {}}).encode()}
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), stamped)
        catalog.add_response("list_provisioning_artifacts", artifacts, {"ProductId": product})
        sm.add_response("update_project", {"ProjectArn": sc_project["ProjectArn"]}, {
            "ProjectName": "churn", "ServiceCatalogProvisioningUpdateDetails": {
                "ProvisioningArtifactId": "pa-200", "ProvisioningParameters": []}})
        sm.add_response("describe_project", {**sc_project, "ProjectStatus": "UpdateCompleted"}, {"ProjectName": "churn"})
        made = upgrade_project.upgrade(options(published), Clients(sagemaker=sagemaker, codecommit=codecommit,
                                                                   servicecatalog=sc),
                                       progress=lines.append, sleep=lambda _s: None)
        sm.assert_no_pending_responses()
        catalog.assert_no_pending_responses()
    assert made == ["infrastructure: churn updated to 2.0.0"]
    assert lines[lines.index("==> infrastructure preview") + 2].split() == ["modified", "BuildRole", "AWS::IAM::Role"]


def test_a_clone_option_without_a_path_exits_2(capsys):
    assert upgrade_project.main(["churn", "--to", "2.0.0", "--clone", "seed-build"]) == 2
    assert "error: --clone: 'seed-build': must be SEED=PATH" in capsys.readouterr().err


def test_a_rerun_during_the_update_only_waits_for_it(published):
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    lines = []
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:  # no change set, no second UpdateProject
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateInProgress"), {"ProjectName": "churn"})
        stamped = {**TEAM_HEAD, STAMP_FILE: json.dumps({"seed": "s", "template_version": "2.0.0", "files": {}}).encode()}
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), stamped)
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateInProgress"), {"ProjectName": "churn"})
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateCompleted"), {"ProjectName": "churn"})
        made = upgrade_project.upgrade(options(published), Clients(sagemaker=sagemaker, codecommit=codecommit),
                                       progress=lines.append, sleep=lambda _s: None)
        sm.assert_no_pending_responses()
    assert made == ["infrastructure: churn updated to 2.0.0"]
    assert "==> infrastructure preview" not in lines and "    churn: UpdateCompleted" in lines


def test_a_large_merge_is_committed_in_parts_and_a_rerun_commits_only_the_missing_ones():
    import upgrade_repos

    codecommit = boto3.client("codecommit")
    head = {f"old/{i:03}.py": b"x\n" for i in range(30)}
    merged = {f"new/{i:03}.py": b"y\n" for i in range(120)}  # 120 puts + 30 deletes: parts of 100 and 50
    with Stubber(codecommit) as cc:
        cc.add_response("get_branch", {"branch": {"commitId": "part1"}},
                        {"repositoryName": "r", "branchName": "template-upgrade/2.0.0"})
        cc.add_response("get_commit", {"commit": {"message": "[part 1/2] Template upgrade"}},
                        {"repositoryName": "r", "commitId": "part1"})
        cc.add_response("create_commit", {"commitId": "part2"}, {
            "repositoryName": "r", "branchName": "template-upgrade/2.0.0", "parentCommitId": "part1",
            "authorName": ANY, "commitMessage": "[part 2/2] Template upgrade", "deleteFiles": [
                {"filePath": f"old/{i:03}.py"} for i in range(30)],
            "putFiles": [{"filePath": f"new/{i:03}.py", "fileContent": b"y\n"} for i in range(100, 120)]})
        assert upgrade_repos.codecommit_push(codecommit, "r", "head1", "template-upgrade/2.0.0", merged, head,
                                             "Template upgrade") == ("part2", True)
        cc.assert_no_pending_responses()


def test_killed_after_the_update_a_rerun_pushes_the_seeds_without_updating_again(published):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    root = here.parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (here, root / "scripts", root / "seed-deploy",
                                                                       root))}
    first = subprocess.run([sys.executable, str(here / "upgrade_killed.py"),
                            json.dumps({k: str(v) for k, v in published.items()}), "    churn: UpdateCompleted"],
                           env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == -signal.SIGKILL, first.stderr
    assert first.stdout.splitlines()[-1] == "    churn: UpdateCompleted"
    sagemaker, codecommit = boto3.client("sagemaker"), boto3.client("codecommit")
    with Stubber(sagemaker) as sm, Stubber(codecommit) as cc:  # the rerun: no second UpdateProject
        sm.add_response("describe_project", described(published, "2.0.0", "UpdateCompleted"), {"ProjectName": "churn"})
        for seed in ("seed-build", "seed-deploy"):
            stub_head(cc, repo(seed), TEAM_HEAD)
        for seed in ("seed-build", "seed-deploy"):
            stub_push(cc, repo(seed))
        made = upgrade_project.upgrade(options(published), Clients(sagemaker=sagemaker, codecommit=codecommit),
                                       progress=lambda _l: None, sleep=lambda _s: None)
        sm.assert_no_pending_responses()
        cc.assert_no_pending_responses()
    assert made == [f"{repo('seed-build')}: branch template-upgrade/2.0.0",
                    f"{repo('seed-deploy')}: branch template-upgrade/2.0.0"]
