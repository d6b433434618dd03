"""Multi-account: the staging and prod endpoints run as their account's model execution role, and SageMaker writes
their data capture and Model Monitor reports into the tooling account's artifact bucket as that role. Across
accounts IAM needs the role's own policy (target account) AND the tooling bucket's policy (the PutObject) AND the
tooling key's policy (the SSE-KMS data key) to allow each write (iam_policy.cross_account_decide); taking any one of
the three grants away refuses the write."""
import copy
import json

import pytest

from iam_policy import ALLOW, DENY, IMPLICIT_DENY, Request, cross_account_decide, role_principals
from template.components.artifacts import DATA_CAPTURE_PREFIX, MONITORING_PREFIX
from resolve import resolve_template
from test_trust_and_patterns import MULTI, PROD, STAGING, TARGET, shared_statements

BUCKET_ARN = f"arn:aws:s3:::{TARGET['ArtifactBucketName']}"  # the tooling stack's bucket, as its output names it
KEY_ARN = TARGET["ArtifactKeyArn"]
TLS = {"aws:SecureTransport": "true"}
# What SageMaker writes as the role: the developer guide's data capture layout <destination>/<endpoint>/<variant>/
# yyyy/mm/dd/hh/<file>.jsonl under the endpoint template's DestinationS3Uri s3://<bucket>/data-capture, and the
# data-quality job's constraint_violations.json under its S3Output s3://<bucket>/monitoring/<endpoint>/data-quality
# (seed-deploy's template_render; test_recorded_calls checks the prefixes agree with it).
CAPTURE = f"{DATA_CAPTURE_PREFIX}/abalone-staging/AllTraffic/2026/12/01/16/26-045-1a2b.jsonl"
REPORT = f"{MONITORING_PREFIX}/abalone-staging/data-quality/constraint_violations.json"


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/sagemaker-project/sagemaker-p-abc123def456-{name}"


@pytest.fixture(scope="module")
def tooling(synthesis) -> dict[str, list[dict]]:
    """The tooling account's bucket and key policies (multi-account), the bucket named as the target stacks get it."""
    resolved = resolve_template(synthesis.template("sagemaker-project"), MULTI)
    resources = resolved["Resources"]
    (bucket_id,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::S3::Bucket"]
    text = json.dumps(resolved).replace(f"<{bucket_id}.Arn>", BUCKET_ARN)
    resources = json.loads(text)["Resources"]
    (bucket_policy,) = [r["Properties"]["PolicyDocument"]["Statement"] for r in resources.values()
                        if r["Type"] == "AWS::S3::BucketPolicy"]
    (key_policy,) = [r["Properties"]["KeyPolicy"]["Statement"] for r in resources.values()
                     if r["Type"] == "AWS::KMS::Key"]
    return {"bucket": bucket_policy, "key": key_policy}


@pytest.fixture(scope="module")
def target_roles(synthesis) -> dict:
    """The staging account's roles (the target-account stack as deployed there), by role name suffix."""
    resolved = resolve_template(synthesis.template("sagemaker-project-target-account"), TARGET,
                                pseudo={"AWS::AccountId": STAGING})
    names = {lid: r["Properties"]["RoleName"] for lid, r in resolved["Resources"].items()
             if r["Type"] == "AWS::IAM::Role"}
    return {names[lid].removeprefix("sagemaker-p-abc123def456-"): principal
            for lid, principal in role_principals(resolved).items()}


def write(caller, caller_arn: str, tooling: dict, key: str, context: dict = TLS) -> tuple[str, str]:
    """The two authorizations of one SSE-KMS PutObject: s3:PutObject by the bucket policy, kms:GenerateDataKey by
    the key policy (S3 User Guide, UsingKMSEncryption: an upload needs kms:GenerateDataKey on the key)."""
    put = cross_account_decide(caller, caller_arn, tooling["bucket"],
                               Request("s3:PutObject", f"{BUCKET_ARN}/{key}", context))
    data_key = cross_account_decide(caller, caller_arn, tooling["key"], Request("kms:GenerateDataKey", KEY_ARN))
    return put, data_key


@pytest.mark.parametrize("account", [STAGING, PROD])
@pytest.mark.parametrize("key", [CAPTURE, REPORT])
def test_the_target_model_role_writes_captures_and_reports_into_the_tooling_bucket(target_roles, tooling, account,
                                                                                   key):
    assert write(target_roles["model-execution"], role_arn(account, "model-execution"), tooling, key) == (ALLOW, ALLOW)


@pytest.mark.parametrize("key", ["abalone/model/output/model.tar.gz", "shadow-tests/abalone-staging/x.jsonl",
                                 "data-capture-other/x.jsonl", "baselines/statistics.json"])
def test_the_target_model_role_writes_nothing_else(target_roles, tooling, key):
    put, _ = write(target_roles["model-execution"], role_arn(STAGING, "model-execution"), tooling, key)
    assert put == IMPLICIT_DENY


def test_the_tooling_bucket_still_refuses_writes_without_tls(target_roles, tooling):
    put, _ = write(target_roles["model-execution"], role_arn(STAGING, "model-execution"), tooling, CAPTURE,
                   {"aws:SecureTransport": "false"})
    assert put == DENY


@pytest.mark.parametrize("caller_arn", [
    role_arn("999999999999", "model-execution"),  # the same role name in an account that is not a stage's
    f"arn:aws:iam::{STAGING}:role/Admin",  # another role of the staging account
])
def test_no_other_principal_gets_the_grants(target_roles, tooling, caller_arn):
    # Even with the model role's own policy: the bucket and key policies name the stage accounts' model roles only.
    assert write(target_roles["model-execution"], caller_arn, tooling, CAPTURE) == (IMPLICIT_DENY, IMPLICIT_DENY)


def test_the_other_target_roles_cannot_write_captures(target_roles, tooling):
    # The deploy-action role's own policy puts objects anywhere in the bucket; the tooling bucket does not let it
    # write captures, and the shadow-test role only its own prefix.
    for name in ("deploy-action", "shadow-test"):
        assert write(target_roles[name], role_arn(STAGING, name), tooling, CAPTURE)[0] == IMPLICIT_DENY, name
    for name in ("stage-test", "cfn-deploy"):
        assert write(target_roles[name], role_arn(STAGING, name), tooling, CAPTURE) == (IMPLICIT_DENY, IMPLICIT_DENY)


def _without(statements: list[dict], action: str, sid: str | None = None) -> list[dict]:
    """`statements` with `action` taken out of every Allow (or only out of statement `sid`)."""
    crippled = copy.deepcopy(statements)
    for statement in crippled:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Allow" and sid in (None, statement.get("Sid")):
            statement["Action"] = [a for a in actions if a != action] or ["none:NoAction"]
    return crippled


@pytest.mark.parametrize("removed, expected", [
    (("identity", "s3:PutObject", None), (IMPLICIT_DENY, ALLOW)),
    (("identity", "kms:GenerateDataKey", None), (ALLOW, IMPLICIT_DENY)),
    (("bucket", "s3:PutObject", "TargetAccountsModelWrite"), (IMPLICIT_DENY, ALLOW)),
    (("key", "kms:GenerateDataKey", "TargetAccountsEncryptModelWrites"), (ALLOW, IMPLICIT_DENY)),
])
def test_the_write_fails_when_any_one_of_the_three_grants_is_removed(target_roles, tooling, removed, expected):
    where, action, sid = removed
    role, policies = copy.deepcopy(target_roles["model-execution"]), dict(tooling)
    if where == "identity":
        role.statements = _without(role.statements, action)
    else:
        policies[where] = _without(tooling[where], action, sid)
    assert write(role, role_arn(STAGING, "model-execution"), policies, CAPTURE) == expected


def test_the_shares_name_the_stage_accounts_model_roles_only_and_exactly_those_prefixes(synthesis):
    shared = shared_statements(resolve_template(synthesis.template("sagemaker-project"), MULTI))
    bucket, key = shared["AWS::S3::BucketPolicy:TargetAccountsModelWrite"], \
        shared["AWS::KMS::Key:TargetAccountsEncryptModelWrites"]
    for statement in (bucket, key):
        assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in (STAGING, PROD)]}
        assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [
            role_arn(STAGING, "model-execution"), role_arn(PROD, "model-execution")]}}
    assert bucket["Action"] == ["s3:PutObject"]
    assert [r.split("/", 1)[1] for r in bucket["Resource"]] == [f"{DATA_CAPTURE_PREFIX}/*", f"{MONITORING_PREFIX}/*"]
    assert sorted(key["Action"]) == ["kms:Encrypt", "kms:GenerateDataKey"]


def test_the_bucket_owns_every_object_so_no_acl_condition_is_needed(synthesis):
    # BucketOwnerEnforced: ACLs are off and the bucket owner owns objects other accounts write (S3 User Guide,
    # about-object-ownership); with ObjectWriter or BucketOwnerPreferred the write grants would need
    # s3:x-amz-acl = bucket-owner-full-control.
    (bucket,) = [r["Properties"] for r in synthesis.template("sagemaker-project")["Resources"].values()
                 if r["Type"] == "AWS::S3::Bucket"]
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_single_account_projects_share_no_model_writes(project):
    assert not [sid for sid in shared_statements(project) if "ModelWrite" in sid]
