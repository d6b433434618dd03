"""published_versions: a publish adds a version (a new provisioning artifact, a new S3 prefix) and lists them all."""
import boto3
from botocore.stub import Stubber

import published_versions
from seed_zips import seed_stamp, zip_seed

PRODUCT = "prod-abcdefghijklm"
URL = "https://assets.s3.us-east-1.amazonaws.com/sagemaker-project/2.0.0/sagemaker-project.json"


def artifacts(*names):
    return {"ProvisioningArtifactDetails": [{"Id": f"pa-{name.replace('.', '')}", "Name": name, "Active": True}
                                            for name in names]}


def test_a_new_version_is_a_new_provisioning_artifact_beside_the_old_one():
    sc = boto3.client("servicecatalog", region_name="us-east-1")
    with Stubber(sc) as stub:
        stub.add_response("list_provisioning_artifacts", artifacts("1.0.0"), {"ProductId": PRODUCT})
        stub.add_response("create_provisioning_artifact", {"ProvisioningArtifactDetail": {"Id": "pa-200"}}, {
            "ProductId": PRODUCT, "IdempotencyToken": "publish-2.0.0",
            "Parameters": {"Name": "2.0.0", "Description": "Project template 2.0.0",
                           "Info": {"LoadTemplateFromURL": URL}, "Type": "CLOUD_FORMATION_TEMPLATE"}})
        assert published_versions.add_product_version(sc, PRODUCT, "2.0.0", URL) == ("pa-200", True)
        stub.assert_no_pending_responses()


def test_a_version_already_published_is_not_added_twice():
    sc = boto3.client("servicecatalog", region_name="us-east-1")
    with Stubber(sc) as stub:  # no create_provisioning_artifact stubbed: calling it would fail the test
        stub.add_response("list_provisioning_artifacts", artifacts("1.0.0", "2.0.0"), {"ProductId": PRODUCT})
        assert published_versions.add_product_version(sc, PRODUCT, "2.0.0", URL) == ("pa-200", False)


def test_s3_versions_lists_each_prefix_with_its_stamped_commit(emulator, tmp_path):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="versions-listed")
    seed = tmp_path / "seed-build"
    seed.mkdir()
    (seed / "buildspec.yml").write_text("version: 0.2\n")
    for version, commit in (("1.0.0", "ae859d0"), ("2.0.0", "f00ba47")):
        body = zip_seed(seed, tmp_path / f"{version}.zip", seed_stamp(seed, version, commit)).read_bytes()
        s3.put_object(Bucket="versions-listed", Key=f"sagemaker-project/{version}/seed-build.zip", Body=body)
        s3.put_object(Bucket="versions-listed", Key=f"sagemaker-project/{version}/sagemaker-project.json", Body=b"{}")
    rows = published_versions.s3_versions(s3, "versions-listed")
    assert rows == [{"version": "1.0.0", "objects": 2, "source_commit": "ae859d0"},
                    {"version": "2.0.0", "objects": 2, "source_commit": "f00ba47"}]
    assert published_versions.listing(rows, artifacts("1.0.0")["ProvisioningArtifactDetails"]) == [
        "s3 1.0.0        2 objects, source commit ae859d0", "s3 2.0.0        2 objects, source commit f00ba47",
        "service-catalog 1.0.0        artifact pa-100"]


def test_the_portfolio_stack_keeps_its_first_version_and_key(emulator):
    import json

    import publish

    template = {"Parameters": {"ProductVersion": {"Type": "String"}, "TemplateKey": {"Type": "String"}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    assert publish.first_product_version("portfolio-first-version") is None
    boto3.client("cloudformation").create_stack(StackName="portfolio-first-version", TemplateBody=json.dumps(template),
                                                Parameters=[{"ParameterKey": "ProductVersion", "ParameterValue": "1.0.0"},
                                                            {"ParameterKey": "TemplateKey", "ParameterValue":
                                                             "sagemaker-project/1.0.0/sagemaker-project.json"}])
    assert publish.first_product_version("portfolio-first-version") == (
        "1.0.0", "sagemaker-project/1.0.0/sagemaker-project.json")


def test_publish_list_prints_the_versions_in_the_bucket(emulator, capsys):
    import publish

    boto3.client("s3").create_bucket(Bucket="versions-cli")
    boto3.client("s3").put_object(Bucket="versions-cli", Key="sagemaker-project/1.0.0/sagemaker-project.json", Body=b"{}")
    assert publish.main(["--list", "--asset-bucket", "versions-cli"]) == 0
    assert capsys.readouterr().out == "s3 1.0.0        1 objects, source commit -\n"
