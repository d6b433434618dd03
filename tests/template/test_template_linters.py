"""cfn-lint and cdk-nag on every synthesized template; acknowledgements must carry reasons."""
import aws_cdk as cdk
import cfnlint.api
import pytest

from template.components.nag import acknowledge


@pytest.mark.parametrize("name", ["sagemaker-project", "sagemaker-project-target-account",
                                  "sagemaker-project-portfolio"])
def test_template_is_cfn_lint_clean(synthesis, name):
    matches = cfnlint.api.lint(synthesis.templates[name].read_text(), regions=["us-east-1"])
    assert [str(m) for m in matches] == []


def test_cdk_nag_aws_solutions_reports_no_violation(synthesis):
    assert synthesis.nag_violations == []


def test_acknowledgement_without_reason_is_refused():
    stack = cdk.Stack(cdk.App(), "Scratch")
    with pytest.raises(ValueError, match="IAM5: empty reason"):
        acknowledge(stack, "IAM5", "  ")
