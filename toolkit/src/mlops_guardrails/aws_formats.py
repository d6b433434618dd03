"""AWS's own formats for the names and ARNs the project passes around, checked before anything is written.

The model-build and model-deploy seeds carry this same module (a seed never imports the other); the
project template's repository tests that the two copies stay equal.
"""
import itertools
import re
import sys
import unicodedata
from functools import lru_cache

# kind -> (pattern, rule). Patterns and lengths from botocore's SageMaker service model (ProjectEntityName,
# ProjectId, EntityName, EndpointName, PipelineName, RoleArn; the same RoleArn pattern serves STS's AssumeRole) and S3's
# bucket naming rules (S3 User Guide, "General purpose bucket naming rules").
FORMATS = {
    "project name": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", "1-32 letters, digits and hyphens, no hyphen first or last"),
    "project id": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}", "1-20 letters, digits and hyphens, no hyphen first or last"),
    "model package group": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "1-63 letters, digits and hyphens, no hyphen first or last"),
    "endpoint name": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "1-63 letters, digits and hyphens, no hyphen first or last"),
    "pipeline name": (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}", "1-256 letters, digits and hyphens, no hyphen first or last"),
    "bucket": (r"(?!\d+\.\d+\.\d+\.\d+$)(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)"
               r"(?!.*(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
               "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit first and last, "
               "none of S3's reserved prefixes (xn--, sthree-, amzn-s3-demo-) or suffixes (-s3alias, --ol-s3, .mrap, "
               "--x-s3, --table-s3)"),
    "role arn": (r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
                 "an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"),
}

# The longest each may be: a pattern such as [a-zA-Z0-9](-*[a-zA-Z0-9]){0,31} bounds the letters, not the hyphens.
MAX_LENGTH = {"project name": 32, "project id": 20, "model package group": 63, "endpoint name": 63,
              "pipeline name": 256, "bucket": 63, "role arn": 2048}
# Tag keys AWS keeps for itself (Tagging AWS resources: "aws:" prefixed keys are reserved, any case).
RESERVED_TAG_PREFIX = "aws:"
_UNICODE_CLASS = re.compile(r"\\p\{([A-Z])\}")


def problem(field: str, value: str, kind: str) -> str | None:
    """`<field>: <value>: must be <rule>` when `value` breaks AWS's format for `kind`, else None."""
    pattern, rule = FORMATS[kind]
    if isinstance(value, str) and len(value) <= MAX_LENGTH[kind] and re.fullmatch(pattern, value):
        return None
    return f"{field}: {value!r}: must be {rule}"


def shape_problems(value, shape, path: str = "") -> list[str]:
    """What botocore's own validator leaves out, for a request or a part of it against its botocore shape:
    maximum lengths and counts, every string's pattern (Java's \\p{L}-style classes included) and the
    reserved tag prefix; each as `<field.path>: <value>: <rule>`."""
    if shape.type_name == "structure" and isinstance(value, dict):
        found = [p for key, member in shape.members.items() if key in value
                 for p in shape_problems(value[key], member, f"{path}.{key}" if path else key)]
        key = value.get("Key")
        if shape.name == "Tag" and isinstance(key, str) and key.lower().startswith(RESERVED_TAG_PREFIX):
            found.append(f"{path}.Key: {key!r}: the {RESERVED_TAG_PREFIX} prefix is reserved for AWS's own tags")
        return found
    limit = shape.metadata.get("max")
    if shape.type_name == "list" and isinstance(value, list):
        found = [f"{path}: {len(value)} items: at most {limit} ({shape.name} in the API)"] if limit is not None and len(value) > limit else []
        return found + [p for i, item in enumerate(value) for p in shape_problems(item, shape.member, f"{path}[{i}]")]
    if shape.type_name != "string" or not isinstance(value, str):
        return []
    shown = value if len(value) <= 40 else value[:37] + "..."
    if limit is not None and len(value) > limit:
        return [f"{path}: {shown!r}: {len(value)} characters, at most {limit} ({shape.name} in the API)"]
    pattern = shape.metadata.get("pattern")
    if pattern and not re.fullmatch(python_pattern(pattern), value):
        return [f"{path}: {shown!r}: must match {pattern} ({shape.name} in the API)"]
    return []


@lru_cache(maxsize=None)
def python_pattern(pattern: str) -> str:
    """An API pattern for Python's re: each \\p{X} (a Unicode general category, which re lacks) becomes
    the ranges of code points in it, inside a character class or as one."""
    parts, in_class, index = [], False, 0
    while index < len(pattern):
        match = _UNICODE_CLASS.match(pattern, index)
        if match:
            ranges = _category_ranges(match.group(1))
            parts.append(ranges if in_class else f"[{ranges}]")
            index = match.end()
            continue
        char = pattern[index]
        if char == "\\":
            parts.append(pattern[index:index + 2])
            index += 2
            continue
        in_class = (in_class or char == "[") and not (in_class and char == "]")
        parts.append(char)
        index += 1
    return "".join(parts)


def _category_ranges(major: str) -> str:
    return _all_category_ranges().get(major, "")


@lru_cache(maxsize=None)
def _all_category_ranges() -> dict[str, str]:
    """Per major general category (L, M, N, P, S, Z...), its code points as re ranges; one pass, once."""
    ranges: dict[str, list[str]] = {}
    runs = itertools.groupby(range(sys.maxunicode + 1), lambda code: unicodedata.category(chr(code))[0])
    start = 0
    for major, run in runs:
        end = start + sum(1 for _ in run) - 1
        ranges.setdefault(major, []).append(f"\\U{start:08x}" + (f"-\\U{end:08x}" if end > start else ""))
        start = end + 1
    return {major: "".join(parts) for major, parts in ranges.items()}
