"""A VPC in the emulator's EC2 with everything a project needs, less what a test takes away."""
import boto3

from vpc_preflight import needed_endpoints

REGION = "us-east-1"


def make_vpc(*, skip: str = "", one_az: bool = False, closed_group: bool = False, dns_off: bool = False,
             endpoint_group_closed: bool = False, private_dns_off: str = "", gateway_off_route: bool = False) -> dict:
    """A VPC with everything the project needs, less what the arguments take away."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    if not dns_off:
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    else:
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": False})
    zones = ["us-east-1a", "us-east-1a" if one_az else "us-east-1b"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(zones)]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    group = ec2.create_security_group(GroupName="jobs", Description="jobs", VpcId=vpc)["GroupId"]
    if closed_group:
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    endpoint_group = ec2.create_security_group(GroupName="endpoints", Description="endpoints", VpcId=vpc)["GroupId"]
    if not endpoint_group_closed:
        ec2.authorize_security_group_ingress(GroupId=endpoint_group, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": group}]}])
    for need in needed_endpoints(custom_images=True):
        if need.service == skip:
            continue
        request = {"VpcId": vpc, "ServiceName": f"com.amazonaws.{REGION}.{need.service}",
                   "VpcEndpointType": need.kind}
        if need.kind == "Gateway":
            request["RouteTableIds"] = [] if gateway_off_route else [table]
        else:
            request.update(SubnetIds=subnets, SecurityGroupIds=[endpoint_group],
                           PrivateDnsEnabled=need.service != private_dns_off)
        ec2.create_vpc_endpoint(**request)
    return {"ec2": ec2, "vpc": vpc, "subnets": subnets, "groups": [group], "table": table,
            "endpoint_group": endpoint_group}
