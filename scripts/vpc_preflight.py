"""VPC preflight: read the VPC behind the given subnets and security groups and name every piece a project in that
VPC needs and lacks (VPC endpoints, private DNS, HTTPS through the security groups, more than one AZ). Read-only:
only EC2 Describe calls.

What is needed, by feature, follows shared/reference/sagemaker-facts.md ("No-internet VPC endpoints by use") and the
AWS page each line names."""
import argparse
import ipaddress
import sys
from dataclasses import dataclass

from script_errors import ScriptInputError, run_command

EXAMPLES = """examples:
  scripts/vpc_preflight.py --subnet-ids subnet-0a1,subnet-0b2 --security-group-ids sg-0c3
  scripts/vpc_preflight.py --subnet-ids subnet-0a1,subnet-0b2 --security-group-ids sg-0c3 --custom-images
  make vpc-preflight ARGS="--subnet-ids subnet-0a1,subnet-0b2 --security-group-ids sg-0c3"
exit codes: 0 nothing missing; 1 something is missing (each named with its fix); 2 invalid options.
"""
HTTPS = 443
PRIVATELINK = "https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html"


@dataclass(frozen=True)
class Need:
    """A VPC endpoint the project needs: the service's short name, why, and the AWS page that says so."""

    service: str
    why: str
    source: str
    kind: str = "Interface"


ENDPOINTS = (
    Need("s3", "jobs, models and CodeBuild read and write the artifact bucket and the seed zips",
         "https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html", kind="Gateway"),
    Need("sagemaker.api", "CodeBuild and the pipeline steps call SageMaker (pipelines, registry, endpoints)",
         "https://docs.aws.amazon.com/sagemaker/latest/dg/interface-vpc-endpoint.html"),
    Need("sagemaker.runtime", "the stage test invokes the staging endpoint",
         "https://docs.aws.amazon.com/sagemaker/latest/dg/interface-vpc-endpoint.html"),
    Need("sts", "the SDK and the CodeArtifact login resolve credentials and bearer tokens",
         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_sts_vpce.html"),
    Need("logs", "CodeBuild and SageMaker jobs write their logs",
         "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch-logs-and-interface-VPC.html"),
    Need("monitoring", "the deploy reads the rollback alarms and the stage test reads metrics",
         "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-interface-VPC.html"),
    Need("cloudformation", "the deploy seed creates and updates the endpoint stacks",
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/vpc-interface-endpoints.html"),
    Need("codeartifact.api", "the buildspecs log in to CodeArtifact before pip install (no public index)",
         "https://docs.aws.amazon.com/codeartifact/latest/ug/vpc-endpoints.html"),
    Need("codeartifact.repositories", "pip downloads packages from the CodeArtifact repository",
         "https://docs.aws.amazon.com/codeartifact/latest/ug/vpc-endpoints.html"),
)
CUSTOM_IMAGE_ENDPOINTS = (
    Need("ecr.api", "custom images: SageMaker and CodeBuild authenticate to ECR",
         "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"),
    Need("ecr.dkr", "custom images: image layers are pulled from ECR",
         "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"),
)
KMS_ENDPOINT = Need("kms", "code in the VPC calls KMS with the project's key (decrypt, data keys)",
                    "https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html")
DNS_SOURCE = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html#vpc-dns-support"
# "configure the VPC with at least two subnets, each in a different Availability Zone" (hosting best practices)
AZ_SOURCE = "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-best-practices.html"


@dataclass(frozen=True)
class Finding:
    """One line of the preflight: `ok` or `problem`, what was checked, and for a problem why and the fix."""

    status: str
    check: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<8} {self.check}: {self.detail}"
        return text + (f"\n         fix: {self.fix}" if self.fix else "")


def report(findings: list[Finding]) -> int:
    """Print each finding; the exit code: 1 when one is a problem, else 0 (`unknown` is not a problem)."""
    for finding in findings:
        print(finding.line())
    return 1 if any(f.status == "problem" for f in findings) else 0


class PreflightInputError(ScriptInputError):
    """Subnets or security groups that do not exist, or that are not in one VPC: exit code 2."""


def needed_endpoints(*, custom_images: bool = False, kms: bool = True) -> tuple[Need, ...]:
    return ENDPOINTS + (CUSTOM_IMAGE_ENDPOINTS if custom_images else ()) + ((KMS_ENDPOINT,) if kms else ())


def preflight(ec2, subnet_ids: list[str], security_group_ids: list[str], *, custom_images: bool = False,
              kms: bool = True) -> list[Finding]:
    """Every check, in order: the subnets' AZs, VPC DNS, each endpoint, HTTPS through the security groups."""
    subnets, groups = read_network(ec2, subnet_ids, security_group_ids)
    vpc_id = subnets[0]["VpcId"]
    region = ec2.meta.region_name
    endpoints = _describe_all(ec2, "describe_vpc_endpoints", "VpcEndpoints",
                              Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    findings = [availability_zones(subnets), vpc_dns(ec2, vpc_id)]
    route_tables = subnet_route_tables(ec2, vpc_id, subnet_ids)
    for need in needed_endpoints(custom_images=custom_images, kms=kms):
        found = [e for e in endpoints if e["ServiceName"] == f"com.amazonaws.{region}.{need.service}"
                 and e["VpcEndpointType"] == need.kind and e.get("State", "").lower() == "available"]
        findings.append(endpoint_finding(ec2, need, found, vpc_id, route_tables, subnets, groups))
    findings.append(groups_egress(groups, ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"]))
    return findings


def read_network(ec2, subnet_ids: list[str], security_group_ids: list[str]) -> tuple[list[dict], list[dict]]:
    """The subnets and groups as EC2 describes them; unknown ids or more than one VPC are input errors."""
    from botocore.exceptions import ClientError

    try:
        subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        groups = ec2.describe_security_groups(GroupIds=security_group_ids)["SecurityGroups"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code.startswith(("InvalidSubnetID", "InvalidGroup", "InvalidSecurityGroupID")):
            raise PreflightInputError(f"--subnet-ids/--security-group-ids: {error.response['Error']['Message']}: "
                                      "give ids that exist in this account and region") from error
        raise
    vpcs = sorted({s["VpcId"] for s in subnets} | {g["VpcId"] for g in groups})
    if len(vpcs) != 1:
        raise PreflightInputError(f"--subnet-ids/--security-group-ids: {subnet_ids + security_group_ids}: span VPCs "
                                  f"{vpcs}: must all be in one VPC (SageMaker's VpcConfig takes one VPC)")
    return subnets, groups


def availability_zones(subnets: list[dict]) -> Finding:
    zones = sorted({s["AvailabilityZone"] for s in subnets})
    if len(zones) >= 2:
        return Finding("ok", "subnets", f"{len(subnets)} subnet(s) in {len(zones)} Availability Zones {zones}")
    return Finding("problem", "subnets", f"all in one Availability Zone ({zones[0]}): an AZ outage stops every job "
                   "and endpoint, and an instance type short in that AZ cannot be placed elsewhere "
                   f"(source: {AZ_SOURCE})", fix="add a subnet of this VPC in a second Availability Zone to "
                   "--subnet-ids (and to the project's SubnetIds)")


def vpc_dns(ec2, vpc_id: str) -> Finding:
    """Interface endpoints' private DNS names resolve only with both VPC DNS attributes on."""
    off = [attribute for attribute, key in (("enableDnsSupport", "EnableDnsSupport"),
                                            ("enableDnsHostnames", "EnableDnsHostnames"))
           if not ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"]]
    if not off:
        return Finding("ok", "VPC DNS", f"{vpc_id}: DNS support and DNS hostnames on")
    return Finding("problem", "VPC DNS", f"{vpc_id}: {', '.join(off)} off: the endpoints' private DNS names do not "
                   f"resolve, so AWS SDK calls go to the public endpoints and fail (source: {DNS_SOURCE})",
                   fix=" && ".join(f"aws ec2 modify-vpc-attribute --vpc-id {vpc_id} --{_dashed(a)}" for a in off))


def _dashed(attribute: str) -> str:
    return {"enableDnsSupport": "enable-dns-support", "enableDnsHostnames": "enable-dns-hostnames"}[attribute]


def endpoint_finding(ec2, need: Need, found: list[dict], vpc_id: str, route_tables: list[str], subnets: list[dict],
                     groups: list[dict]) -> Finding:
    check = f"endpoint {need.service}"
    service = f"com.amazonaws.{ec2.meta.region_name}.{need.service}"
    if not found:
        if need.kind == "Gateway":
            fix = (f"aws ec2 create-vpc-endpoint --vpc-id {vpc_id} --vpc-endpoint-type Gateway --service-name "
                   f"{service} --route-table-ids {' '.join(route_tables)}")
        else:
            # The project's first group as the endpoint's: if it lets no HTTPS in from itself, the next run says so.
            fix = (f"aws ec2 create-vpc-endpoint --vpc-id {vpc_id} --vpc-endpoint-type Interface --service-name "
                   f"{service} --subnet-ids {' '.join(s for s in _one_per_zone(subnets))} --security-group-ids "
                   f"{groups[0]['GroupId']} --private-dns-enabled")
        return Finding("problem", check, f"missing: {need.why} (source: {need.source})", fix=fix)
    endpoint = found[0]
    if need.kind == "Gateway":
        missing = [rt for rt in route_tables if rt not in endpoint.get("RouteTableIds", [])]
        if missing:
            return Finding("problem", check, f"{endpoint['VpcEndpointId']} is not on the route table(s) {missing} of "
                           f"the subnets: traffic to S3 does not reach it (source: {need.source})",
                           fix=f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint['VpcEndpointId']} "
                               f"--add-route-table-ids {' '.join(missing)}")
        return Finding("ok", check, f"{endpoint['VpcEndpointId']} on the subnets' route tables")
    if not endpoint.get("PrivateDnsEnabled"):
        return Finding("problem", check, f"{endpoint['VpcEndpointId']}: private DNS off: the SDK's default host name "
                       f"does not reach it (source: {PRIVATELINK})",
                       fix=f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint['VpcEndpointId']} "
                           "--private-dns-enabled")
    endpoint_groups = [g["GroupId"] for g in endpoint.get("Groups", [])]
    described = ec2.describe_security_groups(GroupIds=endpoint_groups)["SecurityGroups"] if endpoint_groups else []
    cidrs = [s["CidrBlock"] for s in subnets]
    if not any(allows_https_in(g, [s["GroupId"] for s in groups], cidrs) for g in described):
        return Finding("problem", check, f"{endpoint['VpcEndpointId']}: its security group(s) {endpoint_groups} allow "
                       f"no HTTPS (443) in from the project's groups or subnets (source: {PRIVATELINK})",
                       fix=f"aws ec2 authorize-security-group-ingress --group-id "
                           f"{endpoint_groups[0] if endpoint_groups else '<endpoint group>'} --protocol tcp --port 443 "
                           f"--source-group {groups[0]['GroupId']}")
    return Finding("ok", check, f"{endpoint['VpcEndpointId']}, private DNS on, HTTPS allowed in")


def _one_per_zone(subnets: list[dict]) -> list[str]:
    """An interface endpoint takes at most one subnet per Availability Zone."""
    return list({s["AvailabilityZone"]: s["SubnetId"] for s in reversed(subnets)}.values())[::-1]


def _covers_port(rule: dict, port: int) -> bool:
    if rule.get("IpProtocol") == "-1":
        return True
    return rule.get("IpProtocol") == "tcp" and rule.get("FromPort", 0) <= port <= rule.get("ToPort", 65535)


def _cidr_covers(rule: dict, cidrs: list[str]) -> bool:
    ranges = [ipaddress.ip_network(r["CidrIp"]) for r in rule.get("IpRanges", [])]
    return all(any(ipaddress.ip_network(c).subnet_of(r) for r in ranges) for c in cidrs) if ranges else False


def allows_https_in(group: dict, source_groups: list[str], cidrs: list[str]) -> bool:
    """An ingress rule of `group` lets HTTPS in from one of `source_groups` or from every subnet CIDR."""
    for rule in group.get("IpPermissions", []):
        if not _covers_port(rule, HTTPS):
            continue
        if any(pair.get("GroupId") in source_groups for pair in rule.get("UserIdGroupPairs", [])):
            return True
        if _cidr_covers(rule, cidrs):
            return True
    return False


def groups_egress(groups: list[dict], vpc_cidr: str) -> Finding:
    """The project's jobs and builds reach the endpoints through these groups: one must let HTTPS out."""
    if any(_covers_port(rule, HTTPS) for g in groups for rule in g.get("IpPermissionsEgress", [])):
        return Finding("ok", "security groups", f"{[g['GroupId'] for g in groups]}: HTTPS (443) out allowed")
    return Finding("problem", "security groups", f"{[g['GroupId'] for g in groups]}: no rule lets HTTPS (443) out: "
                   f"jobs and builds cannot reach any endpoint (source: {PRIVATELINK})",
                   fix=f"aws ec2 authorize-security-group-egress --group-id {groups[0]['GroupId']} --protocol tcp "
                       f"--port 443 --cidr {vpc_cidr}")


def subnet_route_tables(ec2, vpc_id: str, subnet_ids: list[str]) -> list[str]:
    """The route table each subnet uses: its explicit association, else the VPC's main table."""
    tables = _describe_all(ec2, "describe_route_tables", "RouteTables",
                           Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    main = next((t["RouteTableId"] for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    used = []
    for subnet in subnet_ids:
        table = next((t["RouteTableId"] for t in tables for a in t.get("Associations", [])
                      if a.get("SubnetId") == subnet), main)
        if table and table not in used:
            used.append(table)
    return used


def _describe_all(ec2, operation: str, key: str, **kwargs) -> list[dict]:
    return [item for page in ec2.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subnet-ids", required=True, type=ids, help="comma-separated subnet ids")
    parser.add_argument("--security-group-ids", required=True, type=ids, help="comma-separated security group ids")
    parser.add_argument("--custom-images", action="store_true", help="the project uses its own ECR images")
    parser.add_argument("--no-kms", dest="kms", action="store_false", help="no code in the VPC calls KMS")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)

    def action() -> int:
        import boto3

        if not args.subnet_ids or not args.security_group_ids:
            raise PreflightInputError("--subnet-ids/--security-group-ids: empty: give at least one of each")
        findings = preflight(boto3.client("ec2"), args.subnet_ids, args.security_group_ids,
                             custom_images=args.custom_images, kms=args.kms)
        return report(findings)
    return run_command(action, args.debug)


if __name__ == "__main__":
    sys.exit(main())
