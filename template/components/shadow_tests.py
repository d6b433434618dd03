"""Managed shadow tests (seed-deploy's `deploy shadow-test`): the policy for whoever runs them.

The command is run by a person (or their role), like an approval: it is not a step of the deploy pipeline, so
the CodeBuild role does not hold these rights. SageMaker runs the experiment as the project's shadow-test role
(roles.py, policies.shadow_experiment_statements), the only role this policy may pass.
"""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.policies import shadow_test_operator_statements
from template.components.registry import APPROVER_PATH

SHADOW_TEST_POLICY_DESCRIPTION = "Start, stop and read this SageMaker project's managed shadow tests (deploy shadow-test)"
# Where the experiments' captures go in the artifact bucket: the shadow-test role may write there only.
CAPTURE_PREFIX = "shadow-tests"


def shadow_test_policy(scope: Construct, construct_id: str, *, experiment_role_arn: str,
                       project_id: str, registry_account: str = cdk.Aws.ACCOUNT_ID) -> iam.ManagedPolicy:
    """Attach to whoever runs `deploy shadow-test`. Under the approvers' path: the Service Catalog launch role
    creates managed policies there only (service-catalog/portfolio_stack.py)."""
    return iam.ManagedPolicy(scope, construct_id, description=SHADOW_TEST_POLICY_DESCRIPTION, path=APPROVER_PATH,
                             statements=shadow_test_operator_statements(experiment_role_arn=experiment_role_arn,
                                                                        project_id=project_id,
                                                                        registry_account=registry_account))
