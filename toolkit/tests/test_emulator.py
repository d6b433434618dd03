import os
import socket

import boto3
import pytest

from mlops_guardrails.emulator import embedded_emulator, emulator_for_run, loopback_only


def test_loopback_only_refuses_other_hosts_and_allows_loopback():
    with loopback_only():
        with pytest.raises(OSError, match="looked up example.com: offline runs and tests talk to 127.0.0.1 only"):
            socket.getaddrinfo("example.com", 443)
        with socket.socket() as raw, pytest.raises(OSError, match=r"connected to \('192.0.2.1', 443\)"):
            raw.connect(("192.0.2.1", 443))
        assert socket.getaddrinfo("127.0.0.1", 80)


def test_embedded_emulator_serves_boto3_on_loopback(emulator):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="emulator-smoke-test")
    assert "emulator-smoke-test" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert emulator.startswith("http://127.0.0.1:")


def test_embedded_emulator_restores_the_environment_and_closes_its_port_on_exit(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with embedded_emulator() as url:
        assert os.environ["AWS_ENDPOINT_URL"] == url
        port = int(url.rsplit(":", 1)[1])
        boto3.client("s3").create_bucket(Bucket="emulator-stop-test")
    assert "AWS_ENDPOINT_URL" not in os.environ
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_emulator_for_run_reuses_the_emulator_at_aws_endpoint_url(emulator):
    with emulator_for_run() as (url, started):
        assert (url, started) == (emulator, False)
        assert os.environ["AWS_ENDPOINT_URL"] == emulator


def test_emulator_for_run_starts_one_when_none_is_set_and_stops_it_after(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with emulator_for_run() as (url, started):
        assert started and url.startswith("http://127.0.0.1:")
        assert "Buckets" in boto3.client("s3").list_buckets()
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_approving_a_package_keeps_its_metadata_and_removes_only_what_is_named(emulator):
    sm = boto3.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="keeps-metadata")
    arn = sm.create_model_package(
        ModelPackageGroupName="keeps-metadata", ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": "image", "ModelDataUrl": "s3://b/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        CustomerMetadataProperties={"FeatureSignatureS3Uri": "s3://b/signature.json", "Owner": "team"},
    )["ModelPackageArn"]

    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"] == {
        "FeatureSignatureS3Uri": "s3://b/signature.json", "Owner": "team"}

    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"Reviewed": "yes"},
                            CustomerMetadataPropertiesToRemove=["Owner"])
    assert sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"] == {
        "FeatureSignatureS3Uri": "s3://b/signature.json", "Reviewed": "yes"}
