"""The project's network and key for every job the pipeline starts: SUBNET_IDS, SECURITY_GROUP_IDS and KMS_KEY_ARN
(docs/contracts.md of the project template; CodeBuild sets them). Subnets and security groups are comma-separated;
empty means no VPC, and the jobs are still network-isolated and encrypted with the key."""
import os
import re
from dataclasses import dataclass

from mlops_guardrails.errors import InputError

VARIABLES = ("SUBNET_IDS", "SECURITY_GROUP_IDS", "KMS_KEY_ARN")
# EC2's id formats (8 hex digits for old resources, 17 for new ones) and a KMS key ARN (not an alias: the project
# roles' policies compare the key the request names with the project's key).
FORMATS = {
    "SUBNET_IDS": (r"subnet-[0-9a-f]{8}([0-9a-f]{9})?", "a comma-separated list of subnet ids (subnet-0123abcd...)"),
    "SECURITY_GROUP_IDS": (r"sg-[0-9a-f]{8}([0-9a-f]{9})?", "a comma-separated list of security group ids (sg-...)"),
    "KMS_KEY_ARN": (r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[a-zA-Z0-9-]+", "a KMS key ARN (arn:aws:kms:...:key/...)"),
}
TOGETHER = "SUBNET_IDS/SECURITY_GROUP_IDS: one set, one empty: a job in a VPC needs both (or neither: no VPC)"
# A local run's stand-in key: the local executor never encrypts, but the definition names a key as in AWS.
LOCAL_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/local-project-key"


@dataclass(frozen=True)
class JobNetwork:
    """Where the pipeline's jobs run and which key encrypts their volumes and outputs."""

    subnets: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    kms_key_arn: str | None = None

    @property
    def in_vpc(self) -> bool:
        return bool(self.subnets)

    def processing(self, *, isolated: bool):
        """A processing step's NetworkConfig: the VPC when given, isolation, inter-container encryption."""
        from sagemaker.core.network import NetworkConfig

        return NetworkConfig(enable_network_isolation=isolated, encrypt_inter_container_traffic=True,
                             subnets=list(self.subnets) or None,
                             security_group_ids=list(self.security_group_ids) or None)

    def training(self, *, isolated: bool):
        """A training step's networking (ModelTrainer): the same settings in the SDK's training shape."""
        from sagemaker.train.configs import Networking

        return Networking(enable_network_isolation=isolated, enable_inter_container_traffic_encryption=True,
                          subnets=list(self.subnets) or None,
                          security_group_ids=list(self.security_group_ids) or None)

    def kwargs(self) -> dict:
        """get_pipeline's keyword arguments (JSON, as run_pipeline's --kwargs takes them)."""
        return {"subnets": list(self.subnets), "security_group_ids": list(self.security_group_ids),
                "kms_key_arn": self.kms_key_arn}


def _ids(name: str, text: str) -> tuple[str, ...]:
    pattern, rule = FORMATS[name]
    if text and not all(re.fullmatch(pattern, item) for item in text.split(",")):
        raise InputError(f"{name}: {text!r}: must be {rule}")
    return tuple(text.split(",")) if text else ()


def from_environment(environ=None, *, local: bool = False) -> JobNetwork:
    """The three variables, checked; `local` fills a missing key with LOCAL_KEY_ARN (a local run)."""
    environ = os.environ if environ is None else environ
    subnets = _ids("SUBNET_IDS", environ.get("SUBNET_IDS", ""))
    groups = _ids("SECURITY_GROUP_IDS", environ.get("SECURITY_GROUP_IDS", ""))
    if bool(subnets) != bool(groups):
        raise InputError(TOGETHER)
    key = environ.get("KMS_KEY_ARN", "") or (LOCAL_KEY_ARN if local else "")
    if key and not re.fullmatch(FORMATS["KMS_KEY_ARN"][0], key):
        raise InputError(f"KMS_KEY_ARN: {key!r}: must be {FORMATS['KMS_KEY_ARN'][1]}")
    return JobNetwork(subnets=subnets, security_group_ids=groups, kms_key_arn=key or None)
