"""IAM policies that exist only under a CloudFormation condition (cross-account, CodeConnections)."""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct


def conditional_policy(scope: Construct, construct_id: str, *, role: iam.IRole, condition: cdk.CfnCondition,
                       statements: list[iam.PolicyStatement]) -> iam.Policy:
    """Attach `statements` to `role` in a policy resource that carries `condition`."""
    policy = iam.Policy(scope, construct_id, statements=statements, roles=[role])
    policy.node.default_child.cfn_options.condition = condition
    return policy
