"""A correct set-up for `make doctor`, made as an admin would make it: an IAM admin user, `make publish --s3-template`
against the emulator, a Studio execution role with the project policies, and botocore Stubbers for what moto lacks
(the domain's tags, SageMaker's project portfolio status and projects, CodeCommit's listing, CodeConnections,
Service Quotas' list calls). Tests break one piece at a time."""
import itertools
import json
import shlex
from dataclasses import dataclass, field

import boto3
import botocore
import pytest
from botocore.stub import Stubber

import doctor
import doctor_publishing
import publish
import s3_template

ACCOUNT = "123456789012"
REGION = "us-east-1"
DOMAIN = "d-doctor000001"
PROJECT = "churn"
COUNTER = itertools.count()
SAGEMAKER_FULL = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
QUOTA_SERVICES = ("events", "codepipeline", "codebuild", "s3", "kms")
SAGEMAKER_QUOTAS = {"ml.m5.large for endpoint usage": 1000, "ml.m5.xlarge for processing job usage": 100,
                    "ml.m5.xlarge for training job usage": 100}


@dataclass
class Setup:
    """One published set-up; `state` holds what the stubbed services answer (tests change it)."""

    bucket: str
    version: str
    studio_role: str
    user: str
    state: dict = field(default_factory=dict)

    @property
    def options(self) -> list[str]:
        path = [] if "catalog" in self.state else ["--s3-template", "--studio-domain-id", DOMAIN]
        roles = [] if "profiles" in self.state else ["--studio-role-arn", self.studio_role]
        return path + roles + ["--asset-bucket", self.bucket, "--version", self.version, "--project-name",
                               self.state["project"]]

    @property
    def location(self) -> str:
        return s3_template.templates_location(self.bucket, f"sagemaker-project/{self.version}/")


def load_managed_policies(*names: str) -> None:
    """AWS's managed policies into the emulator's IAM (AWS has them; moto loads its copy only when told to by
    MOTO_IAM_LOAD_MANAGED_POLICIES before its IAM backend starts, which the session's other tests may have done)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[ACCOUNT]["global"]
    data = json.loads(aws_managed_policies_data)
    for name in names:
        policy = AWSManagedPolicy.from_data(name, ACCOUNT, backend.region_name, data[name])
        backend.managed_policies.setdefault(policy.arn, policy)


def create_admin(monkeypatch) -> str:
    """An IAM user with AdministratorAccess whose keys the test then uses: the doctor's caller."""
    iam = boto3.client("iam")
    user = f"doctor-admin-{next(COUNTER)}"
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    return user


def guardrails_policy_arn() -> str:
    """The user-guardrails policy (issue 20 creates its content; the doctor checks it by name)."""
    iam = boto3.client("iam")
    found = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]
             if p["PolicyName"] == "sagemaker-project-user-guardrails"]
    if found:
        return found[0]
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sagemaker:DeleteProject",
                                                        "Resource": "*"}]}
    return iam.create_policy(PolicyName="sagemaker-project-user-guardrails", Path="/sagemaker-project-users/",
                             PolicyDocument=json.dumps(document))["Policy"]["Arn"]


def studio_role(bucket: str, launch_role_arn: str) -> str:
    """A Studio execution role as AWS's S3-template setup asks for it: SageMaker's managed policy, the guardrails
    policy beside it, and reading the template and passing the launch role."""
    iam = boto3.client("iam")
    name = f"doctor-studio-{next(COUNTER)}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=SAGEMAKER_FULL)
    iam.attach_role_policy(RoleName=name, PolicyArn=guardrails_policy_arn())
    iam.put_role_policy(RoleName=name, PolicyName="projects", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectTagging"],
             "Resource": f"arn:aws:s3:::{bucket}/*"},
            {"Effect": "Allow", "Action": ["iam:GetRole", "iam:PassRole"], "Resource": launch_role_arn}]}))
    return arn


def publish_once(synthesis) -> tuple[str, str, str]:
    """`make publish --s3-template` into a new bucket, and a Studio role for it: (bucket, version, role ARN)."""
    n = next(COUNTER)
    bucket, version = f"sagemaker-doctor-{n}", f"7.0.{n}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(publish, "lint", lambda synthesis, region, progress: None)  # test_publish_script lints
        publish.publish(publish.Options(version=version, asset_bucket=bucket, s3_template=True), synthesis=synthesis,
                        progress=lambda _line: None)
    load_managed_policies("AdministratorAccess", "AmazonSageMakerFullAccess", "PowerUserAccess")
    return bucket, version, studio_role(bucket, publish.stack_output(publish.LAUNCH_ROLE_STACK, "LaunchRoleArn"))


def make_setup(published: tuple[str, str, str], monkeypatch) -> Setup:
    """The published set-up seen by a new admin user, with the stubbed services answering as they should."""
    bucket, version, role = published
    setup = Setup(bucket, version, role, create_admin(monkeypatch))
    setup.state = {"project": f"{PROJECT}{next(COUNTER)}", "domain_tag": setup.location, "portfolio": "Enabled",
                   "repositories": 1, "connection": "AVAILABLE", "project_exists": False,
                   "quota": {"sagemaker": dict(SAGEMAKER_QUOTAS)}}
    return setup


def catalog_setup(setup: Setup, templates: dict) -> Setup:
    """The same publication seen on the Service Catalog path: the portfolio (moto has portfolios), the launch role
    the portfolio stack creates (made here from the synthesized stack: moto skips the stack), and the principal
    associations and launch constraint (moto lacks them: stubbed from `state["catalog"]`)."""
    from resolve import resolve_template

    catalog = boto3.client("servicecatalog")
    named = [p["Id"] for p in catalog.list_portfolios()["PortfolioDetails"]
             if p["DisplayName"] == doctor_publishing.PORTFOLIO_NAME]
    # The doctor takes the first portfolio of that name (the emulator's session may hold one from publish's tests).
    portfolio = named[0] if named else catalog.create_portfolio(
        DisplayName=doctor_publishing.PORTFOLIO_NAME, ProviderName="MLOps platform",
        IdempotencyToken=f"doctor-{next(COUNTER)}")["PortfolioDetail"]["Id"]
    resolved = resolve_template(templates[publish.PORTFOLIO_STACK], {
        "TemplateBucket": setup.bucket, "TemplateKey": f"sagemaker-project/{setup.version}/sagemaker-project.json",
        "ProductVersion": setup.version, "StudioExecutionRoleArns": [setup.studio_role]})
    (role,) = [r["Properties"] for r in resolved["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    iam, name = boto3.client("iam"), f"doctor-catalog-launch-{next(COUNTER)}"
    arn = iam.create_role(RoleName=name, Path=role.get("Path", "/"),
                          AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]))["Role"]["Arn"]
    for policy in role["Policies"]:
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(policy["PolicyDocument"]))
    setup.state["catalog"] = {"portfolio": portfolio, "principals": [setup.studio_role], "launch": arn}
    return setup


def _catalog_stub(state: dict) -> tuple:
    """check_portfolio's principals and constraints, then the launch role's constraint (read once)."""
    client, stub = _stub("servicecatalog")
    catalog = state["catalog"]
    portfolio = {"PortfolioId": catalog["portfolio"]}
    stub.add_response("list_principals_for_portfolio", {"Principals": [
        {"PrincipalARN": arn, "PrincipalType": "IAM"} for arn in catalog["principals"]]}, portfolio)
    constraints = {"ConstraintDetails": [{"ConstraintId": "cons-doctor00001", "Type": "LAUNCH"}] if catalog["launch"]
                   else []}
    stub.add_response("list_constraints_for_portfolio", constraints, portfolio)
    stub.add_response("list_constraints_for_portfolio", constraints, portfolio)
    if catalog["launch"]:
        stub.add_response("describe_constraint", {"ConstraintParameters": json.dumps({"RoleArn": catalog["launch"]}),
                                                  "Status": "AVAILABLE"}, {"Id": "cons-doctor00001"})
    return client, stub


def _stub(service: str) -> tuple:
    client = boto3.client(service, region_name=REGION, endpoint_url="https://stubbed.invalid")
    return client, Stubber(client)


def stubbed_clients(setup: Setup) -> tuple[doctor.Clients, list[Stubber]]:
    """The clients the doctor uses, moto's except where moto lacks the API: those answer `setup.state`."""
    state = setup.state
    projects, projects_stub = _stub("sagemaker")
    domain = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}"
    if "catalog" not in state:  # the domain tag is the S3 path's
        projects_stub.add_response("list_tags", {"Tags": [{"Key": s3_template.DOMAIN_TAG_KEY,
                                                           "Value": state["domain_tag"]}]}, {"ResourceArn": domain})
    projects_stub.add_response("get_sagemaker_servicecatalog_portfolio_status", {"Status": state["portfolio"]}, {})
    if "profiles" in state:  # no --studio-role-arn: the domain's roles
        profiles = state["profiles"]
        projects_stub.add_response("describe_domain", {"DefaultUserSettings": {"ExecutionRole": profiles["default"]}},
                                   {"DomainId": DOMAIN})
        projects_stub.add_response("list_user_profiles", {"UserProfiles": [
            {"DomainId": DOMAIN, "UserProfileName": name} for name in profiles if name != "default"]},
            {"DomainIdEquals": DOMAIN})
        for name, role in profiles.items():
            if name != "default":
                projects_stub.add_response("describe_user_profile", {"UserSettings": {"ExecutionRole": role}},
                                           {"DomainId": DOMAIN, "UserProfileName": name})
    if state["project_exists"]:
        projects_stub.add_response("describe_project", _project(state["project"]), {"ProjectName": state["project"]})
    else:
        projects_stub.add_client_error("describe_project", "ValidationException", "Project does not exist",
                                       expected_params={"ProjectName": state["project"]})
    codecommit, codecommit_stub = _stub("codecommit")
    if "connection_arn" not in state:  # the doctor checks CodeConnections instead of CodeCommit then
        codecommit_stub.add_response("list_repositories", {"repositories": [
            {"repositoryName": f"repo{i}", "repositoryId": f"id{i}"} for i in range(state["repositories"])]}, {})
    quotas, quotas_stub = _stub("service-quotas")
    for service in QUOTA_SERVICES + ("sagemaker",):
        quotas_stub.add_response("list_service_quotas", {"Quotas": [
            _quota(service, name, value) for name, value in state["quota"].get(service, {}).items()]},
            {"ServiceCode": service})
    stubs = [projects_stub, codecommit_stub, quotas_stub]
    overrides = {"sagemaker#projects": projects, "codecommit": codecommit, "service-quotas": quotas}
    if "connection_arn" in state:
        connections, connections_stub = _stub("codeconnections")
        connections_stub.add_response("get_connection", {"Connection": {"ConnectionStatus": state["connection"]}},
                                      {"ConnectionArn": state["connection_arn"]})
        overrides["codeconnections"] = connections
        stubs.append(connections_stub)
    if "catalog" in state:
        overrides["servicecatalog#constraints"], catalog_stub = _catalog_stub(state)
        stubs.append(catalog_stub)
    for stub in stubs:
        stub.activate()
    return doctor.Clients(overrides), stubs


def _quota(service: str, name: str, value: float) -> dict:
    return {"ServiceCode": service, "QuotaName": name, "QuotaCode": f"L-{abs(hash(name)) % 10**8:08d}",
            "Value": value}


def _project(name: str) -> dict:
    return {"ProjectArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:project/{name}", "ProjectName": name,
            "ProjectId": "p-abcdefabcdef", "ServiceCatalogProvisioningDetails": {"ProductId": "prod-abcdefabcdefa"},
            "ProjectStatus": "CreateCompleted", "CreationTime": "2026-01-01T00:00:00Z"}


def run(setup: Setup, templates: dict, capsys, extra: list[str] = ()) -> tuple[int, list[tuple[str, str, str]]]:
    """Run the doctor's command line; returns the exit code and (status, check, fix) per line printed."""
    clients, stubs = stubbed_clients(setup)
    code = doctor.main(setup.options + list(extra), clients=clients, templates=templates)
    for stub in stubs:
        stub.assert_no_pending_responses()
    return code, parse(capsys.readouterr().out)


def parse(out: str) -> list[tuple[str, str, str]]:
    lines = []
    for line in out.splitlines():
        if line.startswith("         fix: "):
            status, check, _ = lines[-1]
            lines[-1] = (status, check, line.removeprefix("         fix: "))
        else:
            status, rest = line.split(None, 1)
            lines.append((status, rest.split(": ", 1)[0], ""))
    return lines


def not_ok(lines: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    return [(status, check) for status, check, _ in lines if status != "ok"]


def fix_of(lines, check: str) -> str:
    return next(fix for _, name, fix in lines if name == check)


# The AWS CLI's own options for these EC2 commands (not API members): --protocol/--port with --source-group or --cidr.
CLI_PERMISSION = ("protocol", "port", "source-group", "cidr")


def apply_aws_command(command: str, client=None) -> None:
    """Run a printed `aws ...` fix through boto3 with the CLI's meaning (API members by their CLI names; JSON or
    Key=...,Value=... shorthand for structures and lists; repeated words for a list; the EC2 permission options):
    each command must name a real operation and valid parameters, which botocore validates. `client`: a stubbed
    client (for the services the emulator lacks) instead of the emulator's."""
    for part in command.split(" && "):
        words = shlex.split(part)
        assert words[0] == "aws", part
        target = client or boto3.client({"s3api": "s3"}.get(words[1], words[1]))
        model = target.meta.service_model
        operation = next(name for name in model.operation_names if name.lower() == words[2].replace("-", "").lower())
        members = model.operation_model(operation).input_shape.members
        params, cli, key = {}, {}, None
        for word in words[3:]:
            if word.startswith("--"):
                if word[2:] in CLI_PERMISSION:
                    key = word[2:]
                    continue
                key = next(name for name in members if name.lower() == word[2:].replace("-", "").lower())
                params[key] = {"Value": True} if members[key].type_name == "structure" else True
                continue
            if key in CLI_PERMISSION:
                cli[key] = word
            else:
                params[key] = _cli_value(members[key], word, params.get(key))
        if cli:
            pair = ({"UserIdGroupPairs": [{"GroupId": cli["source-group"]}]} if "source-group" in cli else
                    {"IpRanges": [{"CidrIp": cli["cidr"]}]})
            params["IpPermissions"] = [{"IpProtocol": cli["protocol"], "FromPort": int(cli["port"]),
                                        "ToPort": int(cli["port"]), **pair}]
        getattr(target, botocore.xform_name(operation))(**params)


def _cli_value(shape, word: str, previous):
    if shape.type_name == "list" and not word.startswith(("[", "{")):
        item = dict(pair.split("=", 1) for pair in word.split(",")) if "=" in word else word
        return (previous if isinstance(previous, list) else []) + [item]
    if shape.type_name in ("structure", "list", "map"):
        return json.loads(word)
    scalar = {"double": float, "float": float, "integer": int, "long": int}.get(shape.type_name)
    return scalar(word) if scalar else word
