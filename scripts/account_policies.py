"""An account's IAM principals as the offline evaluator (iam_policy) sees them, read with Get/List calls only:
inline policies (GetRolePolicy / GetUserPolicy), attached managed ones (ListAttached*Policies, GetPolicy,
GetPolicyVersion: AWS managed policies included), a user's groups, and the permissions boundary."""
import ast
import json
from urllib.parse import unquote

from iam_policy import Principal


def document(value) -> dict:
    """A policy document as IAM returns it: a dict (boto3 decodes it), URL-encoded JSON, or (moto) a dict's repr."""
    if isinstance(value, dict):
        return value
    text = unquote(value)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return ast.literal_eval(text)


def statements(policy: dict) -> list[dict]:
    found = policy.get("Statement", [])
    return found if isinstance(found, list) else [found]


def managed_statements(iam, arn: str) -> list[dict]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return statements(document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]))


def attached_policies(iam, *, role: str | None = None, user: str | None = None, group: str | None = None) -> list[dict]:
    """[{PolicyName, PolicyArn}] attached to the role, user or group."""
    kind, name = next((k, v) for k, v in (("role", role), ("user", user), ("group", group)) if v)
    operation = f"list_attached_{kind}_policies"
    key = {"role": "RoleName", "user": "UserName", "group": "GroupName"}[kind]
    return [p for page in iam.get_paginator(operation).paginate(**{key: name}) for p in page["AttachedPolicies"]]


def _inline(iam, kind: str, name: str) -> list[dict]:
    key = {"role": "RoleName", "user": "UserName", "group": "GroupName"}[kind]
    names = [n for page in iam.get_paginator(f"list_{kind}_policies").paginate(**{key: name})
             for n in page["PolicyNames"]]
    getter = getattr(iam, f"get_{kind}_policy")
    return [s for n in names for s in statements(document(getter(**{key: name, "PolicyName": n})["PolicyDocument"]))]


def _identity_statements(iam, kind: str, name: str) -> list[dict]:
    found = _inline(iam, kind, name)
    for policy in attached_policies(iam, **{kind: name}):
        found += managed_statements(iam, policy["PolicyArn"])
    return found


def role_principal(iam, role_name: str) -> Principal:
    """A role's identity statements and its permissions boundary (if any)."""
    role = iam.get_role(RoleName=role_name)["Role"]
    boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return Principal(role_name, _identity_statements(iam, "role", role_name),
                     managed_statements(iam, boundary) if boundary else None)


def user_principal(iam, user_name: str) -> Principal:
    """A user's own statements, its groups' statements, and its permissions boundary (if any)."""
    user = iam.get_user(UserName=user_name)["User"]
    found = _identity_statements(iam, "user", user_name)
    for page in iam.get_paginator("list_groups_for_user").paginate(UserName=user_name):
        for group in page["Groups"]:
            found += _identity_statements(iam, "group", group["GroupName"])
    boundary = user.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return Principal(user_name, found, managed_statements(iam, boundary) if boundary else None)


def caller_principal(iam, caller_arn: str) -> tuple[Principal | None, str]:
    """The caller of GetCallerIdentity as a Principal, or None and why it cannot be read (root, federated users)."""
    resource = caller_arn.split(":", 5)[5]
    if resource.startswith("assumed-role/"):
        return role_principal(iam, resource.split("/")[1]), "session policies of this session are not visible"
    if resource.startswith("user/"):
        return user_principal(iam, resource.rsplit("/", 1)[1]), ""
    return None, f"{caller_arn}: neither an IAM role session nor an IAM user: its policies cannot be read"
