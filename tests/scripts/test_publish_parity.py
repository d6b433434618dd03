"""Both publish paths provision the same project template: the object the Service Catalog product loads
(its provisioning artifact's LoadTemplateFromURL) and the S3 template object hold the same resources,
parameters and defaults."""
import json
import re

import boto3
import pytest
import yaml

import publish
from cdk_apps import synthesize
from publish import Options

BUCKET, VERSION = "parity-assets", "5.0.0"


@pytest.fixture(autouse=True)
def _no_lint(monkeypatch):
    """publish lints every template first (seconds of cfn-lint per call; test_publish_script covers it): these
    tests are about what lands in S3, IAM and the requests, so they skip it."""
    monkeypatch.setattr(publish, "lint", lambda synthesis, region, progress: None)


def _product_template_key(synthesis, monkeypatch) -> str:
    """The key the product's LoadTemplateFromURL resolves to, from the parameters publish gives the portfolio
    stack (the emulator has no Service Catalog products, so the stack call is captured, not made)."""
    given = {}
    monkeypatch.setattr(publish, "deploy_stack", lambda name, body, parameters, progress: given.update(parameters))
    key = f"sagemaker-project/{VERSION}/sagemaker-project.json"
    publish.deploy_portfolio(Options(version=VERSION), BUCKET, key, synthesis, progress=lambda _l: None)
    product = next(r for r in synthesis.template("sagemaker-project-portfolio")["Resources"].values()
                   if r["Type"] == "AWS::ServiceCatalog::CloudFormationProduct")
    url, names = product["Properties"]["ProvisioningArtifactParameters"][0]["Info"]["LoadTemplateFromURL"]["Fn::Sub"]
    values = {"Bucket": given[names["Bucket"]["Ref"]], "Key": given[names["Key"]["Ref"]],
              "AWS::Region": "us-east-1", "AWS::URLSuffix": "amazonaws.com"}
    resolved = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], url)
    assert resolved == f"https://{BUCKET}.s3.us-east-1.amazonaws.com/{key}"
    return resolved.split(".amazonaws.com/", 1)[1]


def test_service_catalog_product_and_s3_template_provision_the_same_template(tmp_path, emulator, monkeypatch):
    # Synthesized as publish does it: the seed location defaults to this version's prefix in the bucket.
    synthesis = synthesize(tmp_path / "templates", seed_bucket=BUCKET, seed_prefix=f"sagemaker-project/{VERSION}/",
                           progress=lambda _line: None)
    quiet = {"synthesis": synthesis, "progress": lambda _line: None}
    publish.publish(Options(version=VERSION, asset_bucket=BUCKET), **quiet)
    publish.publish(Options(version=VERSION, asset_bucket=BUCKET, s3_template=True), **quiet)
    s3 = boto3.client("s3")
    catalog = json.loads(s3.get_object(Bucket=BUCKET, Key=_product_template_key(synthesis, monkeypatch))["Body"].read())
    s3_path = yaml.safe_load(s3.get_object(Bucket=BUCKET, Key=f"sagemaker-project/{VERSION}/sagemaker-project.yaml")[
        "Body"].read())

    assert {k: r["Type"] for k, r in s3_path["Resources"].items()} == {
        k: r["Type"] for k, r in catalog["Resources"].items()}
    assert {k: p.get("Default") for k, p in s3_path["Parameters"].items()} == {
        k: p.get("Default") for k, p in catalog["Parameters"].items()}
    # The seeds both paths point at: the zips this publish uploaded under the version's prefix.
    assert s3_path["Parameters"]["SeedBucket"]["Default"] == BUCKET
    assert s3_path["Parameters"]["BuildSeedKey"]["Default"] == f"sagemaker-project/{VERSION}/seed-build.zip"
    assert s3_path == catalog  # and nothing else differs: conditions, rules, properties, outputs
