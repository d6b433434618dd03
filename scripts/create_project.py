"""Create a SageMaker project from the published template, through Service Catalog or the S3 template.

CreateProject takes either ServiceCatalogProvisioningDetails (the portfolio's product) or TemplateProviders
(an S3-based template: CfnTemplateProvider with TemplateURL and the launch role as RoleARN), as in the
SageMaker Developer Guide's Boto3 example (sagemaker-projects-templates-custom.html#sagemaker-projects-templates-s3).
Every request is checked against botocore's sagemaker model (types, lengths, required members and the
patterns and maximum lengths, which botocore itself does not check) before it is sent."""
import argparse
import os
import sys

from publish import PublishInputError, aws_errors, format_problem, region_problem
from script_errors import run_command

TEMPLATE_NAME = "sagemaker-project"  # CfnTemplateProvider.TemplateName: the template's id within the project
EXAMPLES = """examples:
  scripts/create_project.py churn --product-id prod-abc123 --parameter BranchName=main
  scripts/create_project.py churn --template-url https://BUCKET.s3.us-east-1.amazonaws.com/sagemaker-project/1.2.0/sagemaker-project.yaml \\
      --role-arn arn:aws:iam::111122223333:role/sagemaker-project-launch-role-LaunchRole-ABC
  scripts/create_project.py churn --product-id prod-abc123 --dry-run     # print the request, send nothing
exit codes: 0 created (SageMaker provisions it asynchronously: aws sagemaker describe-project --project-name NAME);
1 AWS refused; 2 invalid input (nothing sent).
"""


def build_request(name: str, *, product_id: str | None = None, artifact_id: str | None = None,
                  path_id: str | None = None, template_url: str | None = None, role_arn: str | None = None,
                  parameters: dict[str, str] | None = None, description: str | None = None,
                  tags: dict[str, str] | None = None) -> dict:
    """The CreateProject request for one provider: a product id (Service Catalog) or a template URL (S3)."""
    if bool(product_id) == bool(template_url):
        raise PublishInputError("--product-id / --template-url: give exactly one: the Service Catalog product "
                                "or the S3 template's https URL")
    if role_arn and (problem := format_problem("--role-arn", role_arn, "role arn")):
        raise PublishInputError(problem)
    if role_arn and not template_url:
        raise PublishInputError(f"--role-arn: {role_arn!r}: only with --template-url (Service Catalog uses the "
                                "portfolio's launch constraint)")
    pairs = [{"Key": key, "Value": value} for key, value in (parameters or {}).items()]
    request: dict = {"ProjectName": name}
    if description:
        request["ProjectDescription"] = description
    if product_id:
        details = {"ProductId": product_id, "ProvisioningArtifactId": artifact_id, "PathId": path_id,
                   "ProvisioningParameters": pairs or None}
        request["ServiceCatalogProvisioningDetails"] = {k: v for k, v in details.items() if v is not None}
    else:
        provider = {"TemplateName": TEMPLATE_NAME, "TemplateURL": template_url, "RoleARN": role_arn,
                    "Parameters": pairs or None}
        request["TemplateProviders"] = [{"CfnTemplateProvider": {k: v for k, v in provider.items() if v is not None}}]
    if tags:
        request["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
    return request


def model_problems(request: dict) -> list[str]:
    """Every way `request` breaks CreateProject's input shape in botocore's sagemaker model, as
    `<field.path>: <value>: <rule>`."""
    import botocore.session
    from botocore.validate import ParamValidator

    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateProject").input_shape
    report = ParamValidator().validate(request, shape)
    problems = [line.strip() for line in report.generate_report().splitlines()] if report.has_errors() else []
    from mlops_guardrails import aws_formats  # script_errors puts the deploy seed on the import path

    return problems + aws_formats.shape_problems(request, shape)  # what the validator leaves out: max, patterns


def create_project(request: dict, *, sagemaker=None, dry_run: bool = False, progress=print) -> dict:
    """Check the request against the model, then send it (unless dry_run); returns CreateProject's answer."""
    problems = model_problems(request)
    if problems:
        raise PublishInputError("CreateProject: " + "; ".join(problems))
    if dry_run:
        progress(f"==> dry run: would call CreateProject with {request}")
        return {}
    import boto3

    client = sagemaker or boto3.client("sagemaker")
    with aws_errors(f"sagemaker:CreateProject {request['ProjectName']}"):
        answer = client.create_project(**request)
    progress(f"==> project {request['ProjectName']}: {answer['ProjectArn']} (id {answer['ProjectId']}); "
             f"SageMaker provisions it now: aws sagemaker describe-project --project-name {request['ProjectName']}")
    return answer


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise PublishInputError(f"{flag}: {value!r}: must be KEY=VALUE")
        pairs[key] = rest
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="project name (1-32 letters, digits and hyphens)")
    parser.add_argument("--product-id", help="Service Catalog product id (prod-...): the portfolio's product")
    parser.add_argument("--provisioning-artifact-id", help="product version (pa-...; default: the product's default)")
    parser.add_argument("--path-id", help="launch path id (lpv2-...; default: the only one)")
    parser.add_argument("--template-url", help="https URL of the S3 template (publish --s3-template prints it)")
    parser.add_argument("--role-arn", help="launch role for the S3 template (stack sagemaker-project-launch-role)")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="template parameter (repeatable), e.g. BranchName=main")
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="project tag (repeatable)")
    parser.add_argument("--description", help="project description")
    parser.add_argument("--dry-run", action="store_true", help="check and print the request; send nothing")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)

    def action() -> None:
        for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):  # boto3 reads either (AWS_REGION first)
            if variable in os.environ and (problem := region_problem(variable, os.environ[variable])):
                raise PublishInputError(problem)
        request = build_request(args.name, product_id=args.product_id, artifact_id=args.provisioning_artifact_id,
                                path_id=args.path_id, template_url=args.template_url, role_arn=args.role_arn,
                                parameters=_pairs(args.parameter, "--parameter"), description=args.description,
                                tags=_pairs(args.tag, "--tag"))
        create_project(request, dry_run=args.dry_run)
    return run_command(action, args.debug)


if __name__ == "__main__":
    sys.exit(main())
