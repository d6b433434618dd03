"""The S3-based project template: the template as YAML, the bucket's CORS rule for Studio, the tags, the launch role.

Each rule below follows AWS's admin setup for S3 templates in the SageMaker Developer Guide,
https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-projects-templates-custom.html#sagemaker-projects-templates-s3
("Using a template from an Amazon S3 bucket"), unless its comment names another source."""
import json
import shlex

import yaml

DOCS = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-projects-templates-custom.html"
TEMPLATE_NAME = "sagemaker-project"
# AWS's launch post for S3 templates: "Your custom templates must be valid CloudFormation files in YAML format"
# (aws.amazon.com/blogs/machine-learning, "Simplify MLOps ... S3-based project templates", 2026-01).
YAML_KEY = f"{TEMPLATE_NAME}.yaml"
# Step 3 of the admin setup: the template object carries this tag to be visible in Studio.
VISIBILITY_TAG = {"Key": "sagemaker:studio-visibility", "Value": "true"}
# Step 5: the domain carries this tag; its value is the S3 location Studio lists templates from.
DOMAIN_TAG_KEY = "sagemaker:projectS3TemplatesLocation"
# Step 2 asks for a CORS rule on the bucket (S3's CORS format:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enabling-cors-examples.html). Studio is served from
# https://<domain>.studio.<region>.sagemaker.aws; the origin, methods and headers are those of AWS's own sample
# (aws-samples/sagemaker-custom-project-templates, s3_templates/cors-policy.json). Templates are only read, so
# this rule allows GET and HEAD where the sample also allowed writes.
STUDIO_CORS_RULE = {
    "ID": "sagemaker-studio-project-templates",
    "AllowedOrigins": ["https://*.sagemaker.aws"],
    "AllowedMethods": ["GET", "HEAD"],
    "AllowedHeaders": ["*"],
    "ExposeHeaders": ["ETag", "x-amz-delete-marker", "x-amz-id-2", "x-amz-request-id",
                      "x-amz-server-side-encryption", "x-amz-version-id"],
}


def template_yaml(template: dict) -> str:
    """The synthesized template as CloudFormation YAML (long-form intrinsics, which YAML and JSON share)."""
    return yaml.safe_dump(template, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)


def same_template(json_text: str, yaml_text: str) -> bool:
    """True when both texts parse to the same template (the check publish runs before it uploads)."""
    return json.loads(json_text) == yaml.safe_load(yaml_text)


def templates_location(bucket: str, prefix: str) -> str:
    """The domain tag's value: s3://<bucket>/<prefix> (the prefix ends with a slash)."""
    return f"s3://{bucket}/{prefix}"


def template_url(bucket: str, key: str, region: str) -> str:
    """The https URL CreateProject's CfnTemplateProvider.TemplateURL takes (pattern https://host/path)."""
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def domain_arn(domain_id: str, region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sagemaker:{region}:{account}:domain/{domain_id}"


def domain_tag_command(arn: str, location: str) -> str:
    """The AWS CLI command that tags the domain (printed when publish is not given --studio-domain-id)."""
    return ("aws sagemaker add-tags --resource-arn " + shlex.quote(arn) + " --tags "
            + shlex.quote(f"Key={DOMAIN_TAG_KEY},Value={location}"))


def merged_cors_rules(existing: list[dict]) -> list[dict] | None:
    """The bucket's CORS rules with Studio's rule added, or None when it is already there. Other rules stay:
    PutBucketCors replaces the whole configuration, and the bucket may serve others too."""
    if STUDIO_CORS_RULE in existing:
        return None
    return [rule for rule in existing if rule.get("ID") != STUDIO_CORS_RULE["ID"]] + [STUDIO_CORS_RULE]


def ensure_cors(s3, bucket: str) -> bool:
    """Add Studio's CORS rule to `bucket`; False when it was already set (nothing changed)."""
    from botocore.exceptions import ClientError

    try:
        existing = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
            raise
        existing = []
    rules = merged_cors_rules(existing)
    if rules is None:
        return False
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    return True


def tag_domain(sagemaker, arn: str, location: str) -> None:
    """AddTags on the Studio domain: Studio lists the S3 templates found at `location`."""
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": DOMAIN_TAG_KEY, "Value": location}])
