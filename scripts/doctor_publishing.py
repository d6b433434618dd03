"""The doctor's publishing checks: the publisher's own permissions, the published template (the S3 path's object,
tag, CORS rule and domain tag; Service Catalog's portfolio, principals and launch constraint), and SageMaker's
project portfolio."""
import json
import shlex
from typing import TYPE_CHECKING

import account_policies
import doctor_iam
import s3_template
from publish import LAUNCH_ROLE_STACK, PORTFOLIO_STACK
from vpc_preflight import Finding

if TYPE_CHECKING:
    from doctor import Context

PORTFOLIO_NAME = "SageMaker MLOps project templates"  # service-catalog/portfolio_stack.py's display name
PROJECTS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-projects-studio-updates.html"


def check_publisher(ctx: "Context") -> list[Finding]:
    caller = ctx.clients.client("sts").get_caller_identity()["Arn"]
    principal, caveat = account_policies.caller_principal(ctx.iam, caller)
    if principal is None:
        return [Finding("unknown", "publish permissions", caveat)]
    stack = LAUNCH_ROLE_STACK if ctx.place.s3_path else PORTFOLIO_STACK
    template = ctx.templates[stack]
    kinds = sorted({r["Type"] for r in template["Resources"].values()})
    requests = doctor_iam.publish_requests(ctx.place, stack, kinds)
    missing, why = doctor_iam.refused(principal, requests)
    if why:
        return [Finding("unknown", "publish permissions", f"{caller}: {why}")]
    if missing:
        return [Finding("problem", "publish permissions", f"{caller} may not: {doctor_iam.describe(missing)}",
                        fix=_attach_fix(caller, "doctor-publish", missing))]
    outside = _outside_view(ctx, caveat)
    if outside:
        return [Finding("unknown", "publish permissions", f"{caller}: its policies allow all {len(requests)} of "
                        f"publish's requests, but {outside}")]
    return [Finding("ok", "publish permissions", f"{caller}: its policies allow all {len(requests)} of publish's "
                    "requests")]


def _outside_view(ctx: "Context", caveat: str) -> str:
    """What could still refuse a request the identity's own policies allow: SCPs (when the account is in an
    organization) and session policies."""
    from botocore.exceptions import ClientError

    reasons = [caveat] if caveat else []
    try:
        ctx.clients.client("organizations").describe_organization()
        reasons.append("the account is in AWS Organizations, whose SCPs this check cannot read")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "AWSOrganizationsNotInUseException":
            reasons.append("whether SCPs apply could not be read (organizations:DescribeOrganization)")
    return "; ".join(reasons)


def _attach_fix(principal_arn: str, name: str, missing) -> str:
    """The command that puts the policy granting `missing` on the role or user."""
    kind, who = _principal_name(principal_arn)
    return (f"aws iam put-{kind}-policy --{kind}-name {who} --policy-name {name} --policy-document "
            f"{shlex.quote(doctor_iam.grant_policy(missing))}")


def _principal_name(arn: str) -> tuple[str, str]:
    resource = arn.split(":", 5)[5]
    if resource.startswith("assumed-role/"):
        return "role", resource.split("/")[1]
    return resource.split("/")[0], resource.rsplit("/", 1)[1]


def check_template_bucket(ctx: "Context") -> list[Finding]:
    from botocore.exceptions import ClientError

    s3, key = ctx.clients.client("s3"), ctx.place.template_key
    try:
        s3.head_object(Bucket=ctx.place.bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
            raise
        return [Finding("problem", "template bucket", f"s3://{ctx.place.bucket}/{key}: not found: version "
                        f"{ctx.options.version} is not published there",
                        fix=f"make publish ARGS={shlex.quote(_publish_args(ctx))}")]
    return [Finding("ok", "template bucket", f"s3://{ctx.place.bucket}/{key} published")]


def _publish_args(ctx: "Context") -> str:
    args = [f"--version {ctx.options.version}", f"--asset-bucket {ctx.place.bucket}"]
    roles = [f"--studio-role-arn {arn}" for arn in ctx.options.studio_role_arns]
    args += ["--s3-template"] if ctx.options.s3_template else roles
    if ctx.options.studio_domain_id:
        args.append(f"--studio-domain-id {ctx.options.studio_domain_id}")
    return " ".join(args)


def check_template_tag(ctx: "Context") -> list[Finding]:
    key = ctx.place.template_key
    tags = ctx.clients.client("s3").get_object_tagging(Bucket=ctx.place.bucket, Key=key)["TagSet"]
    if s3_template.VISIBILITY_TAG in tags:
        return [Finding("ok", "template tag", f"{key}: {s3_template.VISIBILITY_TAG['Key']}=true")]
    tagging = json.dumps({"TagSet": tags + [s3_template.VISIBILITY_TAG]}, separators=(",", ":"))
    return [Finding("problem", "template tag", f"{key}: no {s3_template.VISIBILITY_TAG['Key']}=true tag: Studio does "
                    f"not list the template ({s3_template.DOCS})", fix=f"aws s3api put-object-tagging --bucket "
                    f"{ctx.place.bucket} --key {key} --tagging {shlex.quote(tagging)}")]


def check_cors(ctx: "Context") -> list[Finding]:
    from botocore.exceptions import ClientError

    try:
        rules = ctx.clients.client("s3").get_bucket_cors(Bucket=ctx.place.bucket)["CORSRules"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
            raise
        rules = []
    merged = s3_template.merged_cors_rules(rules)
    if merged is None:
        return [Finding("ok", "CORS rule", f"{ctx.place.bucket}: {s3_template.STUDIO_CORS_RULE['ID']}")]
    config = json.dumps({"CORSRules": merged}, separators=(",", ":"))
    return [Finding("problem", "CORS rule", f"{ctx.place.bucket}: no rule {s3_template.STUDIO_CORS_RULE['ID']}: "
                    f"Studio cannot read the template ({s3_template.DOCS})", fix=f"aws s3api put-bucket-cors --bucket "
                    f"{ctx.place.bucket} --cors-configuration {shlex.quote(config)}")]


def check_domain_tag(ctx: "Context") -> list[Finding]:
    if not ctx.options.studio_domain_id:
        return [Finding("unknown", "domain tag", "no --studio-domain-id: the domain's tag was not read")]
    arn = ctx.place.arn("sagemaker", f"domain/{ctx.options.studio_domain_id}")
    location = s3_template.templates_location(ctx.place.bucket, ctx.place.prefix)
    tags = ctx.clients.client("sagemaker#projects").list_tags(ResourceArn=arn)["Tags"]
    value = next((t["Value"] for t in tags if t["Key"] == s3_template.DOMAIN_TAG_KEY), None)
    if value == location:
        return [Finding("ok", "domain tag", f"{s3_template.DOMAIN_TAG_KEY}={location}")]
    return [Finding("problem", "domain tag", f"{ctx.options.studio_domain_id}: {s3_template.DOMAIN_TAG_KEY} is "
                    f"{value!r}, not {location!r}: Studio lists no template from this version",
                    fix=s3_template.domain_tag_command(arn, location))]


def _portfolio(ctx: "Context") -> dict | None:
    catalog = ctx.clients.client("servicecatalog")
    portfolios = [p for page in catalog.get_paginator("list_portfolios").paginate() for p in page["PortfolioDetails"]]
    return next((p for p in portfolios if p["DisplayName"] == PORTFOLIO_NAME), None)


def check_portfolio(ctx: "Context") -> list[Finding]:
    portfolio = _portfolio(ctx)
    if portfolio is None:
        return [Finding("problem", "portfolio", f"no portfolio named {PORTFOLIO_NAME!r}",
                        fix=f"make publish ARGS={shlex.quote(_publish_args(ctx))}")]
    lines = [Finding("ok", "portfolio", f"{portfolio['Id']} ({PORTFOLIO_NAME})")]
    catalog = ctx.clients.client("servicecatalog#constraints")
    principals = {p["PrincipalARN"] for p in catalog.list_principals_for_portfolio(PortfolioId=portfolio["Id"])[
        "Principals"]}
    missing = [arn for arn in ctx.options.studio_role_arns if arn not in principals]
    lines.append(Finding("problem", "portfolio principals", f"{missing}: not principals of {portfolio['Id']}: they do "
                         "not see the product", fix=" && ".join(
                             f"aws servicecatalog associate-principal-with-portfolio --portfolio-id {portfolio['Id']} "
                             f"--principal-arn {arn} --principal-type IAM" for arn in missing))
                 if missing else Finding("ok", "portfolio principals", f"{len(principals)} principal(s), every "
                                         "given Studio role among them"))
    constraints = catalog.list_constraints_for_portfolio(PortfolioId=portfolio["Id"])["ConstraintDetails"]
    launch = [c for c in constraints if c["Type"] == "LAUNCH"]
    lines.append(Finding("ok", "launch constraint", f"{launch[0]['ConstraintId']}") if launch else Finding(
        "problem", "launch constraint", f"{portfolio['Id']}: no LAUNCH constraint: Service Catalog cannot provision "
        "the product with the launch role", fix=f"make publish ARGS={shlex.quote(_publish_args(ctx))}"))
    return lines


def check_projects_enabled(ctx: "Context") -> list[Finding]:
    status = ctx.clients.client("sagemaker#projects").get_sagemaker_servicecatalog_portfolio_status()["Status"]
    if status == "Enabled":
        return [Finding("ok", "projects enabled", "SageMaker's Service Catalog portfolio is enabled")]
    return [Finding("problem", "projects enabled", f"SageMaker's Service Catalog portfolio is {status}: Studio users "
                    f"cannot create projects ({PROJECTS_DOC})",
                    fix="aws sagemaker enable-sagemaker-servicecatalog-portfolio")]
