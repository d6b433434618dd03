"""The project's artifact bucket and the KMS key that encrypts it (and every pipeline artifact)."""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from template.components.nag import acknowledge, skip_checkov


BUCKET_READ = ["s3:GetBucketLocation", "s3:ListBucket", "s3:GetBucketVersioning"]
OBJECT_READ = ["s3:GetObject", "s3:GetObjectVersion"]
OBJECT_WRITE = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
KEY_READ = ["kms:Decrypt", "kms:DescribeKey"]
KEY_WRITE = ["kms:Encrypt", "kms:GenerateDataKey"]
# Where SageMaker writes as the model execution role: the endpoints' data capture and the Model Monitor jobs'
# reports (seed-deploy's template_render: DestinationS3Uri s3://<bucket>/data-capture, S3Output
# s3://<bucket>/monitoring/<endpoint>/data-quality; tests/security/test_recorded_calls.py checks they agree).
DATA_CAPTURE_PREFIX, MONITORING_PREFIX = "data-capture", "monitoring"


class ArtifactStore(Construct):
    """Encrypted, TLS-only, versioned bucket with lifecycle rules; when target accounts are set, readable by their
    named project roles, and writable by their SageMaker roles under their own prefixes only."""

    def __init__(self, scope: Construct, construct_id: str, *, multi_account: cdk.CfnCondition,
                 target_share: tuple[dict, dict], capture_share: tuple[dict, dict], capture_prefix: str,
                 model_write_share: tuple[dict, dict]) -> None:
        super().__init__(scope, construct_id)
        # A customer-managed key: CodePipeline cannot share artifacts across accounts under S3's default key.
        self.key = kms.Key(self, "Key", enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.RETAIN,
                           description="Encrypts the SageMaker project's artifacts and pipeline artifacts")
        self.bucket = s3.Bucket(
            self, "Bucket", encryption=s3.BucketEncryption.KMS, encryption_key=self.key, bucket_key_enabled=True,
            enforce_ssl=True, versioned=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                # Overwritten or deleted artifacts (a swapped model.tar.gz) stay evidence for 90 days (issue #20).
                s3.LifecycleRule(id="ExpireOldVersions", noncurrent_version_expiration=cdk.Duration.days(90),
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(7)),
                s3.LifecycleRule(id="ExpireDataCapture", prefix=f"{DATA_CAPTURE_PREFIX}/",
                                 expiration=cdk.Duration.days(90)),
            ])
        no_access_log = ("Pipeline and model artifacts only; access is audited by CloudTrail, and a second log "
                         "bucket per project would double the buckets a project owns.")
        acknowledge(self.bucket, "S1", no_access_log)
        skip_checkov(self.bucket, "CKV_AWS_18", no_access_log)
        self._share_with(multi_account, target_share)
        # Statements 2 and 3 of both policies: what the target accounts' SageMaker roles write here. The bucket is
        # BucketOwnerEnforced (ACLs off, the bucket owns every object: S3 User Guide, about-object-ownership), so
        # no s3:x-amz-acl bucket-owner-full-control condition is needed on these cross-account writes.
        self._share_writes(multi_account, capture_share, [capture_prefix], index=2,
                           sids=("TargetAccountsCapture", "TargetAccountsEncryptCaptures"))
        self._share_writes(multi_account, model_write_share, [DATA_CAPTURE_PREFIX, MONITORING_PREFIX], index=3,
                           sids=("TargetAccountsModelWrite", "TargetAccountsEncryptModelWrites"))

    def _share_with(self, multi_account: cdk.CfnCondition, share: tuple[dict, dict]) -> None:
        """Add read statements for the target accounts' deploy-action and model roles (only those), present
        only under the MultiAccount condition."""
        principals, condition = share
        bucket_statement = {
            "Sid": "TargetAccountsRead", "Effect": "Allow", "Principal": principals, "Condition": condition,
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": [self.bucket.bucket_arn, f"{self.bucket.bucket_arn}/*"]}
        key_statement = {
            "Sid": "TargetAccountsDecrypt", "Effect": "Allow", "Principal": principals, "Condition": condition,
            "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
        # Index 1: after the deny-non-TLS statement that enforce_ssl adds first.
        self._put_statements(multi_account, 1, bucket_statement, key_statement)

    def _share_writes(self, multi_account: cdk.CfnCondition, share: tuple[dict, dict], prefixes: list[str], *,
                      index: int, sids: tuple[str, str]) -> None:
        """Let the target accounts' roles in `share` (only those) put objects under `prefixes`, with the key to
        encrypt them; present only under the MultiAccount condition. An SSE-KMS upload needs kms:GenerateDataKey
        on the key (S3 User Guide, UsingKMSEncryption, "Permissions"); a multipart one also kms:Decrypt, which
        the read statement gives these roles."""
        principals, condition = share
        bucket_sid, key_sid = sids
        bucket_statement = {
            "Sid": bucket_sid, "Effect": "Allow", "Principal": principals, "Condition": condition,
            "Action": ["s3:PutObject"], "Resource": [f"{self.bucket.bucket_arn}/{prefix}/*" for prefix in prefixes]}
        key_statement = {
            "Sid": key_sid, "Effect": "Allow", "Principal": principals, "Condition": condition,
            "Action": KEY_WRITE, "Resource": "*"}
        self._put_statements(multi_account, index, bucket_statement, key_statement)

    def _put_statements(self, multi_account: cdk.CfnCondition, index: int, bucket_statement: dict,
                        key_statement: dict) -> None:
        """Statement `index` of the bucket policy and of the key policy, present only under MultiAccount."""
        self.bucket.policy.node.default_child.add_property_override(
            f"PolicyDocument.Statement.{index}", cdk.Fn.condition_if(multi_account.logical_id, bucket_statement,
                                                                     cdk.Aws.NO_VALUE))
        self.key.node.default_child.add_property_override(
            f"KeyPolicy.Statement.{index}", cdk.Fn.condition_if(multi_account.logical_id, key_statement,
                                                                cdk.Aws.NO_VALUE))

    def grant_read_write(self, grantee: iam.IGrantable) -> None:
        """Objects read/write in the bucket, with the key (explicit actions, not CDK's wildcard groups)."""
        self._grant(grantee, OBJECT_READ + OBJECT_WRITE, KEY_READ + KEY_WRITE)

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Objects read in the bucket, with the key."""
        self._grant(grantee, OBJECT_READ, KEY_READ)

    def grant_write_under(self, grantee: iam.IGrantable, *prefixes: str) -> None:
        """Put objects under these prefixes only (SageMaker's captures and reports), with the key to encrypt them."""
        principal = grantee.grant_principal
        principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{prefix}/*") for prefix in prefixes]))
        principal.add_to_principal_policy(iam.PolicyStatement(actions=KEY_WRITE, resources=[self.key.key_arn]))

    def _grant(self, grantee: iam.IGrantable, object_actions: list[str], key_actions: list[str]) -> None:
        principal = grantee.grant_principal
        principal.add_to_principal_policy(iam.PolicyStatement(actions=BUCKET_READ,
                                                              resources=[self.bucket.bucket_arn]))
        principal.add_to_principal_policy(iam.PolicyStatement(actions=object_actions,
                                                              resources=[self.bucket.arn_for_objects("*")]))
        principal.add_to_principal_policy(iam.PolicyStatement(actions=key_actions, resources=[self.key.key_arn]))
