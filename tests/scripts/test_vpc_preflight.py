"""The VPC preflight against the emulator's EC2: a complete VPC passes; each missing piece is named, one case each."""
import pytest

import vpc_preflight
from vpc_setup import make_vpc
from vpc_preflight import PreflightInputError, needed_endpoints, preflight


def problems(vpc: dict, **kwargs) -> list[vpc_preflight.Finding]:
    return [f for f in preflight(vpc["ec2"], vpc["subnets"], vpc["groups"], **kwargs) if f.status != "ok"]


def test_complete_vpc_passes_every_check(emulator):
    findings = preflight(**_args(make_vpc()), custom_images=True)
    assert [f.status for f in findings] == ["ok"] * len(findings)
    assert [f.check for f in findings] == (["subnets", "VPC DNS"] + [f"endpoint {n.service}" for n in
                                           needed_endpoints(custom_images=True)] + ["security groups"])


def _args(vpc: dict) -> dict:
    return {"ec2": vpc["ec2"], "subnet_ids": vpc["subnets"], "security_group_ids": vpc["groups"]}


@pytest.mark.parametrize("service", [n.service for n in needed_endpoints(custom_images=True)])
def test_each_missing_endpoint_is_named_with_why_source_and_fix(emulator, service):
    vpc = make_vpc(skip=service)
    found = problems(vpc, custom_images=True)
    need = next(n for n in needed_endpoints(custom_images=True) if n.service == service)
    assert [(f.check, f.detail) for f in found] == [(f"endpoint {service}", f"missing: {need.why} (source: "
                                                     f"{need.source})")]
    assert f"--service-name com.amazonaws.us-east-1.{service}" in found[0].fix
    assert f"--vpc-endpoint-type {need.kind}" in found[0].fix


def test_ecr_endpoints_are_needed_only_with_custom_images(emulator):
    vpc = make_vpc(skip="ecr.dkr")
    assert problems(vpc) == []
    assert [f.check for f in problems(vpc, custom_images=True)] == ["endpoint ecr.dkr"]


def test_closed_security_group_is_named(emulator):
    vpc = make_vpc(closed_group=True)
    found = problems(vpc)
    assert [f.check for f in found] == ["security groups"]
    assert "no rule lets HTTPS (443) out" in found[0].detail
    assert found[0].fix.startswith(f"aws ec2 authorize-security-group-egress --group-id {vpc['groups'][0]} ")


def test_endpoint_group_without_https_in_is_named_per_endpoint(emulator):
    vpc = make_vpc(endpoint_group_closed=True)
    found = problems(vpc)
    interface = [n.service for n in needed_endpoints() if n.kind == "Interface"]
    assert [f.check for f in found] == [f"endpoint {s}" for s in interface]
    assert all("allow no HTTPS (443) in" in f.detail for f in found)
    assert found[0].fix == (f"aws ec2 authorize-security-group-ingress --group-id {vpc['endpoint_group']} "
                            f"--protocol tcp --port 443 --source-group {vpc['groups'][0]}")


def test_single_az_subnets_are_named(emulator):
    found = problems(make_vpc(one_az=True))
    assert [f.check for f in found] == ["subnets"]
    assert found[0].detail.startswith("all in one Availability Zone (us-east-1a)")


def test_private_dns_off_is_named(emulator):
    found = problems(make_vpc(private_dns_off="sts"))
    assert [f.check for f in found] == ["endpoint sts"]
    assert found[0].fix.endswith("--private-dns-enabled")


def test_vpc_dns_hostnames_off_is_named(emulator):
    vpc = make_vpc(dns_off=True)
    found = problems(vpc)
    assert [f.check for f in found] == ["VPC DNS"]
    assert found[0].fix == f"aws ec2 modify-vpc-attribute --vpc-id {vpc['vpc']} --enable-dns-hostnames"


def test_s3_gateway_off_the_subnets_route_table_is_named(emulator):
    vpc = make_vpc(gateway_off_route=True)
    found = problems(vpc)
    assert [f.check for f in found] == ["endpoint s3"]
    assert found[0].fix.endswith(f"--add-route-table-ids {vpc['table']}")


def test_unknown_subnet_is_an_input_error(emulator):
    vpc = make_vpc()
    with pytest.raises(PreflightInputError, match="--subnet-ids/--security-group-ids: .*subnet-0000"):
        preflight(vpc["ec2"], ["subnet-00000000000000000"], vpc["groups"])


def test_main_exits_1_and_prints_each_problem(emulator, capsys):
    vpc = make_vpc(skip="logs")
    code = vpc_preflight.main(["--subnet-ids", ",".join(vpc["subnets"]), "--security-group-ids", vpc["groups"][0]])
    out = capsys.readouterr().out
    assert code == 1
    assert [line.split()[0] for line in out.splitlines() if not line.startswith(" ")].count("problem") == 1
    assert "problem  endpoint logs: missing" in out


def test_only_describe_calls_are_made(emulator):
    from iam_actions import recording

    vpc = make_vpc(skip="sts")
    with recording() as calls:
        preflight(**_args(vpc))
    assert calls and all(c.operation.startswith("Describe") for c in calls)
