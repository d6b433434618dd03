"""Every published template version is kept and named: S3 prefixes sagemaker-project/<version>/ and the Service
Catalog product's provisioning artifacts (one per version, added with CreateProvisioningArtifact, never replaced)."""
import io
import zipfile

from seed_zips import STAMP_FILE, read_stamp

VERSIONS_ROOT = "sagemaker-project/"  # publish.Options.prefix: sagemaker-project/<version>/
STAMPED_SEED = "seed-build.zip"  # its stamp names the source commit of the whole version


def s3_versions(s3, bucket: str) -> list[dict]:
    """The versions published under s3://bucket/sagemaker-project/, each with its object count and source commit."""
    versions = []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=VERSIONS_ROOT, Delimiter="/")
    for prefix in (p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])):
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for o in page.get("Contents", [])]
        commit = stamp_of(s3, bucket, prefix + STAMPED_SEED).get("source_commit", "-") \
            if prefix + STAMPED_SEED in keys else "-"
        versions.append({"version": prefix[len(VERSIONS_ROOT):-1], "objects": len(keys), "source_commit": commit})
    return versions


def stamp_of(s3, bucket: str, key: str) -> dict:
    """The stamp inside a published seed zip ({} for a zip published before stamps existed)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return read_stamp(archive.read(STAMP_FILE).decode()) if STAMP_FILE in archive.namelist() else {}


def product_versions(sc, product_id: str) -> list[dict]:
    """The product's provisioning artifacts: one per published version."""
    return sc.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"]


def add_product_version(sc, product_id: str, version: str, template_url: str) -> tuple[str, bool]:
    """A new provisioning artifact named `version` on the product; the others stay. Returns (artifact id, created):
    a version already there is reused, so a rerun of an interrupted publish adds it once."""
    existing = next((a for a in product_versions(sc, product_id) if a["Name"] == version), None)
    if existing:
        return existing["Id"], False
    detail = sc.create_provisioning_artifact(
        ProductId=product_id, IdempotencyToken=f"publish-{version}",
        Parameters={"Name": version, "Description": f"Project template {version}",
                    "Info": {"LoadTemplateFromURL": template_url}, "Type": "CLOUD_FORMATION_TEMPLATE"},
    )["ProvisioningArtifactDetail"]
    return detail["Id"], True


def artifact_id(sc, product_id: str, version: str) -> str | None:
    """The provisioning artifact of `version`, or None when that version was never published on the product."""
    return next((a["Id"] for a in product_versions(sc, product_id) if a["Name"] == version), None)


def listing(s3_rows: list[dict], product_rows: list[dict]) -> list[str]:
    """What `publish --list` prints: one line per version and place."""
    lines = [f"s3 {row['version']:<12} {row['objects']} objects, source commit {row['source_commit']}"
             for row in s3_rows]
    lines += [f"service-catalog {row['Name']:<12} artifact {row['Id']}" + ("" if row.get("Active", True)
                                                                           else " (inactive)")
              for row in product_rows]
    return lines or ["nothing published yet"]
