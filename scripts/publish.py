"""Publish the project template: synth, lint, zip the seeds, upload them, deploy the Service Catalog portfolio."""
import argparse
import contextlib
import ipaddress
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from cdk_apps import ROOT, TEMPLATES_DIR, Synthesis, synthesize
from lint import cfn_lint
from seed_zips import zip_seeds

PROJECT_TEMPLATE = "sagemaker-project"
TARGET_TEMPLATE = "sagemaker-project-target-account"
PORTFOLIO_STACK = "sagemaker-project-portfolio"
BOOTSTRAP_BUCKET = "cdk-hnb659fds-assets-{account}-{region}"
VISIBILITY_TAGGING = "sagemaker:studio-visibility=true"
WAIT_SECONDS, WAIT_ATTEMPTS = 10, 90  # at most 15 minutes for the portfolio stack
EXAMPLES = """examples:
  scripts/publish.py --dry-run
  scripts/publish.py --version 1.2.0 --studio-role-arn arn:aws:iam::123456789012:role/service-role/StudioRole
  AWS_ENDPOINT_URL=http://127.0.0.1:5000 scripts/publish.py --version 1.2.0   # the emulator: what moto supports
exit codes: 0 published; 1 an AWS error (credentials, permissions, bootstrap); 2 invalid input or lint errors.
"""


class PublishError(Exception):
    """The publish ran and AWS refused or lacked something: exit code 1."""

    exit_code = 1


class PublishInputError(PublishError):
    """Invalid input, or templates that fail lint: exit code 2. Raised before anything is uploaded."""

    exit_code = 2


@dataclass
class Options:
    """What to publish and where."""

    version: str = "1.0.0"
    asset_bucket: str | None = None
    studio_role_arns: list[str] = field(default_factory=list)
    stack_name: str = PORTFOLIO_STACK
    dry_run: bool = False
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


def validate(options: Options) -> None:
    """Refuse bad input before anything is created; messages name the field, the value and the rule."""
    if not options.version or any(ch in options.version for ch in " /\\"):
        raise PublishInputError(f"--version: {options.version!r}: must be non-empty without spaces or slashes")
    for arn in options.studio_role_arns:
        if not arn.startswith("arn:") or ":role/" not in arn:
            raise PublishInputError(f"--studio-role-arn: {arn!r}: must be an IAM role ARN (arn:...:role/...)")
    if not (options.dry_run or is_emulator()) and not options.studio_role_arns:
        raise PublishInputError("--studio-role-arn: none given: at least one Studio execution role must see the "
                                "product; pass --studio-role-arn ARN (repeatable), e.g. make publish "
                                "ARGS=\"--studio-role-arn arn:aws:iam::111122223333:role/StudioExecutionRole\"")


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
    lines.append(f"upload s3://{bucket}/{options.prefix}{PROJECT_TEMPLATE}.json (tag {VISIBILITY_TAGGING})")
    lines.append(f"upload s3://{bucket}/{options.prefix}{TARGET_TEMPLATE}.json")
    lines.append(f"deploy CloudFormation stack {options.stack_name}: portfolio, product version {options.version}, "
                 f"launch role and constraint, {len(options.studio_role_arns)} Studio principal(s)")
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


def upload(options: Options, bucket: str, synthesis: Synthesis, seeds: dict[str, Path], progress) -> str:
    """Upload the seeds and templates; returns the project template's key."""
    import boto3

    s3 = boto3.client("s3")
    ensure_bucket(s3, bucket, progress)
    files = [(path, None) for path in seeds.values()]
    files += [(synthesis.templates[PROJECT_TEMPLATE], VISIBILITY_TAGGING), (synthesis.templates[TARGET_TEMPLATE], None)]
    for path, tagging in files:
        key = f"{options.prefix}{path.name}"
        extra = {"Tagging": tagging} if tagging else {}
        with aws_errors(f"s3:PutObject s3://{bucket}/{key}"):
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **extra)
        progress(f"    uploaded s3://{bucket}/{key}")
    return f"{options.prefix}{PROJECT_TEMPLATE}.json"


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
    import boto3
    from botocore.exceptions import WaiterError

    cfn = boto3.client("cloudformation")
    parameters = [{"ParameterKey": key, "ParameterValue": value} for key, value in {
        "TemplateBucket": bucket, "TemplateKey": template_key, "ProductVersion": options.version,
        "StudioExecutionRoleArns": ",".join(options.studio_role_arns)}.items()]
    request = {"StackName": options.stack_name, "TemplateBody": synthesis.templates[PORTFOLIO_STACK].read_text(),
               "Parameters": parameters, "Capabilities": ["CAPABILITY_IAM"]}
    with aws_errors(f"cloudformation:DescribeStacks {options.stack_name}"):
        exists = _stack_exists(cfn, options.stack_name)
    progress(f"==> {'updating' if exists else 'creating'} stack {options.stack_name}")
    with aws_errors(f"cloudformation:{'UpdateStack' if exists else 'CreateStack'} {options.stack_name}"):
        if exists and not _update_stack(cfn, request):
            return "no changes"
        if not exists:
            cfn.create_stack(**request)
    waiter = cfn.get_waiter("stack_update_complete" if exists else "stack_create_complete")
    try:
        with aws_errors(f"cloudformation:DescribeStacks {options.stack_name}"):
            waiter.wait(StackName=options.stack_name,
                        WaiterConfig={"Delay": WAIT_SECONDS, "MaxAttempts": WAIT_ATTEMPTS})
    except WaiterError as error:
        raise PublishError(f"stack {options.stack_name}: {error}: see its events in the CloudFormation console")
    return "UPDATE_COMPLETE" if exists else "CREATE_COMPLETE"


def _stack_exists(cfn, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        return bool(cfn.describe_stacks(StackName=name)["Stacks"])
    except ClientError as error:
        if "does not exist" in str(error):
            return False
        raise


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


def publish(options: Options, *, synthesis: Synthesis | None = None, progress=print) -> list[str]:
    """Synth, lint, zip, upload, deploy (or, with dry_run, print the plan); returns the plan's lines."""
    validate(options)
    bucket = resolve_bucket(options, progress)
    synthesis = synthesis or synthesize(TEMPLATES_DIR, seed_bucket=bucket, seed_prefix=options.prefix,
                                        progress=progress)
    lint(synthesis, options.region, progress)
    progress("==> zipping the seeds")
    seeds = zip_seeds(ROOT / "build" / "publish")
    lines = plan(options, bucket, synthesis, seeds)
    if options.dry_run:
        progress("==> dry run: would")
        for line in lines:
            progress(f"    {line}")
        return lines
    progress(f"==> uploading to s3://{bucket}/{options.prefix}" + (" (emulator)" if is_emulator() else ""))
    template_key = upload(options, bucket, synthesis, seeds, progress)
    if is_emulator():
        deploy_portfolio_emulated(options, progress)
    else:
        status = deploy_portfolio(options, bucket, template_key, synthesis, progress)
        progress(f"    {options.stack_name}: {status}")
    progress(f"==> published version {options.version}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default="1.0.0", help="product version name (default: 1.0.0)")
    parser.add_argument("--asset-bucket", help="bucket for templates and seeds (default: the CDK bootstrap bucket)")
    parser.add_argument("--studio-role-arn", action="append", default=[], dest="studio_role_arns",
                        help="Studio execution role that sees the product (repeat for several)")
    parser.add_argument("--stack-name", default=PORTFOLIO_STACK, help=f"portfolio stack (default: {PORTFOLIO_STACK})")
    parser.add_argument("--dry-run", action="store_true", help="print what would be created; change nothing")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    options = Options(version=args.version, asset_bucket=args.asset_bucket, studio_role_arns=args.studio_role_arns,
                      stack_name=args.stack_name, dry_run=args.dry_run)
    try:
        publish(options)
    except PublishError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
