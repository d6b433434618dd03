"""The principal slots resolve to exactly the Studio role ARNs given, for one to MAX_STUDIO_ROLES ARNs."""
import pytest

from portfolio_stack import MAX_STUDIO_ROLES
from resolve import resolve_template

BASE = {"TemplateBucket": "assets-bucket", "TemplateKey": "sagemaker-project/1.0.0/sagemaker-project.json",
        "ProductVersion": "1.0.0"}


@pytest.mark.parametrize("count", [1, 2, MAX_STUDIO_ROLES])
def test_slots_resolve_to_the_given_role_arns(synthesis, count):
    arns = [f"arn:aws:iam::123456789012:role/studio-{n}" for n in range(count)]
    # CloudFormation hands a CommaDelimitedList to Ref as a list.
    resolved = resolve_template(synthesis.template("sagemaker-project-portfolio"),
                                {**BASE, "StudioExecutionRoleArns": arns})
    principals = [r["Properties"]["PrincipalARN"] for r in resolved["Resources"].values()
                  if r["Type"] == "AWS::ServiceCatalog::PortfolioPrincipalAssociation"]
    assert principals == arns


def test_product_url_resolves_to_the_published_key(synthesis):
    resolved = resolve_template(synthesis.template("sagemaker-project-portfolio"),
                                {**BASE, "StudioExecutionRoleArns": ["arn:aws:iam::123456789012:role/s"]},
                                pseudo={"AWS::URLSuffix": "url-suffix.test"})
    product = next(r for r in resolved["Resources"].values() if r["Type"] == "AWS::ServiceCatalog::CloudFormationProduct")
    assert product["Properties"]["ProvisioningArtifactParameters"][0]["Info"]["LoadTemplateFromURL"] == (
        "https://assets-bucket.s3.us-east-1.url-suffix.test/sagemaker-project/1.0.0/sagemaker-project.json")
