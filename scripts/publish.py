"""Publish the project template: synth, lint, zip the seeds, build the toolkit's wheel (mlops-guardrails, which
the seeds pin), upload them, and deploy the Service Catalog portfolio or (--s3-template) make it an S3-based
project template with its launch role."""
import argparse
import contextlib
import ipaddress
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import published_versions
import s3_template
from cdk_apps import ROOT, TEMPLATES_DIR, Synthesis, synthesize
from lint import cfn_lint
from script_errors import ScriptError, ScriptInputError, run_command
from seed_zips import zip_seeds
from toolkit_wheel import VERSION as TOOLKIT_VERSION
from toolkit_wheel import build_wheel

PROJECT_TEMPLATE = "sagemaker-project"
TARGET_TEMPLATE = "sagemaker-project-target-account"
PORTFOLIO_STACK = "sagemaker-project-portfolio"
LAUNCH_ROLE_STACK = "sagemaker-project-launch-role"  # service-catalog/projects_launch_role.py (not imported: CDK is slow to load)
# Both stacks' parameter and condition (template/components/boundary.py: account_boundary_policy).
BOUNDARY_PARAMETER, BOUNDARY_CONDITION = "CreateRoleBoundary", "CreatesRoleBoundary"
# The condition also creates the Studio users' guardrails (template/components/guardrails.py); the boundary is
# told apart by its name.
BOUNDARY_NAME, GUARDRAILS_NAME = "sagemaker-project-role-boundary", "sagemaker-project-user-guardrails"
BOOTSTRAP_BUCKET = "cdk-hnb659fds-assets-{account}-{region}"
VISIBILITY_TAGGING = f"{s3_template.VISIBILITY_TAG['Key']}={s3_template.VISIBILITY_TAG['Value']}"
WAIT_SECONDS, WAIT_ATTEMPTS = 10, 90  # at most 15 minutes for the portfolio stack
EXAMPLES = """examples:
  scripts/publish.py --dry-run
  scripts/publish.py --version 1.2.0 --studio-role-arn arn:aws:iam::123456789012:role/service-role/StudioRole
  AWS_ENDPOINT_URL=http://127.0.0.1:5000 scripts/publish.py --version 1.2.0   # the emulator: what moto supports
  scripts/publish.py --s3-template --version 1.2.0 --dry-run
  scripts/publish.py --s3-template --version 1.2.0 --studio-domain-id d-abcdef123456
  scripts/publish.py --list --asset-bucket BUCKET   # every published version (versions are added, never replaced)
exit codes: 0 published; 1 an AWS error (credentials, permissions, bootstrap); 2 invalid input or lint errors.
"""


class PublishError(ScriptError):
    """The publish ran and AWS refused or lacked something: exit code 1."""


class PublishInputError(PublishError, ScriptInputError):
    """Invalid input, or templates that fail lint: exit code 2. Raised before anything is uploaded."""


@dataclass
class Options:
    """What to publish and where."""

    version: str = TOOLKIT_VERSION  # the product version; the toolkit's by default, so the two names agree
    asset_bucket: str | None = None
    studio_role_arns: list[str] = field(default_factory=list)
    stack_name: str = PORTFOLIO_STACK
    dry_run: bool = False
    s3_template: bool = False
    studio_domain_id: str | None = None
    region: str = field(default_factory=lambda: os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))

    @property
    def prefix(self) -> str:
        """Key prefix of this version's files: every version keeps its own template and seeds."""
        return f"sagemaker-project/{self.version}/"


def is_emulator(endpoint: str | None = None) -> bool:
    """True when AWS_ENDPOINT_URL points at a loopback address (the embedded moto server)."""
    host = urlparse(endpoint or os.environ.get("AWS_ENDPOINT_URL", "")).hostname
    if not host:
        return False
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The version names an S3 folder, sits in the template's URL and in the domain tag's value (TagValue's
# pattern): characters safe in all three, so "?" or "#" never cut the URL short.
VERSION_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
VERSION_RULE = "must be 1-100 letters, digits, '.', '_' or '-', a letter or digit first (an S3 folder, URL and tag value)"


def domain_id_pattern() -> str:
    """SageMaker's DomainId pattern, read from botocore's service model (the API's own rule)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker").shape_for("DomainId").metadata["pattern"]


def validate(options: Options) -> None:
    """Refuse bad input before anything is created; messages name the field, the value and the rule."""
    if options.studio_domain_id is not None:
        if not options.s3_template:
            raise PublishInputError(f"--studio-domain-id: {options.studio_domain_id!r}: only with --s3-template "
                                    "(the domain tag points Studio at S3-based templates)")
        if not re.fullmatch(pattern := domain_id_pattern(), options.studio_domain_id):
            raise PublishInputError(f"--studio-domain-id: {options.studio_domain_id!r}: must match "
                                    f"{pattern} (SageMaker DomainId, e.g. d-abcdef123456)")
    if not re.fullmatch(VERSION_PATTERN, options.version or ""):
        raise PublishInputError(f"--version: {options.version!r}: {VERSION_RULE}")
    problems = [format_problem("--studio-role-arn", arn, "role arn") for arn in options.studio_role_arns]
    if options.asset_bucket is not None:
        problems.append(format_problem("--asset-bucket", options.asset_bucket, "bucket"))
    problems.append(region_problem("AWS_DEFAULT_REGION", options.region))
    # CloudFormation User Guide, "Create a stack" (stack name): letters, digits and hyphens, a letter first, <= 128.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", options.stack_name):
        problems.append(f"--stack-name: {options.stack_name!r}: must be a CloudFormation stack name: up to 128 "
                        "letters, digits and hyphens, a letter first")
    if any(problems):
        raise PublishInputError("; ".join(filter(None, problems)))
    # The S3 path has no portfolio: who may create projects is the callers' IAM (iam:PassRole on the launch role).
    if not (options.dry_run or is_emulator() or options.s3_template) and not options.studio_role_arns:
        raise PublishInputError("--studio-role-arn: none given: at least one Studio execution role must see the "
                                "product; pass --studio-role-arn ARN (repeatable), e.g. make publish "
                                "ARGS=\"--studio-role-arn arn:aws:iam::111122223333:role/StudioExecutionRole\"")


def format_problem(field: str, value: str, kind: str) -> str | None:
    """AWS's format for a bucket name or a role ARN (the deploy seed's aws_formats: S3's naming rules, IAM's ARN)."""
    from mlops_guardrails import aws_formats  # script_errors puts the deploy seed on the import path

    return aws_formats.problem(field, value, kind)


def region_problem(field: str, region: str | None) -> str | None:
    """A region name must fit one of AWS's partitions: the regionRegex of botocore's endpoint data (AWS's own)."""
    import botocore.loaders

    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    if region and any(re.fullmatch(p["regionRegex"].strip("^$"), region) for p in partitions):
        return None
    return f"{field}: {region!r}: must be an AWS region name such as us-east-1 (AWS's partition patterns)"


@contextlib.contextmanager
def aws_errors(description: str) -> Iterator[None]:
    """Turn missing credentials, denied permissions and other AWS errors into PublishError naming the call."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError as error:
        raise PublishError(f"{description}: no AWS credentials found: configure a profile (aws configure, "
                           "AWS_PROFILE) or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY") from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"):
            raise PublishError(f"{description}: permission denied ({code}): {message}: grant the publishing "
                               "identity this action") from error
        raise PublishError(f"{description}: {code}: {message}") from error
    except BotoCoreError as error:
        raise PublishError(f"{description}: {error}") from error


def resolve_bucket(options: Options, progress) -> str:
    """The asset bucket: --asset-bucket, else the CDK bootstrap bucket of this account and region."""
    if options.asset_bucket:
        return options.asset_bucket
    if options.dry_run:
        return BOOTSTRAP_BUCKET.format(account="account", region=options.region)
    import boto3

    with aws_errors("sts:GetCallerIdentity"):
        account = boto3.client("sts").get_caller_identity()["Account"]
    bucket = BOOTSTRAP_BUCKET.format(account=account, region=options.region)
    progress(f"==> asset bucket: {bucket} (the CDK bootstrap bucket; --asset-bucket picks another)")
    return bucket


def lint(synthesis: Synthesis, region: str, progress) -> None:
    """cfn-lint errors or cdk-nag violations stop the publish before any upload."""
    progress("==> linting the templates (cfn-lint, cdk-nag)")
    errors = [str(f) for name, path in synthesis.templates.items()
              for f in cfn_lint(path.read_text(), name, region) if f.is_error]
    errors += [f"cdk-nag {v['rule']} at {', '.join(v['paths'])}" for v in synthesis.nag_violations]
    if errors:
        raise PublishInputError("lint: " + "; ".join(errors) + ": fix these before publishing (scripts/lint.py)")


def plan(options: Options, bucket: str, synthesis: Synthesis, seeds: dict[str, Path]) -> list[str]:
    """What the publish creates, one line each (printed by --dry-run)."""
    lines = [f"upload s3://{bucket}/{options.prefix}{path.name}" for path in seeds.values()]
    lines.append(f"upload s3://{bucket}/{options.prefix}{PROJECT_TEMPLATE}.json")
    lines.append(f"upload s3://{bucket}/{options.prefix}{TARGET_TEMPLATE}.json")
    if options.s3_template:
        location = s3_template.templates_location(bucket, options.prefix)
        lines.append(f"upload s3://{bucket}/{options.prefix}{s3_template.YAML_KEY} (tag {VISIBILITY_TAGGING})")
        lines.append(f"set the CORS rule {s3_template.STUDIO_CORS_RULE['ID']} on bucket {bucket}")
        lines.append(f"create or reuse CloudFormation stack {LAUNCH_ROLE_STACK} (the launch role, and the project "
                     "role boundary unless the account has it)")
        lines.append(f"tag domain {options.studio_domain_id} {s3_template.DOMAIN_TAG_KEY}={location}"
                     if options.studio_domain_id else
                     f"print the command that tags the domain with {s3_template.DOMAIN_TAG_KEY}={location}")
        return lines
    lines.append(f"deploy CloudFormation stack {options.stack_name}: portfolio, product version {options.version}, "
                 f"launch role and constraint, {len(options.studio_role_arns)} Studio principal(s), the project role "
                 "boundary unless the account has it")
    return lines


def ensure_bucket(s3, bucket: str, progress) -> None:
    """The asset bucket must exist: in AWS `cdk bootstrap` makes it; the emulator starts empty, so create it."""
    from botocore.exceptions import ClientError

    with aws_errors(f"s3:HeadBucket {bucket}"):
        try:
            s3.head_bucket(Bucket=bucket)
            return
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
    if not is_emulator():
        raise PublishError(f"asset bucket {bucket}: does not exist: run `cdk bootstrap aws://ACCOUNT/REGION` "
                           "or pass --asset-bucket with an existing bucket")
    progress(f"    emulator: created bucket {bucket}")
    with aws_errors(f"s3:CreateBucket {bucket}"):
        s3.create_bucket(Bucket=bucket)


def upload(options: Options, bucket: str, synthesis: Synthesis, seeds: dict[str, Path], progress,
           template_yaml: str | None = None) -> str:
    """Upload the seeds and templates (and, on the S3 path, `template_yaml`: project_template_yaml's checked text);
    returns the project template's key."""
    import boto3

    s3 = boto3.client("s3")
    ensure_bucket(s3, bucket, progress)
    # Seeds first, templates after: a template is never visible before the seeds it points at. The Service
    # Catalog path tags the product (portfolio_stack); only the S3 path's YAML object carries the visibility tag.
    files = [(path.name, path.read_bytes(), None) for path in seeds.values()]
    files += [(path.name, path.read_bytes(), None) for path in (synthesis.templates[PROJECT_TEMPLATE],
                                                                  synthesis.templates[TARGET_TEMPLATE])]
    if options.s3_template:
        files.append((s3_template.YAML_KEY, template_yaml.encode(), VISIBILITY_TAGGING))
    for name, body, tagging in files:
        key = f"{options.prefix}{name}"
        extra = {"Tagging": tagging} if tagging else {}
        with aws_errors(f"s3:PutObject s3://{bucket}/{key}"):
            s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
        progress(f"    uploaded s3://{bucket}/{key}" + (f" (tag {tagging})" if tagging else ""))
    return f"{options.prefix}{PROJECT_TEMPLATE}.json"


def project_template_yaml(synthesis: Synthesis) -> str:
    """The project template as YAML, refused unless it parses to exactly the synthesized JSON template."""
    json_text = synthesis.templates[PROJECT_TEMPLATE].read_text()
    text = s3_template.template_yaml(json.loads(json_text))
    if not s3_template.same_template(json_text, text):
        raise PublishError(f"{s3_template.YAML_KEY}: does not parse to the synthesized {PROJECT_TEMPLATE}.json: "
                           "report this as a bug")
    return text


def deploy_portfolio_emulated(options: Options, progress) -> str:
    """moto has Service Catalog portfolios but not products, constraints or principals: do what it has."""
    import boto3

    with aws_errors("servicecatalog:CreatePortfolio"):
        portfolio = boto3.client("servicecatalog").create_portfolio(
            DisplayName="SageMaker MLOps project templates", ProviderName="MLOps platform",
            IdempotencyToken=f"publish-{options.version}")["PortfolioDetail"]["Id"]
    progress(f"    emulator: created portfolio {portfolio}")
    progress("    emulator: skipped the product, its provisioning artifact, the launch role and constraint and the "
             "Studio principal associations, and the portfolio CloudFormation stack: moto does not support them")
    return portfolio


def deploy_portfolio(options: Options, bucket: str, template_key: str, synthesis: Synthesis, progress) -> str:
    """Create or update the portfolio stack with boto3 and wait for it; returns the stack's final status."""
    first = first_product_version(options.stack_name)  # the stack keeps its first artifact; later ones are added
    parameters = {"TemplateBucket": bucket, "TemplateKey": first[1] if first else template_key,
                  "ProductVersion": first[0] if first else options.version,
                  "StudioExecutionRoleArns": ",".join(options.studio_role_arns),
                  **boundary_parameter(options.stack_name, synthesis, progress)}
    return deploy_stack(options.stack_name, synthesis.templates[PORTFOLIO_STACK].read_text(), parameters, progress)


def add_product_version(options: Options, bucket: str, template_key: str, progress) -> str:
    """This version as a provisioning artifact of the portfolio stack's product (kept beside the earlier ones)."""
    import boto3

    product = stack_output(options.stack_name, "ProductId")
    url = s3_template.template_url(bucket, template_key, options.region)
    with aws_errors(f"servicecatalog:CreateProvisioningArtifact {product}"):
        artifact, created = published_versions.add_product_version(boto3.client("servicecatalog"), product,
                                                                   options.version, url)
    progress(f"    product {product}: version {options.version} is artifact {artifact} "
             f"({'added' if created else 'already published'})")
    return artifact


def first_product_version(stack: str) -> tuple[str, str] | None:
    """(ProductVersion, TemplateKey) the portfolio stack was created with, or None before it exists."""
    import boto3

    cfn = boto3.client("cloudformation")
    with aws_errors(f"cloudformation:DescribeStacks {stack}"):
        if not _stack_exists(cfn, stack):
            return None
        values = {p["ParameterKey"]: p["ParameterValue"]
                  for p in cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Parameters", [])}
    return (values["ProductVersion"], values["TemplateKey"]) if "ProductVersion" in values else None


def list_published(options: Options, progress=print) -> list[str]:
    """Print every published version: the S3 prefixes and the product's provisioning artifacts."""
    import boto3

    bucket = resolve_bucket(options, progress)
    with aws_errors(f"s3:ListObjectsV2 s3://{bucket}/{published_versions.VERSIONS_ROOT}"):
        s3_rows = published_versions.s3_versions(boto3.client("s3"), bucket)
    product_rows = []
    if not is_emulator():  # the emulator has no product (deploy_portfolio_emulated)
        with aws_errors(f"servicecatalog:ListProvisioningArtifacts (stack {options.stack_name})"):
            if _stack_exists(boto3.client("cloudformation"), options.stack_name):
                product = stack_output(options.stack_name, "ProductId")
                product_rows = published_versions.product_versions(boto3.client("servicecatalog"), product)
    lines = published_versions.listing(s3_rows, product_rows)
    for line in lines:
        progress(line)
    return lines


def deploy_stack(name: str, body: str, parameters: dict[str, str], progress, cfn=None) -> str:
    """Create the stack, or update it when it exists (reused as is when nothing changed), and wait for it."""
    import boto3
    from botocore.exceptions import WaiterError

    cfn = cfn or boto3.client("cloudformation")
    request = {"StackName": name, "TemplateBody": body, "Capabilities": ["CAPABILITY_IAM"],
               "Parameters": [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()]}
    with aws_errors(f"cloudformation:DescribeStacks {name}"):
        exists = _stack_exists(cfn, name)
    if exists and _failed_creation(cfn, name, progress):
        exists = False
    progress(f"==> {'updating' if exists else 'creating'} stack {name}")
    with aws_errors(f"cloudformation:{'UpdateStack' if exists else 'CreateStack'} {name}"):
        if exists and not _update_stack(cfn, request):
            return "no changes"
        if not exists:
            cfn.create_stack(**request)
    waiter = cfn.get_waiter("stack_update_complete" if exists else "stack_create_complete")
    try:
        with aws_errors(f"cloudformation:DescribeStacks {name}"):
            waiter.wait(StackName=name, WaiterConfig={"Delay": WAIT_SECONDS, "MaxAttempts": WAIT_ATTEMPTS})
    except WaiterError as error:
        raise PublishError(f"stack {name}: {error}: see its events in the CloudFormation console")
    return "UPDATE_COMPLETE" if exists else "CREATE_COMPLETE"


def stack_output(name: str, key: str) -> str:
    import boto3

    with aws_errors(f"cloudformation:DescribeStacks {name}"):
        outputs = boto3.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])
    return next(o["OutputValue"] for o in outputs if o["OutputKey"] == key)


def publish_s3_template(options: Options, bucket: str, synthesis: Synthesis, progress, sagemaker=None) -> str:
    """After the upload: Studio's CORS rule, the launch role, then the domain tag (last: Studio lists the
    template only once everything it needs is in place). Every step is idempotent, so a rerun finishes an
    interrupted publish. Returns the launch role's ARN."""
    import boto3

    with aws_errors(f"s3:PutBucketCors {bucket}"):
        changed = s3_template.ensure_cors(boto3.client("s3"), bucket)
    progress(f"    CORS rule {s3_template.STUDIO_CORS_RULE['ID']} on {bucket}: {'set' if changed else 'already set'}")
    account, partition = caller_account()
    status = deploy_stack(LAUNCH_ROLE_STACK, synthesis.templates[LAUNCH_ROLE_STACK].read_text(),
                          {"TemplateBucket": bucket, **boundary_parameter(LAUNCH_ROLE_STACK, synthesis, progress)},
                          progress)
    role_arn = stack_output(LAUNCH_ROLE_STACK, "LaunchRoleArn")
    progress(f"    launch role: {role_arn} ({status})")
    location = s3_template.templates_location(bucket, options.prefix)
    domain = s3_template.domain_arn(options.studio_domain_id or "<your-domain-id>", options.region,
                                    account, partition=partition)
    if options.studio_domain_id:
        with aws_errors(f"sagemaker:AddTags {domain}"):
            s3_template.tag_domain(sagemaker or boto3.client("sagemaker"), domain, location)
        progress(f"    tagged {domain}: {s3_template.DOMAIN_TAG_KEY}={location}")
    else:
        progress("==> next: tag your Studio domain so that Studio lists the template (or rerun with "
                 "--studio-domain-id):")
        progress(f"    {s3_template.domain_tag_command(domain, location)}")
    url = s3_template.template_url(bucket, options.prefix + s3_template.YAML_KEY, options.region)
    progress(f"==> create a project in Studio (Projects > Organization templates > S3 Templates) with Role ARN "
             f"{role_arn}, or: scripts/create_project.py NAME --template-url {url} --role-arn {role_arn}")
    return role_arn


def guardrails_instructions(account: str, partition: str) -> list[str]:
    """How to attach the Studio users' guardrails (README: Security, precondition): once per Studio execution role."""
    arn = f"arn:{partition}:iam::{account}:policy/{GUARDRAILS_NAME}"
    return ["==> next: attach the Studio users' guardrails to every Studio execution role that uses projects, and tag "
            "the role with the project its users work on (README: Security):",
            f"    aws iam attach-role-policy --role-name <StudioExecutionRoleName> --policy-arn {arn}",
            "    aws iam tag-role --role-name <StudioExecutionRoleName> --tags Key=sagemaker:project-id,Value=<project-id>"]


def caller_account() -> tuple[str, str]:
    """The publishing identity's account and partition."""
    import boto3

    with aws_errors("sts:GetCallerIdentity"):
        arn = boto3.client("sts").get_caller_identity()["Arn"]
    return arn.split(":")[4], arn.split(":")[1]


def boundary_arn(template: dict, account: str, partition: str) -> str:
    """ARN of the role boundary `template` can create (its conditional ManagedPolicy's fixed name and path)."""
    policy = next(resource["Properties"] for resource in template["Resources"].values()
                  if resource["Type"] == "AWS::IAM::ManagedPolicy" and resource.get("Condition") == BOUNDARY_CONDITION
                  and resource["Properties"]["ManagedPolicyName"] == BOUNDARY_NAME)
    return f"arn:{partition}:iam::{account}:policy{policy.get('Path', '/')}{policy['ManagedPolicyName']}"


def boundary_parameter(stack: str, synthesis: Synthesis, progress) -> dict[str, str]:
    """The stack's CreateRoleBoundary parameter for this account (creates_boundary)."""
    arn = boundary_arn(synthesis.template(stack), *caller_account())
    creates = creates_boundary(stack, arn)
    progress(f"    role boundary {arn}: " + (f"created or kept by stack {stack}" if creates else
                                              "exists (another stack made it): reused"))
    return {BOUNDARY_PARAMETER: "true" if creates else "false"}


def creates_boundary(stack: str, arn: str) -> bool:
    """Whether `stack` creates the role boundary (its CreateRoleBoundary parameter). The boundary has a fixed name,
    so one stack per account owns it: the stack that already does keeps it (false would make CloudFormation
    delete it), and a boundary that another stack made (the portfolio stack, or an older launch-role stack
    under another name) is reused, never created twice ("already exists")."""
    import boto3
    from botocore.exceptions import ClientError

    cfn = boto3.client("cloudformation")
    with aws_errors(f"cloudformation:ListStackResources {stack}"):
        if _stack_exists(cfn, stack):
            pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
            if any(r.get("PhysicalResourceId") == arn and not r["ResourceStatus"].startswith("DELETE")
                   for page in pages for r in page["StackResourceSummaries"]):
                return True
    with aws_errors(f"iam:GetPolicy {arn}"):
        try:
            boto3.client("iam").get_policy(PolicyArn=arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return True
            raise
    return False


def _stack_exists(cfn, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        return bool(cfn.describe_stacks(StackName=name)["Stacks"])
    except ClientError as error:
        if "does not exist" in str(error):
            return False
        raise


def _failed_creation(cfn, name: str, progress) -> bool:
    """A stack whose creation failed and rolled back (ROLLBACK_COMPLETE) holds nothing and cannot be updated
    (CloudFormation User Guide, "Stack status codes"): delete it so that a rerun creates it again."""
    with aws_errors(f"cloudformation:DescribeStacks {name}"):
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    if status != "ROLLBACK_COMPLETE":
        return False
    progress(f"    {name}: ROLLBACK_COMPLETE (an earlier creation failed; it holds nothing): deleting it first")
    with aws_errors(f"cloudformation:DeleteStack {name}"):
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(
            StackName=name, WaiterConfig={"Delay": WAIT_SECONDS, "MaxAttempts": WAIT_ATTEMPTS})
    return True


def _update_stack(cfn, request: dict) -> bool:
    """Update the stack; False when CloudFormation says there is nothing to update."""
    from botocore.exceptions import ClientError

    try:
        cfn.update_stack(**request)
    except ClientError as error:
        if "No updates are to be performed" in str(error):
            return False
        raise
    return True


def publish(options: Options, *, synthesis: Synthesis | None = None, progress=print, sagemaker=None) -> list[str]:
    """Synth, lint, zip, upload, deploy (or, with dry_run, print the plan); returns the plan's lines."""
    validate(options)
    bucket = resolve_bucket(options, progress)
    synthesis = synthesis or synthesize(TEMPLATES_DIR, seed_bucket=bucket, seed_prefix=options.prefix,
                                        progress=progress)
    lint(synthesis, options.region, progress)
    template_yaml = None
    if options.s3_template:  # made and checked once, before anything is uploaded (about 0.3 s of pure-Python YAML)
        progress(f"==> writing {s3_template.YAML_KEY} (checked to parse to the same template as the JSON)")
        template_yaml = project_template_yaml(synthesis)
    progress("==> zipping the seeds, building the toolkit's wheel")
    # The wheel travels with the seeds: the template's ToolkitWheelKey names it under the same prefix.
    seeds = {**zip_seeds(ROOT / "build" / "publish", version=options.version),
             "toolkit": build_wheel(ROOT / "build" / "publish")}
    lines = plan(options, bucket, synthesis, seeds)
    if options.dry_run:
        progress("==> dry run: would")
        for line in lines:
            progress(f"    {line}")
        return lines
    progress(f"==> uploading to s3://{bucket}/{options.prefix}" + (" (emulator)" if is_emulator() else ""))
    template_key = upload(options, bucket, synthesis, seeds, progress, template_yaml)
    if options.s3_template:
        publish_s3_template(options, bucket, synthesis, progress, sagemaker=sagemaker)
    elif is_emulator():
        deploy_portfolio_emulated(options, progress)
    else:
        status = deploy_portfolio(options, bucket, template_key, synthesis, progress)
        progress(f"    {options.stack_name}: {status}")
        add_product_version(options, bucket, template_key, progress)
    for line in guardrails_instructions(*caller_account()):
        progress(line)
    progress(f"==> published version {options.version}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default=TOOLKIT_VERSION,
                        help=f"product version name (default: the toolkit's, {TOOLKIT_VERSION})")
    parser.add_argument("--asset-bucket", help="bucket for templates and seeds (default: the CDK bootstrap bucket)")
    parser.add_argument("--studio-role-arn", action="append", default=[], dest="studio_role_arns",
                        help="Studio execution role that sees the product (repeat for several)")
    parser.add_argument("--stack-name", default=PORTFOLIO_STACK, help=f"portfolio stack (default: {PORTFOLIO_STACK})")
    parser.add_argument("--dry-run", action="store_true", help="print what would be created; change nothing")
    parser.add_argument("--s3-template", action="store_true",
                        help="publish as an S3-based project template (YAML, CORS rule, launch role) instead of "
                             "the Service Catalog portfolio")
    parser.add_argument("--studio-domain-id", help="with --s3-template: tag this Studio domain (d-...); without it, "
                                                   "publish prints the command that does")
    parser.add_argument("--list", action="store_true", help="list the published versions; publish nothing")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    options = Options(version=args.version, asset_bucket=args.asset_bucket, studio_role_arns=args.studio_role_arns,
                      stack_name=args.stack_name, dry_run=args.dry_run, s3_template=args.s3_template,
                      studio_domain_id=args.studio_domain_id)

    def action() -> None:
        list_published(options) if args.list else publish(options)
    return run_command(action, args.debug)


if __name__ == "__main__":
    sys.exit(main())
