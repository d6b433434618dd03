"""The doctor's project-creation checks: the launch role (trust and permissions), each Studio execution role
(creating a project, the guardrails policy beside broad ones), the names a project gets, and source control."""
import json
import shlex
from typing import TYPE_CHECKING

import account_policies
import doctor_iam
import doctor_names
from doctor_publishing import _attach_fix, _portfolio, _publish_args
from iam_policy import trust_matches
from publish import LAUNCH_ROLE_STACK, PROJECT_TEMPLATE
from vpc_preflight import Finding

if TYPE_CHECKING:
    from doctor import Context

# CodeCommit: "As of July 25, 2024, ... existing customers can continue to use the service" (AWS DevOps blog,
# "How to migrate your AWS CodeCommit repository to another Git provider"): an account without repositories may
# be refused CreateRepository, which only creating one would prove.
CODECOMMIT_NOTE = ("CodeCommit is closed to accounts that did not use it before 2024-07-25; an account that "
                   "has no repository may be refused CreateRepository")


def launch_role_arn(ctx: "Context") -> str | None:
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


def studio_roles(ctx: "Context") -> list[str]:
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


def check_studio_roles(ctx: "Context") -> list[Finding]:
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


def guardrails_line(ctx: "Context", role_name: str) -> Finding:
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


def check_launch_role(ctx: "Context") -> list[Finding]:
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


def check_names(ctx: "Context") -> list[Finding]:
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


def names_in_use(ctx: "Context", name: str) -> list[tuple[str, str]]:
    """The names without the project id that must be free (the project, its stage endpoints and stacks): each
    one taken, with the command that deletes it."""
    from botocore.exceptions import ClientError
    from mlops_guardrails.deploy import stage_names

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


def check_codecommit(ctx: "Context") -> list[Finding]:
    repositories = ctx.clients.client("codecommit").list_repositories()["repositories"]
    if repositories:
        return [Finding("ok", "CodeCommit", f"{len(repositories)} repository(ies) in this account and region: "
                        "the service is open to it")]
    return [Finding("unknown", "CodeCommit", f"no repository here: {CODECOMMIT_NOTE}; pass --connection-arn to use "
                    "GitHub/GitLab/Bitbucket through CodeConnections instead")]


def check_connection(ctx: "Context") -> list[Finding]:
    arn = ctx.options.connection_arn
    status = ctx.clients.client("codeconnections").get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"]
    if status == "AVAILABLE":
        return [Finding("ok", "CodeConnections", f"{arn}: AVAILABLE")]
    return [Finding("problem", "CodeConnections", f"{arn}: {status}: pipelines cannot read the repositories",
                    fix="complete the connection's handshake: console, Developer Tools > Settings > Connections > "
                        "Update pending connection")]
