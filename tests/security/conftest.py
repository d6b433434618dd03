"""Fixtures of the security tests: the synthesized templates resolved for one project, as IAM principals."""
import pytest

from iam_policy import role_principals
from resolved_project import ACCOUNT, BOUNDARY_ARN, PORTFOLIO, PROJECT
from resolve import resolve_template


@pytest.fixture(scope="session")
def portfolio(synthesis) -> dict:
    return resolve_template(synthesis.template("sagemaker-project-portfolio"), PORTFOLIO)


@pytest.fixture(scope="session")
def boundary_statements(portfolio) -> list[dict]:
    """The boundary as the portfolio stack creates it (the project stack names it by ARN)."""
    (policy,) = [r["Properties"] for r in portfolio["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
                 and r["Properties"]["ManagedPolicyName"] == "sagemaker-project-role-boundary"]
    assert f"arn:aws:iam::{ACCOUNT}:policy{policy['Path']}{policy['ManagedPolicyName']}" == BOUNDARY_ARN
    return policy["PolicyDocument"]["Statement"]


@pytest.fixture(scope="session")
def launch_role(portfolio):
    (principal,) = role_principals(portfolio).values()
    return principal


@pytest.fixture(scope="session")
def project_roles(synthesis, boundary_statements) -> dict:
    """The project stack's roles (single account), by logical id, each with the boundary it carries."""
    resolved = resolve_template(synthesis.template("sagemaker-project"), PROJECT)
    return role_principals(resolved, {BOUNDARY_ARN: boundary_statements})


@pytest.fixture(scope="session")
def project(synthesis) -> dict:
    return resolve_template(synthesis.template("sagemaker-project"), PROJECT)
