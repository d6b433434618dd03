"""make doctor against the emulator: a correct set-up made by `make publish` gives all `ok`; each broken set-up gives
exactly its own `problem`, and its printed fix, applied, turns the line back to `ok`; only reads reach AWS.

One publish per module (it takes seconds); each test breaks one piece of it and its applied fix mends it (the
launch role's policy is put back by a finalizer). Services the emulator lacks answer through Stubbers
(doctor_setup.stubbed_clients) from `setup.state`, which a test changes to break or mend them."""
import json
import shlex

import boto3
import pytest
from botocore.stub import Stubber

import account_policies
import doctor
import doctor_names
import publish
from mlops_guardrails.emulator import FAKE_CREDENTIALS
from doctor_setup import (ACCOUNT, REGION, apply_aws_command, catalog_setup, fix_of, make_setup, not_ok, publish_once,
                          run, studio_role)
from vpc_setup import make_vpc


@pytest.fixture(scope="module")
def published(emulator_url, synthesis):
    with pytest.MonkeyPatch.context() as patch:
        for key, value in FAKE_CREDENTIALS.items():
            patch.setenv(key, value)
        patch.setenv("AWS_ENDPOINT_URL", emulator_url)
        yield publish_once(synthesis)


@pytest.fixture(scope="module")
def templates(synthesis) -> dict:
    return {name: synthesis.template(name) for name in synthesis.templates}


@pytest.fixture
def setup(emulator, published, monkeypatch):
    return make_setup(published, monkeypatch)


def broken_then_fixed(setup, templates, capsys, expected: list[tuple[str, str]], apply, extra=()) -> str:
    """Run the doctor: exactly `expected` is not ok and the exit code is 1; apply the printed fix of the first
    line of `expected`; run again: all ok. Returns the fix."""
    code, lines = run(setup, templates, capsys, extra)
    assert not_ok(lines) == expected
    assert code == 1
    fix = fix_of(lines, expected[0][1])
    apply(fix)
    code, lines = run(setup, templates, capsys, extra)
    assert not_ok(lines) == []
    assert code == 0
    return fix


def test_correct_setup_from_publish_is_all_ok(setup, templates, capsys):
    code, lines = run(setup, templates, capsys)
    assert not_ok(lines) == []
    assert code == 0
    assert [check for _, check, _ in lines] == [
        "publish permissions", "template bucket", "template tag", "CORS rule", "domain tag", "projects enabled",
        "launch role trust", "launch role permissions", f"studio role {setup.studio_role.rsplit('/', 1)[1]}",
        f"guardrails {setup.studio_role.rsplit('/', 1)[1]}", "project names", "names in use", "CodeCommit",
        "project capacity", "endpoint capacity ml.m5.large", "processing job capacity ml.m5.xlarge",
        "training job capacity ml.m5.xlarge"]


def test_publisher_without_a_permission_gets_the_policy_that_adds_it(setup, templates, capsys):
    iam = boto3.client("iam")
    iam.detach_user_policy(UserName=setup.user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.put_user_policy(UserName=setup.user, PolicyName="almost-admin", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["s3:PutBucketCORS"],
                                                "Resource": "*"}]}))
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "publish permissions")], apply_aws_command)
    assert fix.startswith(f"aws iam put-user-policy --user-name {setup.user} --policy-name doctor-publish ")
    assert json.loads(shlex.split(fix)[-1])["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:PutBucketCORS"], "Resource": f"arn:aws:s3:::{setup.bucket}"}]


def _publish_from_fix(synthesis):
    """`make publish ARGS=...` from a printed fix: publish.main's options, with the session's synthesis (a new one
    costs seconds of CDK)."""
    def apply(fix: str) -> None:
        words = shlex.split(fix)
        assert words[:2] == ["make", "publish"]
        args = shlex.split(words[2].removeprefix("ARGS="))
        flags = dict(zip(args[::2], args[1::2])) if "--s3-template" not in args else dict(
            zip([a for a in args if a != "--s3-template"][::2], [a for a in args if a != "--s3-template"][1::2]))
        options = publish.Options(version=flags.pop("--version"), asset_bucket=flags.pop("--asset-bucket"),
                                  studio_domain_id=flags.pop("--studio-domain-id", None),
                                  s3_template="--s3-template" in args)
        assert flags == {}
        tagged = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(publish, "lint", lambda synthesis, region, progress: None)
            # moto has no AddTags for domains (test_publish_s3_template stubs it): the tag is checked, not sent.
            patch.setattr(publish.s3_template, "tag_domain", lambda client, arn, location: tagged.append(location))
            publish.publish(options, synthesis=synthesis, progress=lambda _line: None)
        assert len(tagged) == 1
    return apply


def test_missing_template_object_is_republished_by_the_fix(setup, templates, capsys, synthesis):
    boto3.client("s3").delete_object(Bucket=setup.bucket,
                                     Key=f"sagemaker-project/{setup.version}/sagemaker-project.yaml")
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "template bucket"), ("unknown", "template tag")],
                            _publish_from_fix(synthesis))
    assert fix == (f"make publish ARGS='--version {setup.version} --asset-bucket {setup.bucket} --s3-template "
                   "--studio-domain-id d-doctor000001'")


def test_template_without_visibility_tag(setup, templates, capsys):
    boto3.client("s3").put_object_tagging(Bucket=setup.bucket, Key=f"sagemaker-project/{setup.version}/"
                                          "sagemaker-project.yaml",
                                          Tagging={"TagSet": [{"Key": "owner", "Value": "mlops"}]})
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "template tag")], apply_aws_command)
    assert fix.startswith(f"aws s3api put-object-tagging --bucket {setup.bucket} ")
    assert json.loads(shlex.split(fix)[-1])["TagSet"] == [{"Key": "owner", "Value": "mlops"},
                                                          {"Key": "sagemaker:studio-visibility", "Value": "true"}]


def test_bucket_without_studio_cors_rule(setup, templates, capsys):
    boto3.client("s3").delete_bucket_cors(Bucket=setup.bucket)
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "CORS rule")], apply_aws_command)
    assert fix.startswith(f"aws s3api put-bucket-cors --bucket {setup.bucket} --cors-configuration ")


def _stubbed_fix(setup, service: str, operation: str, params: dict, mend: dict):
    """Apply a fix for a service the emulator lacks: the command goes to a Stubber that expects exactly `params`
    (botocore validates them against the model), then the stubbed service answers the mended state."""
    def apply(fix: str) -> None:
        client = boto3.client(service, region_name=REGION, endpoint_url="https://stubbed.invalid")
        with Stubber(client) as stubber:
            stubber.add_response(operation, {}, params)
            apply_aws_command(fix, client)
            stubber.assert_no_pending_responses()
        setup.state.update(mend)
    return apply


def test_domain_tag_pointing_elsewhere(setup, templates, capsys):
    setup.state["domain_tag"] = "s3://another-bucket/sagemaker-project/1.0.0/"
    broken_then_fixed(setup, templates, capsys, [("problem", "domain tag")], _stubbed_fix(
        setup, "sagemaker", "add_tags", {"ResourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/d-doctor000001",
                                         "Tags": [{"Key": "sagemaker:projectS3TemplatesLocation",
                                                   "Value": setup.location}]}, {"domain_tag": setup.location}))


def test_projects_portfolio_disabled(setup, templates, capsys):
    setup.state["portfolio"] = "Disabled"
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "projects enabled")], _stubbed_fix(
        setup, "sagemaker", "enable_sagemaker_servicecatalog_portfolio", {}, {"portfolio": "Enabled"}))
    assert fix == "aws sagemaker enable-sagemaker-servicecatalog-portfolio"


def _launch_role_arn() -> str:
    return publish.stack_output(publish.LAUNCH_ROLE_STACK, "LaunchRoleArn")  # with its path


def _launch_role() -> str:
    return _launch_role_arn().rsplit("/", 1)[1]


def test_launch_role_trusting_another_service(setup, templates, capsys):
    iam, role = boto3.client("iam"), _launch_role()
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "launch role trust")], apply_aws_command)
    assert fix.startswith(f"aws iam update-assume-role-policy --role-name {role} ")


@pytest.fixture
def launch_policy_restored():
    iam, role = boto3.client("iam"), _launch_role()
    original = iam.get_role_policy(RoleName=role, PolicyName="Provision")["PolicyDocument"]
    yield role, original
    iam.put_role_policy(RoleName=role, PolicyName="Provision", PolicyDocument=json.dumps(
        account_policies.document(original)))
    iam.delete_role_policy(RoleName=role, PolicyName="doctor-launch")


def test_launch_role_missing_a_creation_permission(setup, templates, capsys, launch_policy_restored):
    role, original = launch_policy_restored
    document = account_policies.document(original)
    document["Statement"] = [s for s in document["Statement"] if s.get("Action") != "codebuild:CreateProject"]
    boto3.client("iam").put_role_policy(RoleName=role, PolicyName="Provision", PolicyDocument=json.dumps(document))
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "launch role permissions")], apply_aws_command)
    assert json.loads(shlex.split(fix)[-1])["Statement"] == [{"Effect": "Allow", "Action": ["codebuild:CreateProject"],
        "Resource": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/sagemaker-doctor-p-doctor000000-modelbuild"}]


def test_studio_role_without_object_tag_read(setup, templates, capsys):
    role = studio_role(setup.bucket, _launch_role_arn())
    name = role.rsplit("/", 1)[1]
    boto3.client("iam").put_role_policy(RoleName=name, PolicyName="projects", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "iam:GetRole",
                                                                            "iam:PassRole"], "Resource": "*"}]}))
    setup.studio_role = role
    fix = broken_then_fixed(setup, templates, capsys, [("problem", f"studio role {name}")], apply_aws_command)
    assert json.loads(shlex.split(fix)[-1])["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObjectTagging"],
         "Resource": f"arn:aws:s3:::{setup.bucket}/sagemaker-project/{setup.version}/sagemaker-project.yaml"}]


def test_broad_policy_without_guardrails(setup, templates, capsys):
    role = studio_role(setup.bucket, _launch_role_arn())
    name = role.rsplit("/", 1)[1]
    iam = boto3.client("iam")
    guardrails = next(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
                      if p["PolicyName"] == "sagemaker-project-user-guardrails")
    iam.detach_role_policy(RoleName=name, PolicyArn=guardrails)
    setup.studio_role = role
    fix = broken_then_fixed(setup, templates, capsys, [("problem", f"guardrails {name}")], apply_aws_command)
    assert fix == f"aws iam attach-role-policy --role-name {name} --policy-arn {guardrails}"


def test_endpoint_of_the_project_name_already_exists(setup, templates, capsys):
    sagemaker, endpoint = boto3.client("sagemaker"), f"{setup.state['project']}-staging"
    sagemaker.create_model(ModelName=endpoint, ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/model",
                           PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"})
    sagemaker.create_endpoint_config(EndpointConfigName=endpoint, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": endpoint, "InstanceType": "ml.t2.medium",
        "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "names in use")],
                            lambda fix: apply_aws_command(fix.split("delete them: ", 1)[1]))
    assert fix.endswith(f"aws sagemaker delete-endpoint --endpoint-name {endpoint}")


def test_sagemaker_project_of_that_name_exists(setup, templates, capsys):
    setup.state["project_exists"] = True
    name = setup.state["project"]
    broken_then_fixed(setup, templates, capsys, [("problem", "names in use")], lambda fix: _stubbed_fix(
        setup, "sagemaker", "delete_project", {"ProjectName": name}, {"project_exists": False})(
        fix.split("delete them: ", 1)[1]))


def test_derived_name_over_its_limit_names_the_longest_project_name_that_fits(setup, templates, capsys, monkeypatch):
    monkeypatch.setattr(doctor_names, "example_components", lambda: [{"ComponentName": "c" * 50}])
    name = setup.state["project"]
    code, lines = run(setup, templates, capsys)
    assert not_ok(lines) == [("problem", "project names")]
    # <name>-staging-<50 c> must fit CreateInferenceComponent's 63 characters: 63 - 8 - 51 = 4.
    assert fix_of(lines, "project names") == "choose a project name of at most 4 characters"
    assert len(name) > 4
    setup.state["project"] = "c" * 4
    code, lines = run(setup, templates, capsys)
    assert not_ok(lines) == [] and code == 0


def test_pending_connection(setup, templates, capsys):
    arn = f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/abc-123"
    setup.state.update(connection_arn=arn, connection="PENDING")

    def complete_handshake(fix: str) -> None:
        assert fix.startswith("complete the connection's handshake")
        setup.state["connection"] = "AVAILABLE"
    broken_then_fixed(setup, templates, capsys, [("problem", "CodeConnections")], complete_handshake,
                      extra=["--connection-arn", arn])


def test_account_without_codecommit_repositories_is_unknown(setup, templates, capsys):
    setup.state["repositories"] = 0
    code, lines = run(setup, templates, capsys)
    assert not_ok(lines) == [("unknown", "CodeCommit")]
    assert code == 0


def test_event_rules_quota_that_fits_no_more_project(setup, templates, capsys):
    rules = sum(len(p["Rules"]) for p in boto3.client("events").get_paginator("list_rules").paginate())
    setup.state["quota"]["events"] = {"Maximum number of rules per event bus": rules + 2}
    code_of = f"L-{abs(hash('Maximum number of rules per event bus')) % 10**8:08d}"
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "project capacity")], _stubbed_fix(
        setup, "service-quotas", "request_service_quota_increase",
        {"ServiceCode": "events", "QuotaCode": code_of, "DesiredValue": rules + 3},
        {"quota": {**setup.state["quota"], "events": {"Maximum number of rules per event bus": rules + 3}}}))
    assert fix.endswith(f"--desired-value {rules + 3}")


def test_endpoint_instance_quota_below_the_stage_configs(setup, templates, capsys):
    quotas = setup.state["quota"]["sagemaker"]
    quotas["ml.m5.large for endpoint usage"] = 2
    code_of = f"L-{abs(hash('ml.m5.large for endpoint usage')) % 10**8:08d}"
    expected = [("problem", "endpoint capacity ml.m5.large")]
    fix = broken_then_fixed(setup, templates, capsys, expected, lambda fix: _stubbed_fix(
        setup, "service-quotas", "request_service_quota_increase",
        {"ServiceCode": "sagemaker", "QuotaCode": code_of, "DesiredValue": float(fix.rsplit(" ", 1)[1])},
        {"quota": {"sagemaker": {**quotas, "ml.m5.large for endpoint usage": float(fix.rsplit(" ", 1)[1])}}})(fix))
    assert fix.startswith(f"aws service-quotas request-service-quota-increase --service-code sagemaker --quota-code "
                          f"{code_of} --desired-value ")


def test_closed_security_group_through_the_network_check(setup, templates, capsys):
    vpc = make_vpc(closed_group=True)
    extra = ["--subnet-ids", ",".join(vpc["subnets"]), "--security-group-ids", vpc["groups"][0]]
    fix = broken_then_fixed(setup, templates, capsys, [("problem", "network security groups")], apply_aws_command,
                            extra=extra)
    assert fix == (f"aws ec2 authorize-security-group-egress --group-id {vpc['groups'][0]} --protocol tcp --port 443 "
                   "--cidr 10.8.0.0/16")


def test_missing_interface_endpoint_through_the_network_check(setup, templates, capsys):
    vpc = make_vpc(skip="logs")
    extra = ["--subnet-ids", ",".join(vpc["subnets"]), "--security-group-ids", vpc["groups"][0]]
    code, lines = run(setup, templates, capsys, extra)
    assert not_ok(lines) == [("problem", "network endpoint logs")] and code == 1
    apply_aws_command(fix_of(lines, "network endpoint logs"))  # the endpoint, in the project's group
    code, lines = run(setup, templates, capsys, extra)
    assert not_ok(lines) == [("problem", "network endpoint logs")]  # that group lets no HTTPS in from itself yet
    apply_aws_command(fix_of(lines, "network endpoint logs"))
    code, lines = run(setup, templates, capsys, extra)
    assert not_ok(lines) == [] and code == 0


@pytest.mark.parametrize("argv, message", [
    (["--studio-role-arn", "StudioRole"], "--studio-role-arn: 'StudioRole': must be an IAM role ARN"),
    (["--project-name=-bad-"], "--project-name: '-bad-': must be 1-32 letters, digits and hyphens"),
    (["--subnet-ids", "subnet-1"], "--subnet-ids/--security-group-ids: give both or neither"),
    (["--studio-domain-id", "D_1"], "--studio-domain-id: 'D_1': must match d-(-*[a-z0-9]){1,61}"),
])
def test_bad_options_exit_2_before_any_call(argv, message, capsys):
    from iam_actions import recording

    with recording() as calls:
        assert doctor.main(argv, clients=doctor.Clients(), templates={}) == 2
    assert calls == []
    assert capsys.readouterr().err.startswith(f"error: {message}")


def test_only_reads_reach_aws(setup, templates, capsys):
    from iam_actions import recording

    vpc = make_vpc()
    with recording() as calls:
        code, _ = run(setup, templates, capsys, ["--subnet-ids", ",".join(vpc["subnets"]), "--security-group-ids",
                                                  vpc["groups"][0]])
    assert code == 0
    operations = sorted({c.operation for c in calls})
    assert len(operations) > 30
    assert [o for o in operations if not o.startswith(("Describe", "Get", "List", "Head"))] == []


def test_publish_requests_cover_every_call_publish_makes(setup, synthesis, monkeypatch):
    """Record `make publish --s3-template` against the emulator: every call it makes as its caller is among the
    requests the doctor evaluates for the publisher (CreateBucket is the emulator's stand-in for `cdk bootstrap`)."""
    from doctor_iam import Place, publish_requests
    from iam_actions import authorization, recording

    monkeypatch.setattr(publish, "lint", lambda synthesis, region, progress: None)
    with recording() as calls:
        publish.publish(publish.Options(version="8.0.0", asset_bucket=f"{setup.bucket}-rec", s3_template=True),
                        synthesis=synthesis, progress=lambda _line: None)
    recorded = {(a.action, a.resource) for a in (authorization(c, account=ACCOUNT) for c in calls)}
    place = Place(ACCOUNT, "aws", REGION, f"{setup.bucket}-rec", "sagemaker-project/8.0.0/", True)
    evaluated = {(r.action, r.resource) for r in publish_requests(place, publish.LAUNCH_ROLE_STACK, [])}
    assert recorded - evaluated == {("s3:CreateBucket", f"arn:aws:s3:::{setup.bucket}-rec")}


def test_launch_requests_cover_every_resource_type_of_the_project_stack(templates):
    from doctor_iam import Place, launch_requests

    kinds = {r["Type"] for r in templates["sagemaker-project"]["Resources"].values()}
    assert kinds - set(launch_requests(Place(ACCOUNT, "aws", REGION, "b", "p/", True))) == set()


@pytest.mark.parametrize("s3_path", [True, False])
def test_synthesized_launch_roles_allow_every_launch_request(templates, s3_path):
    from doctor_iam import Place, launch_requests, refused
    from iam_policy import role_principals
    from resolve import resolve_template

    stack = "sagemaker-project-launch-role" if s3_path else "sagemaker-project-portfolio"
    parameters = {"TemplateBucket": "assets"} if s3_path else {
        "TemplateBucket": "assets", "TemplateKey": "sagemaker-project/1.0.0/sagemaker-project.json",
        "ProductVersion": "1.0.0", "StudioExecutionRoleArns": [f"arn:aws:iam::{ACCOUNT}:role/studio"]}
    (role,) = role_principals(resolve_template(templates[stack], parameters)).values()
    requests = [r for found in launch_requests(Place(ACCOUNT, "aws", REGION, "assets", "sagemaker-project/1.0.0/",
                                                     s3_path)).values() for r in found]
    assert refused(role, requests) == ([], "")


# -- the Service Catalog path ------------------------------------------------------------------------------------
@pytest.fixture
def catalog(setup, templates):
    return catalog_setup(setup, templates)


def test_catalog_path_correct_setup_is_all_ok(catalog, templates, capsys):
    code, lines = run(catalog, templates, capsys)
    assert not_ok(lines) == []
    assert code == 0
    assert [check for _, check, _ in lines][2:8] == ["portfolio", "portfolio principals", "launch constraint",
                                                     "projects enabled", "launch role trust",
                                                     "launch role permissions"]


def test_catalog_path_studio_role_not_a_principal(catalog, templates, capsys):
    portfolio = catalog.state["catalog"]["portfolio"]
    catalog.state["catalog"]["principals"] = []
    fix = broken_then_fixed(catalog, templates, capsys, [("problem", "portfolio principals")], _stubbed_fix(
        catalog, "servicecatalog", "associate_principal_with_portfolio",
        {"PortfolioId": portfolio, "PrincipalARN": catalog.studio_role, "PrincipalType": "IAM"},
        {"catalog": {**catalog.state["catalog"], "principals": [catalog.studio_role]}}))
    assert fix == (f"aws servicecatalog associate-principal-with-portfolio --portfolio-id {portfolio} "
                   f"--principal-arn {catalog.studio_role} --principal-type IAM")


def test_catalog_path_without_launch_constraint(catalog, templates, capsys):
    launch = catalog.state["catalog"]["launch"]
    catalog.state["catalog"]["launch"] = None

    def republish(fix: str) -> None:  # the portfolio stack (which moto skips) brings the constraint back
        assert fix.startswith("make publish ARGS='--version ")
        catalog.state["catalog"]["launch"] = launch
    broken_then_fixed(catalog, templates, capsys, [("problem", "launch constraint"), ("problem", "launch role")],
                      republish)


def test_without_roles_every_user_profile_of_the_domain_is_checked(setup, templates, capsys):
    """No --studio-role-arn: the domain's default execution role and each user profile's own role are checked."""
    profile_role = studio_role(setup.bucket, _launch_role_arn())
    setup.state["profiles"] = {"default": setup.studio_role, "alice": profile_role}
    code, lines = run(setup, templates, capsys)
    names = [r.rsplit("/", 1)[1] for r in (setup.studio_role, profile_role)]
    assert [check for _, check, _ in lines if check.startswith(("studio role", "guardrails"))] == [
        f"studio role {names[0]}", f"guardrails {names[0]}", f"studio role {names[1]}", f"guardrails {names[1]}"]
    assert not_ok(lines) == [] and code == 0


def test_one_project_creates_what_the_synthesized_template_holds(templates):
    import doctor_capacity

    assert doctor_capacity.per_project(templates["sagemaker-project"]) == {
        "IAM roles": 7, "customer managed policies": 2, "EventBridge rules": 3, "CodePipeline pipelines": 2,
        "CodeBuild projects": 3, "S3 buckets": 1, "KMS keys": 1}


def test_stage_configs_need_both_stages_and_the_larger_one_again_during_blue_green():
    import doctor_capacity

    # staging-config.json: 1 x ml.m5.large; prod-config.json: 3 x ml.m5.large; prod's 3 again while it updates.
    assert doctor_capacity.endpoint_needs() == {"ml.m5.large": 7}
    assert doctor_capacity.job_needs() == {"processing job": ("ml.m5.xlarge", 1), "training job": ("ml.m5.xlarge", 1)}
