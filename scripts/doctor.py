"""make doctor: find what will break before the template is published or a project is created, read-only.

One line per check: `ok`, `problem` (with the exact fix: a command or the policy to add) or `unknown` (why it could
not tell). Only Describe/Get/List calls reach AWS; IAM is evaluated offline (iam_policy) over the policy documents
read from the account, so it works where iam:SimulatePrincipalPolicy is not allowed."""
import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import doctor_capacity
import vpc_preflight
from doctor_creation import (check_codecommit, check_connection, check_launch_role, check_names, check_studio_roles,
                             launch_role_arn)
from doctor_iam import Place
from doctor_publishing import (check_cors, check_domain_tag, check_portfolio, check_projects_enabled, check_publisher,
                               check_template_bucket, check_template_tag)
from publish import BOOTSTRAP_BUCKET, PROJECT_TEMPLATE, domain_id_pattern, format_problem
from script_errors import ScriptInputError, run_command
from vpc_preflight import Finding

EXAMPLES = """examples:
  scripts/doctor.py --studio-role-arn arn:aws:iam::111122223333:role/StudioExecutionRole --project-name churn
  scripts/doctor.py --s3-template --studio-domain-id d-abcdef123456 --studio-role-arn ARN --project-name churn
  scripts/doctor.py --s3-template --subnet-ids subnet-0a1,subnet-0b2 --security-group-ids sg-0c3
  make doctor ARGS="--studio-role-arn ARN --project-name churn"
exit codes: 0 no problem found (unknown lines may remain); 1 a problem (each with its fix); 2 invalid options.
"""
DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403")


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
