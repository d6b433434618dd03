"""The portfolio stack: product with its visibility tag and versioned artifact, launch role, Studio principals."""
import pytest
from aws_cdk.assertions import Match, Template

from portfolio_stack import MAX_STUDIO_ROLES


@pytest.fixture(scope="module")
def template(synthesis) -> Template:
    return Template.from_stack(synthesis.stacks["sagemaker-project-portfolio"])


def test_product_is_visible_in_studio_and_loads_the_published_template(template):
    template.has_resource_properties("AWS::ServiceCatalog::CloudFormationProduct", {
        "Tags": [{"Key": "sagemaker:studio-visibility", "Value": "true"}],
        "ProvisioningArtifactParameters": [{
            "Name": {"Ref": "ProductVersion"}, "Description": Match.any_value(),
            "Info": {"LoadTemplateFromURL": {"Fn::Sub": [
                "https://${Bucket}.s3.${AWS::Region}.${AWS::URLSuffix}/${Key}",
                {"Bucket": {"Ref": "TemplateBucket"}, "Key": {"Ref": "TemplateKey"}}]}}}]})


def test_launch_constraint_uses_the_service_catalog_launch_role(template):
    template.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [
        Match.object_like({"Principal": {"Service": "servicecatalog.amazonaws.com"}})]}})
    template.has_resource_properties("AWS::ServiceCatalog::LaunchRoleConstraint", {
        "RoleArn": {"Fn::GetAtt": [Match.string_like_regexp("^LaunchRole"), "Arn"]}})


def test_launch_role_creates_roles_only_under_the_project_path(synthesis):
    resources = synthesis.template("sagemaker-project-portfolio")["Resources"]
    role = next(r for r in resources.values() if r["Type"] == "AWS::IAM::Role")
    statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    iam = next(s for s in statements if "iam:CreateRole" in s["Action"])
    assert iam["Resource"]["Fn::Join"][1][-1] == ":role/sagemaker-project/*"


def test_one_principal_slot_per_studio_role_each_conditional(synthesis):
    template = synthesis.template("sagemaker-project-portfolio")
    associations = [r for r in template["Resources"].values()
                    if r["Type"] == "AWS::ServiceCatalog::PortfolioPrincipalAssociation"]
    assert sorted(a["Condition"] for a in associations) == [f"HasStudioRole{i}" for i in range(1, MAX_STUDIO_ROLES + 1)]
    assert {a["Properties"]["PrincipalType"] for a in associations} == {"IAM"}
    assert template["Parameters"]["StudioExecutionRoleArns"]["Type"] == "CommaDelimitedList"


def test_product_is_in_the_portfolio(template):
    template.has_resource_properties("AWS::ServiceCatalog::PortfolioProductAssociation", {
        "PortfolioId": {"Ref": Match.string_like_regexp("^Portfolio")},
        "ProductId": {"Ref": Match.string_like_regexp("^Product")}})


def test_launch_role_creates_roles_only_with_the_project_boundary(template):
    boundary_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"},
                                      ":policy/sagemaker-project/sagemaker-project-role-boundary"]]}
    template.has_resource_properties("AWS::IAM::Role", {"Policies": [{"PolicyName": "Provision", "PolicyDocument": {
        "Statement": Match.array_with([
            Match.object_like({"Sid": "RolesOnlyWithBoundary", "Effect": "Allow",
                               "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"],
                               "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}}),
            Match.object_like({"Sid": "KeepBoundary", "Effect": "Deny", "Resource": boundary_arn}),
        ])}}]})
    template.has_resource_properties("AWS::IAM::ManagedPolicy", {
        "ManagedPolicyName": "sagemaker-project-role-boundary", "Path": "/sagemaker-project/"})


def test_launch_role_trust_names_this_account(template):
    template.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [
        Match.object_like({"Principal": {"Service": "servicecatalog.amazonaws.com"},
                           "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}})]}})
