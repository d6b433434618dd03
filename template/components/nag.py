"""cdk-nag acknowledgements, each with a written reason (cdk-nag 3's Validations API)."""
import aws_cdk as cdk
from constructs import IConstruct

_SM = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
_STAGE_RESOURCE = ("Named by the stage stack at deploy time (CloudFormation generates model and config names), "
                   "and SageMaker lower-cases names into ARNs, so no project-name prefix can match them.")

# AwsSolutions-IAM5 findings shared by the project and target-account stacks, with the reason for each.
SHARED_WILDCARDS = {
    "Resource::*": "Only actions without resource-level permissions: ecr:GetAuthorizationToken, "
                   "cloudwatch:DescribeAlarms/GetMetricData/GetMetricStatistics, cloudwatch:PutMetricData (limited "
                   "by a namespace condition), application-autoscaling, and iam:CreateServiceLinkedRole "
                   "(limited to SageMaker's autoscaling service by condition).",
    "Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:*:repository/*":
        "SageMaker's built-in images (XGBoost, scikit-learn) live in AWS-owned registry accounts that differ "
        "per region; read-only image pull actions.",
    "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*":
        "SageMaker names job and endpoint log groups at run time, all under /aws/sagemaker/.",
    f"Resource::{_SM}:endpoint/*": _STAGE_RESOURCE,
    f"Resource::{_SM}:endpoint-config/*": _STAGE_RESOURCE,
    f"Resource::{_SM}:model/*": _STAGE_RESOURCE,
    f"Resource::{_SM}:monitoring-schedule/*": _STAGE_RESOURCE,
    f"Resource::{_SM}:data-quality-job-definition/*": _STAGE_RESOURCE,
    f"Resource::{_SM}:inference-component/*": _STAGE_RESOURCE,
    f"Resource::{_SM}:inference-experiment/*": "Shadow tests are named by whoever runs deploy shadow-test; the "
                                               "request carries no project tag. What one may do is the passed "
                                               "role's: only the project's shadow-test role can be passed.",
    "Resource::arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:<AWS::AccountId>:scalable-target/*":
        "Application Auto Scaling generates the scalable target's id; tag actions only (CloudFormation's handler).",
    "Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:<SageMakerProjectName>-*":
        "The stage alarms are named after the stage endpoints, <project>-<stage>-...",
    **{f"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:"
       f"stack/sagemaker-<SageMakerProjectName>-deploy-{stage}/*":
           f"The stage stack sagemaker-<project>-deploy-{stage}; CloudFormation appends a stack id."
       for stage in ("staging", "prod")},
}


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge AwsSolutions rule `rule` (e.g. "S1" or "IAM5[Resource::*]") on `construct`."""
    if not reason.strip():
        raise ValueError(f"acknowledge: {rule}: empty reason: every acknowledgement carries a written reason")
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}",
                                                                 reason=reason))


def acknowledge_validation(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge a CDK built-in validation finding (e.g. "CloudFormation-Validate::E3050") on `construct`."""
    if not reason.strip():
        raise ValueError(f"acknowledge: {rule_id}: empty reason: every acknowledgement carries a written reason")
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def acknowledge_wildcards(construct: IConstruct, findings: dict[str, str]) -> None:
    """Acknowledge each IAM5 finding (cdk-nag's `Action::...` / `Resource::...` form) with its own reason."""
    for finding, reason in findings.items():
        acknowledge(construct, f"IAM5[{finding}]", reason)


def logical_ref(construct: IConstruct, attribute: str = "") -> str:
    """How cdk-nag writes a reference to `construct`'s resource in a finding: <LogicalId> or <LogicalId.Attr>."""
    resource = construct.node.default_child if construct.node.default_child is not None else construct
    logical_id = cdk.Stack.of(construct).get_logical_id(resource)
    return f"<{logical_id}.{attribute}>" if attribute else f"<{logical_id}>"


def skip_checkov(construct: IConstruct, check_id: str, reason: str) -> None:
    """Skip checkov check `check_id` on `construct`'s resource, with the reason in the template's metadata
    (checkov reads Metadata.checkov.skip[].id/comment)."""
    if not reason.strip():
        raise ValueError(f"skip_checkov: {check_id}: empty reason: every skip carries a written reason")
    resource = construct.node.default_child if construct.node.default_child is not None else construct
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", metadata)
