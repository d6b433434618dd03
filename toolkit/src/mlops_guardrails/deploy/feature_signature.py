"""The model's input signature, registered by the build repo: what width every request row must have.

The build repo's preprocess step writes signature.json (features, in order, with their types) and the
register step records its S3 URI in the package's CustomerMetadataProperties. Here it is read back and
every CSV row a stage test or a rehearsal would send is checked against it before anything is sent: a
row of another width is not an error to XGBoost (missing values), so it would pass silently.
"""
import csv
from dataclasses import dataclass

from mlops_guardrails.errors import DeployError, InputError
from mlops_guardrails.deploy.json_input import parse_json_object, read_text

PROPERTY = "FeatureSignatureS3Uri"  # the build repo's pipeline.py: SIGNATURE_PROPERTY
BAD_SHAPE = "{source}: {field}: {rule} (the build repo's preprocess.py writes this file)"
UNREADABLE = "{source}: {error}: cannot read the model's feature signature ({owner})"
WRONG_WIDTH = ("{rows} row {index}: {width} values, but {model} takes {count} features ({names}){more}: "
               "make the rows match the model (sample-data/README.md)")


@dataclass(frozen=True)
class Signature:
    """The model's features in order, and where they were read."""

    names: tuple[str, ...]
    source: str

    @property
    def count(self) -> int:
        return len(self.names)


def parse(text: str, source: str) -> Signature:
    """signature.json -> Signature; InputError naming the field and the rule when its shape is wrong."""
    document = parse_json_object(text, source, "the model's feature signature")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise InputError(BAD_SHAPE.format(source=source, field="features", rule="must be a non-empty list"))
    names = [feature.get("name") if isinstance(feature, dict) else None for feature in features]
    if not all(isinstance(name, str) and name for name in names):
        raise InputError(BAD_SHAPE.format(source=source, field="features[].name", rule="every feature needs a name"))
    if document.get("count", len(names)) != len(names):
        raise InputError(BAD_SHAPE.format(source=source, field="count",
                                          rule=f"{document['count']} but {len(names)} features are listed"))
    return Signature(names=tuple(names), source=source)


def for_package(sm, s3, arn: str) -> Signature | None:
    """The signature registered with model package `arn`; None for a package registered without one."""
    uri = sm.describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties", {}).get(PROPERTY)
    return read(uri, s3, f"model package {arn}") if uri else None


def read(where: str, s3, owner: str) -> Signature:
    """The signature at an s3:// URI (through `s3`) or a local path; DeployError naming it and `owner` when it
    cannot be read, InputError when its shape is wrong."""
    if not where.startswith("s3://"):
        return parse(read_text(where, "the model's feature signature"), where)
    bucket, _, key = where.removeprefix("s3://").partition("/")
    try:
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DeployError(UNREADABLE.format(source=where, error=f"not UTF-8 (byte {error.start})", owner=owner)) from error
    except s3.exceptions.ClientError as error:
        raise DeployError(UNREADABLE.format(source=where, error=error.response["Error"]["Code"], owner=owner)) from error
    return parse(text, where)


def row_width(row: str) -> int:
    return len(next(csv.reader([row]), []))


def width_problems(rows: list[str], count: int, *, rows_name: str, model: str, names: tuple[str, ...] = ()) -> list[str]:
    """One line per kind of mismatch: the first row of another width than `count`, with how many more there are."""
    wrong = [(index, row_width(row)) for index, row in enumerate(rows, start=1) if row_width(row) != count]
    if not wrong:
        return []
    index, width = wrong[0]
    more = f"; {len(wrong) - 1} more row(s) of another width" if len(wrong) > 1 else ""
    listed = ", ".join(names) if names else "names unknown: no signature registered"
    return [WRONG_WIDTH.format(rows=rows_name, index=index, width=width, model=model, count=count, names=listed,
                               more=more)]


def check_rows(rows: list[str], signature: Signature, *, rows_name: str, model: str) -> None:
    """InputError naming the rows, the model and both widths unless every row has the signature's width."""
    problems = width_problems(rows, signature.count, rows_name=rows_name, model=model, names=signature.names)
    if problems:
        raise InputError(problems[0])
