"""make doctor: find what will break before the template is published or a project is created, read-only.

One line per check: `ok`, `problem` (with the exact fix: a command or the policy to add) or `unknown` (why it could
not tell). Only Describe/Get/List calls reach AWS; IAM is evaluated offline (iam_policy) over the policy documents
read from the account, so it works where iam:SimulatePrincipalPolicy is not allowed."""
import argparse
import json
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import account_policies
import doctor_capacity
import doctor_iam
import doctor_names
import s3_template
import vpc_preflight
from doctor_iam import Place
from iam_policy import trust_matches
from publish import (BOOTSTRAP_BUCKET, LAUNCH_ROLE_STACK, PORTFOLIO_STACK, PROJECT_TEMPLATE, domain_id_pattern,
                     format_problem)
from script_errors import ScriptInputError, run_command
from vpc_preflight import Finding

EXAMPLES = """examples:
  scripts/doctor.py --studio-role-arn arn:aws:iam::111122223333:role/StudioExecutionRole --project-name churn
  scripts/doctor.py --s3-template --studio-domain-id d-abcdef123456 --studio-role-arn ARN --project-name churn
  scripts/doctor.py --s3-template --subnet-ids subnet-0a1,subnet-0b2 --security-group-ids sg-0c3
  make doctor ARGS="--studio-role-arn ARN --project-name churn"
exit codes: 0 no problem found (unknown lines may remain); 1 a problem (each with its fix); 2 invalid options.
"""
PORTFOLIO_NAME = "SageMaker MLOps project templates"  # service-catalog/portfolio_stack.py's display name
DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403")
# CodeCommit: "As of July 25, 2024, ... existing customers can continue to use the service" (AWS DevOps blog,
# "How to migrate your AWS CodeCommit repository to another Git provider"): an account without repositories may
# be refused CreateRepository, which only creating one would prove.
CODECOMMIT_NOTE = ("CodeCommit is closed to accounts that did not use it before 2024-07-25; an account that "
                   "has no repository may be refused CreateRepository")
PROJECTS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-projects-studio-updates.html"


@dataclass
class Options:
    studio_role_arns: list[str] = field(default_factory=list)
    project_name: str | None = None
    s3_template: bool = False
    studio_domain_id: str | None = None
    asset_bucket: str | None = None
    version: str = "1.0.0"
    connection_arn: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    custom_images: bool = False


class DoctorInputError(ScriptInputError):
    """Invalid options: exit code 2, before any call."""


class Clients:
    """boto3 clients by name, made once. A name may carry a purpose after '#' (sagemaker#projects): the calls
    the emulator lacks go through their own client, which tests replace with botocore's Stubber."""

    def __init__(self, overrides: dict | None = None) -> None:
        self._made = dict(overrides or {})
        self._session = None

    def client(self, name: str):
        if name not in self._made:
            import boto3

            self._session = self._session or boto3.Session()  # one run, one identity: credentials read once
            self._made[name] = self._session.client(name.split("#")[0])
        return self._made[name]


@dataclass
class Context:
    """What every check reads: the options, the clients, where publish puts things, and the templates."""

    options: Options
    clients: Clients
    place: Place
    templates: dict[str, dict]

    @property
    def iam(self):
        return self.clients.client("iam")

    @cached_property
    def launch_role(self) -> str | None:
        return launch_role_arn(self)


# -- publishing ------------------------------------------------------------------------------------------------
def check_publisher(ctx: Context) -> list[Finding]:
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


def _outside_view(ctx: Context, caveat: str) -> str:
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


def check_template_bucket(ctx: Context) -> list[Finding]:
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


def _publish_args(ctx: Context) -> str:
    args = [f"--version {ctx.options.version}", f"--asset-bucket {ctx.place.bucket}"]
    roles = [f"--studio-role-arn {arn}" for arn in ctx.options.studio_role_arns]
    args += ["--s3-template"] if ctx.options.s3_template else roles
    if ctx.options.studio_domain_id:
        args.append(f"--studio-domain-id {ctx.options.studio_domain_id}")
    return " ".join(args)


def check_template_tag(ctx: Context) -> list[Finding]:
    key = ctx.place.template_key
    tags = ctx.clients.client("s3").get_object_tagging(Bucket=ctx.place.bucket, Key=key)["TagSet"]
    if s3_template.VISIBILITY_TAG in tags:
        return [Finding("ok", "template tag", f"{key}: {s3_template.VISIBILITY_TAG['Key']}=true")]
    tagging = json.dumps({"TagSet": tags + [s3_template.VISIBILITY_TAG]}, separators=(",", ":"))
    return [Finding("problem", "template tag", f"{key}: no {s3_template.VISIBILITY_TAG['Key']}=true tag: Studio does "
                    f"not list the template ({s3_template.DOCS})", fix=f"aws s3api put-object-tagging --bucket "
                    f"{ctx.place.bucket} --key {key} --tagging {shlex.quote(tagging)}")]


def check_cors(ctx: Context) -> list[Finding]:
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


def check_domain_tag(ctx: Context) -> list[Finding]:
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


def _portfolio(ctx: Context) -> dict | None:
    catalog = ctx.clients.client("servicecatalog")
    portfolios = [p for page in catalog.get_paginator("list_portfolios").paginate() for p in page["PortfolioDetails"]]
    return next((p for p in portfolios if p["DisplayName"] == PORTFOLIO_NAME), None)


def check_portfolio(ctx: Context) -> list[Finding]:
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


def check_projects_enabled(ctx: Context) -> list[Finding]:
    status = ctx.clients.client("sagemaker#projects").get_sagemaker_servicecatalog_portfolio_status()["Status"]
    if status == "Enabled":
        return [Finding("ok", "projects enabled", "SageMaker's Service Catalog portfolio is enabled")]
    return [Finding("problem", "projects enabled", f"SageMaker's Service Catalog portfolio is {status}: Studio users "
                    f"cannot create projects ({PROJECTS_DOC})",
                    fix="aws sagemaker enable-sagemaker-servicecatalog-portfolio")]


# -- project creation --------------------------------------------------------------------------------------------
def launch_role_arn(ctx: Context) -> str | None:
    """The S3 path: the launch-role stack's output. Service Catalog: the portfolio's LAUNCH constraint."""
    from botocore.exceptions import ClientError

    if ctx.place.s3_path:
        try:
            stack = ctx.clients.client("cloudformation").describe_stacks(StackName=LAUNCH_ROLE_STACK)["Stacks"][0]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise
        return next((o["OutputValue"] for o in stack.get("Outputs", []) if o["OutputKey"] == "LaunchRoleArn"), None)
    portfolio = _portfolio(ctx)
    if portfolio is None:
        return None
    constraints = ctx.clients.client("servicecatalog#constraints").list_constraints_for_portfolio(
        PortfolioId=portfolio["Id"])["ConstraintDetails"]
    for constraint in constraints:
        if constraint["Type"] == "LAUNCH":
            detail = ctx.clients.client("servicecatalog#constraints").describe_constraint(Id=constraint["ConstraintId"])
            return json.loads(detail["ConstraintParameters"]).get("RoleArn")
    return None


def studio_roles(ctx: Context) -> list[str]:
    """The roles given, else the domain's default execution role and every user profile's own."""
    if ctx.options.studio_role_arns:
        return ctx.options.studio_role_arns
    sagemaker, domain = ctx.clients.client("sagemaker#projects"), ctx.options.studio_domain_id
    roles = [sagemaker.describe_domain(DomainId=domain)["DefaultUserSettings"]["ExecutionRole"]]
    for page in sagemaker.get_paginator("list_user_profiles").paginate(DomainIdEquals=domain):
        for profile in page["UserProfiles"]:
            settings = sagemaker.describe_user_profile(DomainId=domain, UserProfileName=profile["UserProfileName"])
            role = settings.get("UserSettings", {}).get("ExecutionRole")
            if role and role not in roles:
                roles.append(role)
    return roles


def check_studio_roles(ctx: Context) -> list[Finding]:
    lines = []
    launch = ctx.launch_role
    for arn in studio_roles(ctx):
        name = arn.rsplit("/", 1)[1]
        principal = account_policies.role_principal(ctx.iam, name)
        requests = doctor_iam.project_creation_requests(ctx.place, ctx.options.project_name or "*", launch, None)
        missing, why = doctor_iam.refused(principal, requests)
        check = f"studio role {name}"
        if why:
            lines.append(Finding("unknown", check, why))
        elif missing:
            lines.append(Finding("problem", check, f"may not: {doctor_iam.describe(missing)}",
                                 fix=_attach_fix(arn, "doctor-create-project", missing)))
        else:
            lines.append(Finding("ok", check, f"may create a project ({len(requests)} requests allowed)"))
        lines.append(guardrails_line(ctx, name))
    return lines


def guardrails_line(ctx: Context, role_name: str) -> Finding:
    attached = account_policies.attached_policies(ctx.iam, role=role_name)
    names = {p["PolicyName"] for p in attached}
    broad = sorted(names & set(doctor_iam.BROAD_POLICIES))
    check = f"guardrails {role_name}"
    if not broad:
        return Finding("ok", check, "no broad managed policy attached")
    if doctor_iam.GUARDRAILS_POLICY in names:
        return Finding("ok", check, f"{doctor_iam.GUARDRAILS_POLICY} attached beside {broad}")
    local = [p for page in ctx.iam.get_paginator("list_policies").paginate(Scope="Local") for p in page["Policies"]
             if p["PolicyName"] == doctor_iam.GUARDRAILS_POLICY]
    fix = (f"aws iam attach-role-policy --role-name {role_name} --policy-arn {local[0]['Arn']}" if local else
           f"publish the template first (it creates {doctor_iam.GUARDRAILS_POLICY}), then attach it to {role_name}")
    return Finding("problem", check, f"{broad} attached without {doctor_iam.GUARDRAILS_POLICY}: the role reaches "
                   "other projects' resources", fix=fix)


def check_launch_role(ctx: Context) -> list[Finding]:
    from botocore.exceptions import ClientError

    arn = ctx.launch_role
    if arn is None:
        return [Finding("problem", "launch role", "not found (no launch-role stack output or launch constraint)",
                        fix=f"make publish ARGS={shlex.quote(_publish_args(ctx))}")]
    name = arn.rsplit("/", 1)[1]
    try:
        role = ctx.iam.get_role(RoleName=name)["Role"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        return [Finding("problem", "launch role", f"{arn}: does not exist", fix=f"make publish ARGS="
                        f"{shlex.quote(_publish_args(ctx))}")]
    service = doctor_iam.TRUSTED_SERVICE[ctx.place.s3_path]
    trust = {"AssumeRolePolicyDocument": account_policies.document(role["AssumeRolePolicyDocument"])}
    lines = [Finding("ok", "launch role trust", f"{name} trusts {service} for this account")
             if trust_matches(trust, principal={"Service": service}, context={"aws:SourceAccount": ctx.place.account})
             else Finding("problem", "launch role trust", f"{name} does not trust {service} for account "
                          f"{ctx.place.account}", fix=f"aws iam update-assume-role-policy --role-name {name} "
                          f"--policy-document {shlex.quote(_trust_policy(service, ctx.place.account))}")]
    principal = account_policies.role_principal(ctx.iam, name)
    per_type = doctor_iam.launch_requests(ctx.place)
    kinds = ["stack"] + sorted({r["Type"] for r in ctx.templates[PROJECT_TEMPLATE]["Resources"].values()})
    requests = [r for kind in kinds for r in per_type.get(kind, [])]
    missing, why = doctor_iam.refused(principal, requests)
    if why:
        lines.append(Finding("unknown", "launch role permissions", why))
    elif missing:
        lines.append(Finding("problem", "launch role permissions", f"{name} may not: {doctor_iam.describe(missing)}",
                             fix=_attach_fix(arn, "doctor-launch", missing)))
    else:
        lines.append(Finding("ok", "launch role permissions", f"{name} may create the project stack's "
                             f"{len(kinds) - 1} resource types ({len(requests)} requests)"))
    return lines


def _trust_policy(service: str, account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}, separators=(",", ":"))


# -- names, source control ---------------------------------------------------------------------------------------
def check_names(ctx: Context) -> list[Finding]:
    name = ctx.options.project_name
    names = doctor_names.derived_names(ctx.templates[PROJECT_TEMPLATE], name)
    problems = [p for p in map(doctor_names.rule_problem, names) if p]
    lines = [Finding("problem", "project names", "; ".join(problems), fix=_name_fix(names, name)) if problems else
             Finding("ok", "project names", f"{len(names)} derived names within their APIs' limits (project id "
                     f"taken as {len(doctor_names.SAMPLE_PROJECT_ID)} characters; the bucket and role names are "
                     "generated by CloudFormation)")]
    taken = names_in_use(ctx, name)
    lines.append(Finding("problem", "names in use", f"{', '.join(label for label, _ in taken)} already exist: the "
                         "project's creation or deploy would fail or take them over", fix="choose another "
                         "--project-name, or delete them: " + " && ".join(command for _, command in taken))
                 if taken else Finding("ok", "names in use", f"no project, endpoint or stack named for {name!r}"))
    return lines


def _name_fix(names: list, project_name: str) -> str:
    """The longest project name every derived name fits (a pattern break has no length fix)."""
    slack = []
    for derived in names:
        high = doctor_names.member_rule(derived.service, derived.operation, derived.member)[1]
        if high is not None:
            slack.append(high - len(derived.name))
    return f"choose a project name of at most {len(project_name) + min(slack)} characters"


def names_in_use(ctx: Context, name: str) -> list[tuple[str, str]]:
    """The names without the project id that must be free (the project, its stage endpoints and stacks): each
    one taken, with the command that deletes it."""
    from botocore.exceptions import ClientError
    from deploy import stage_names

    taken = []
    probes = [("sagemaker#projects", "describe_project", {"ProjectName": name}, f"project {name}",
               f"aws sagemaker delete-project --project-name {name}")]
    for stage in stage_names.STAGES:
        endpoint, stack = stage_names.endpoint_name(name, stage), stage_names.stack_name(name, stage)
        probes += [("sagemaker", "describe_endpoint", {"EndpointName": endpoint}, f"endpoint {endpoint}",
                    f"aws sagemaker delete-endpoint --endpoint-name {endpoint}"),
                   ("cloudformation", "describe_stacks", {"StackName": stack}, f"stack {stack}",
                    f"aws cloudformation delete-stack --stack-name {stack}")]
    for client, operation, params, label, command in probes:
        try:
            getattr(ctx.clients.client(client), operation)(**params)
            taken.append((label, command))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("ValidationException", "ValidationError",
                                                                   "ResourceNotFound"):
                raise
    return taken


def check_codecommit(ctx: Context) -> list[Finding]:
    repositories = ctx.clients.client("codecommit").list_repositories()["repositories"]
    if repositories:
        return [Finding("ok", "CodeCommit", f"{len(repositories)} repository(ies) in this account and region: "
                        "the service is open to it")]
    return [Finding("unknown", "CodeCommit", f"no repository here: {CODECOMMIT_NOTE}; pass --connection-arn to use "
                    "GitHub/GitLab/Bitbucket through CodeConnections instead")]


def check_connection(ctx: Context) -> list[Finding]:
    arn = ctx.options.connection_arn
    status = ctx.clients.client("codeconnections").get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"]
    if status == "AVAILABLE":
        return [Finding("ok", "CodeConnections", f"{arn}: AVAILABLE")]
    return [Finding("problem", "CodeConnections", f"{arn}: {status}: pipelines cannot read the repositories",
                    fix="complete the connection's handshake: console, Developer Tools > Settings > Connections > "
                        "Update pending connection")]


# -- capacity ------------------------------------------------------------------------------------------------------
def check_project_capacity(ctx: Context) -> list[Finding]:
    per = doctor_capacity.per_project(ctx.templates[PROJECT_TEMPLATE])
    quotas_client = ctx.clients.client("service-quotas")
    room, parts = None, []
    for quota in doctor_capacity.PROJECT_QUOTAS:
        if not per[quota.what]:
            continue
        limit, source, code = _quota_limit(ctx, quotas_client, quota)
        used = doctor_capacity.usage(ctx.clients, quota.usage)
        fits = max(0, (limit - used) // per[quota.what])
        parts.append(f"{quota.what}: {used}/{limit} ({source}), {per[quota.what]} per project, room for {fits}")
        if room is None or fits < room[0]:
            room = (fits, quota, used + per[quota.what], code)
    fits, quota, wanted, code = room
    detail = f"room for {fits} more project(s), bound by {quota.what}; " + "; ".join(parts)
    if fits >= 1:
        return [Finding("ok", "project capacity", detail)]
    fix = (f"aws service-quotas request-service-quota-increase --service-code {quota.service_code} --quota-code "
           f"{code} --desired-value {wanted}" if code else f"request a higher {quota.what} quota (Service Quotas "
           f"console, service {quota.service_code}) or delete unused projects")
    return [Finding("problem", "project capacity", detail, fix=fix)]


def _quota_limit(ctx: Context, client, quota) -> tuple[int, str, str | None]:
    """The quota's value, where it came from, and its Service Quotas code (None: not from Service Quotas)."""
    if quota.usage.startswith("iam:"):
        summary = ctx.iam.get_account_summary()["SummaryMap"]
        return summary[f"{quota.usage.split(':')[1]}Quota"], "IAM account summary", None
    found = doctor_capacity.quota_value(doctor_capacity.service_quotas(client, quota.service_code), quota.quota_name)
    if found:
        return int(found["Value"]), "Service Quotas", found["QuotaCode"]
    return quota.default, "documented default", None


def check_instance_capacity(ctx: Context) -> list[Finding]:
    client = ctx.clients.client("service-quotas")
    quotas = doctor_capacity.service_quotas(client, "sagemaker")
    sagemaker = ctx.clients.client("sagemaker")
    wanted = [("endpoint", kind, count, doctor_capacity.endpoint_usage(sagemaker)[kind])
              for kind, count in doctor_capacity.endpoint_needs().items()]
    for job, (kind, count) in doctor_capacity.job_needs().items():
        wanted.append((job, kind, count, doctor_capacity.job_usage(sagemaker, job)[kind]))
    lines = []
    for usage_kind, kind, count, used in wanted:
        check = f"{usage_kind} capacity {kind}"
        quota = doctor_capacity.quota_value(quotas, rf"^{kind.replace('.', '[.]')} for {usage_kind} usage$")
        if quota is None:
            lines.append(Finding("unknown", check, f"Service Quotas reports no '{kind} for {usage_kind} usage' quota "
                                 "here (new accounts often start at 0 for GPU types: check the console)"))
        elif used + count > quota["Value"]:
            lines.append(Finding("problem", check, f"needs {count}, {used} in use, quota {int(quota['Value'])}",
                                 fix=f"aws service-quotas request-service-quota-increase --service-code sagemaker "
                                     f"--quota-code {quota['QuotaCode']} --desired-value {used + count}"))
        else:
            lines.append(Finding("ok", check, f"needs {count}, {used} in use, quota {int(quota['Value'])}"))
    return lines


def check_network(ctx: Context) -> list[Finding]:
    findings = vpc_preflight.preflight(ctx.clients.client("ec2"), ctx.options.subnet_ids,
                                       ctx.options.security_group_ids, custom_images=ctx.options.custom_images)
    return [Finding(f.status, f"network {f.check}", f.detail, f.fix) for f in findings]


# -- running -------------------------------------------------------------------------------------------------------
def checks(options: Options) -> list[tuple[str, Callable[[Context], list[Finding]]]]:
    """The checks that apply to these options, in the order they print."""
    chosen = [("publish permissions", check_publisher), ("template bucket", check_template_bucket)]
    if options.s3_template:
        chosen += [("template tag", check_template_tag), ("CORS rule", check_cors), ("domain tag", check_domain_tag)]
    else:
        chosen += [("portfolio", check_portfolio)]
    chosen += [("projects enabled", check_projects_enabled), ("launch role", check_launch_role)]
    if options.studio_role_arns or options.studio_domain_id:
        chosen.append(("studio roles", check_studio_roles))
    if options.project_name:
        chosen.append(("project names", check_names))
    chosen.append(("CodeConnections", check_connection) if options.connection_arn else ("CodeCommit", check_codecommit))
    chosen += [("project capacity", check_project_capacity), ("instance capacity", check_instance_capacity)]
    if options.subnet_ids:
        chosen.append(("network", check_network))
    return chosen


def run_checks(options: Options, clients: Clients, templates: dict[str, dict]) -> list[Finding]:
    """Every check; a call AWS refuses or fails turns that check into `unknown`, never a crash."""
    from botocore.exceptions import BotoCoreError, ClientError

    validate(options)
    caller = clients.client("sts").get_caller_identity()["Arn"]
    account, partition = caller.split(":")[4], caller.split(":")[1]
    region = clients.client("sts").meta.region_name
    place = Place(account, partition, region, options.asset_bucket or BOOTSTRAP_BUCKET.format(
        account=account, region=region), f"sagemaker-project/{options.version}/", options.s3_template,
        options.studio_domain_id)
    ctx = Context(options, clients, place, templates)
    findings = []
    for name, check in checks(options):
        try:
            findings += check(ctx)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            reason = "this identity may not read it" if code in DENIED else error.response["Error"].get("Message", "")
            findings.append(Finding("unknown", name, f"{error.operation_name}: {code}: {reason}"))
        except BotoCoreError as error:
            findings.append(Finding("unknown", name, str(error)))
    return findings


def validate(options: Options) -> None:
    problems = [format_problem("--studio-role-arn", arn, "role arn") for arn in options.studio_role_arns]
    if options.project_name is not None:
        problems.append(format_problem("--project-name", options.project_name, "project name"))
    if options.asset_bucket is not None:
        problems.append(format_problem("--asset-bucket", options.asset_bucket, "bucket"))
    if bool(options.subnet_ids) != bool(options.security_group_ids):
        problems.append("--subnet-ids/--security-group-ids: give both or neither")
    if options.studio_domain_id is not None and not re.fullmatch(pattern := domain_id_pattern(),
                                                                 options.studio_domain_id):
        problems.append(f"--studio-domain-id: {options.studio_domain_id!r}: must match {pattern} (SageMaker DomainId)")
    if any(problems):
        raise DoctorInputError("; ".join(filter(None, problems)))


def synthesized_templates() -> dict[str, dict]:
    """The templates publish would publish (build/templates after `make synth`, else synthesized now)."""
    from cdk_apps import TEMPLATES_DIR, synthesize

    return {name: json.loads(path.read_text()) for name, path in synthesize(
        TEMPLATES_DIR, progress=lambda _line: None).templates.items()}


def main(argv: list[str] | None = None, *, clients: Clients | None = None, templates: dict | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studio-role-arn", action="append", default=[], dest="studio_role_arns",
                        help="Studio execution role to check (repeat for several)")
    parser.add_argument("--project-name", help="check the names a project of this name gets")
    parser.add_argument("--s3-template", action="store_true", help="the S3-based template path (default: Service "
                                                                   "Catalog)")
    parser.add_argument("--studio-domain-id", help="the Studio domain: the S3 path's domain tag, and without "
                                                   "--studio-role-arn every user profile's execution role")
    parser.add_argument("--asset-bucket", help="publish's bucket (default: the CDK bootstrap bucket)")
    parser.add_argument("--version", default="1.0.0", help="the published version to check (default: 1.0.0)")
    parser.add_argument("--connection-arn", help="the CodeConnections connection projects will use")
    parser.add_argument("--subnet-ids", type=vpc_preflight.ids, default=[], help="comma-separated: run the VPC "
                                                                                 "preflight")
    parser.add_argument("--security-group-ids", type=vpc_preflight.ids, default=[], help="comma-separated")
    parser.add_argument("--custom-images", action="store_true", help="projects use their own ECR images")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    options = Options(**{k: v for k, v in vars(args).items() if k != "debug"})

    def action() -> int:
        validate(options)
        return vpc_preflight.report(run_checks(options, clients or Clients(), templates or synthesized_templates()))
    return run_command(action, args.debug)


if __name__ == "__main__":
    sys.exit(main())
