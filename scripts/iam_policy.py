"""Offline IAM policy evaluation for one principal: identity statements, permissions boundary, explicit deny.

Follows IAM's evaluation logic for a single account (docs: IAM User Guide, "Policy evaluation logic"): an
explicit Deny in any policy wins; otherwise the request needs an Allow in the identity policies and, when the
role has a permissions boundary, an Allow in the boundary too. Action and Resource match with IAM's `*`/`?`
wildcards (actions case-insensitively); NotAction / NotResource are honoured. Policy variables
(`${aws:ResourceTag/k}`, `${aws:PrincipalTag/k, 'default'}`) in Resource and condition values take the request's
value (IAM User Guide, "Policy variables"); one with no value and no default matches nothing. Conditions: the
String*, Arn*, Null and Bool operators (with ...IfExists), single- and multi-valued keys; any other operator
raises, so nothing is silently treated as true. Across accounts, cross_account_decide adds the resource policy
(bucket, key) that must allow the caller too.
"""
import json
import re
from dataclasses import dataclass, field

ALLOW, DENY, IMPLICIT_DENY = "Allow", "Deny", "ImplicitDeny"


class PolicyError(ValueError):
    """A policy this evaluator cannot judge (an unsupported condition operator or an unresolved token)."""


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


_VARIABLE = re.compile(r"\$\{([^},]+?)(?:\s*,\s*'([^']*)')?\}")


def substitute(pattern: str, context: dict) -> str | None:
    """`pattern` with its policy variables replaced from `context` (keys case-insensitive); None when one has
    neither a value nor a default, which IAM treats as matching nothing."""
    present = {k.lower(): v for k, v in context.items()}
    missing = False

    def replace(match: re.Match) -> str:
        nonlocal missing
        value = present.get(match.group(1).strip().lower(), match.group(2))
        if value is None or isinstance(value, list):
            missing = True
            return ""
        return str(value)

    result = _VARIABLE.sub(replace, pattern)
    return None if missing else result


def action_matches(pattern: str, action: str) -> bool:
    """IAM's action matching: `*`/`?` wildcards, case-insensitive (kms:GenerateDataKey* covers kms:GenerateDataKey)."""
    return _wildcard(pattern, action, case_sensitive=False)


def _string_test(operator: str):
    tests = {
        "StringEquals": lambda p, v: p == v,
        "StringNotEquals": lambda p, v: p == v,  # negated below
        "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
        "StringLike": lambda p, v: _wildcard(p, v),
        "StringNotLike": lambda p, v: _wildcard(p, v),
        "ArnEquals": lambda p, v: p == v,
        "ArnLike": lambda p, v: _wildcard(p, v),
        "ArnNotEquals": lambda p, v: p == v,
        "ArnNotLike": lambda p, v: _wildcard(p, v),
        "Bool": lambda p, v: str(p).lower() == str(v).lower(),
    }
    if operator not in tests:
        raise PolicyError(f"condition operator {operator}: not evaluated offline")
    return tests[operator]


def _condition_holds(operator: str, key: str, expected, context: dict) -> bool:
    qualifier, _, base = operator.rpartition(":")  # ForAnyValue:StringLike -> ("ForAnyValue", "StringLike")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    present = {k.lower(): v for k, v in context.items()}
    if base == "Null":
        return (key.lower() not in present) == (str(_as_list(expected)[0]).lower() == "true")
    test = _string_test(base)  # an unknown operator raises here, whatever the context holds
    if key.lower() not in present:
        if if_exists:
            return True
        # A missing key fails every positive operator and, single-valued, satisfies the negated ones.
        return base.startswith(("StringNot", "ArnNot")) and qualifier != "ForAnyValue"
    negated = base.startswith(("StringNot", "ArnNot"))
    values = _as_list(present[key.lower()])
    patterns = [p for p in (substitute(str(e), context) for e in _as_list(expected)) if p is not None]
    if qualifier == "ForAllValues":
        return all(any(test(p, str(v)) for p in patterns) != negated for v in values)
    if negated:  # ForAnyValue:StringNotEquals (or single-valued): some value matches none of the patterns
        return any(not any(test(p, str(v)) for p in patterns) for v in values)
    return any(test(p, str(v)) for v in values for p in patterns)


@dataclass
class Request:
    """One authorization request: action (service:Action), resource ARN and the request's condition keys."""

    action: str
    resource: str
    context: dict = field(default_factory=dict)


def statement_matches(statement: dict, request: Request) -> bool:
    """Whether `statement` applies to `request` (action, resource and every condition)."""
    if "Action" in statement:
        if not any(_wildcard(a, request.action, case_sensitive=False) for a in _as_list(statement["Action"])):
            return False
    elif any(_wildcard(a, request.action, case_sensitive=False) for a in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_resource_matches(r, request) for r in _as_list(statement["Resource"])):
            return False
    elif any(_resource_matches(r, request) for r in _as_list(statement["NotResource"])):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, [_text(e) for e in _as_list(expected)], request.context):
                return False
    return True


def _resource_matches(pattern, request: Request) -> bool:
    pattern = substitute(_text(pattern), request.context)
    return pattern is not None and _wildcard(pattern, request.resource)


def _text(value) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{value!r}: an unresolved intrinsic; resolve the template first (resolve.py)")
    return value


@dataclass
class Principal:
    """A role as IAM sees it: its identity statements and, if any, its permissions boundary's statements."""

    name: str
    statements: list[dict]
    boundary: list[dict] | None = None

    def decide(self, request: Request) -> str:
        """Allow, Deny (an explicit deny matched) or ImplicitDeny (no allow matched)."""
        policies = [self.statements] + ([self.boundary] if self.boundary is not None else [])
        matching = [[s for s in policy if statement_matches(s, request)] for policy in policies]
        if any(s["Effect"] == "Deny" for found in matching for s in found):
            return DENY
        if all(any(s["Effect"] == "Allow" for s in found) for found in matching):
            return ALLOW
        return IMPLICIT_DENY

    def allowed_actions(self) -> set[str]:
        """The actions named by the identity policy's Allow statements (as written, wildcards kept)."""
        return {action for s in self.statements if s["Effect"] == "Allow" for action in _as_list(s.get("Action", []))}


def role_principals(resolved_template: dict, boundaries: dict[str, list[dict]] | None = None) -> dict[str, Principal]:
    """Every AWS::IAM::Role of a resolved template (resolve.py) with its inline and attached-policy
    statements; a role's PermissionsBoundary is looked up in `boundaries` (ARN -> statements) or, when it names
    a managed policy of the same template (`<LogicalId>`), read from it."""
    resources = resolved_template["Resources"]
    boundaries = dict(boundaries or {})
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            boundaries[f"<{logical_id}>"] = resource["Properties"]["PolicyDocument"]["Statement"]
    principals = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        props = resource["Properties"]
        statements = [s for policy in props.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
        for other in resources.values():
            if other["Type"] == "AWS::IAM::Policy" and f"<{logical_id}>" in other["Properties"].get("Roles", []):
                statements += other["Properties"]["PolicyDocument"]["Statement"]
        boundary = props.get("PermissionsBoundary")
        if boundary is not None and boundary not in boundaries:
            raise PolicyError(f"{logical_id}: permissions boundary {boundary}: its statements were not given")
        principals[logical_id] = Principal(logical_id, statements, boundaries.get(boundary) if boundary else None)
    return principals


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def principal_matches(statement: dict, principal_arn: str) -> bool:
    """Whether a resource policy statement's Principal names the caller `principal_arn` (an IAM role or user
    ARN): `*`, the caller's exact ARN, or its account (the root ARN or the bare id, which trusts every principal
    of that account its own policies allow). Service principals never match an IAM caller."""
    if "NotPrincipal" in statement:
        raise PolicyError("NotPrincipal: not evaluated offline")
    principal = statement["Principal"]
    if principal == "*":
        return True
    account, partition = _account_of(principal_arn), principal_arn.split(":")[1]
    accepted = {"*", principal_arn, account, f"arn:{partition}:iam::{account}:root"}
    return any(_text(name) in accepted for name in _as_list(principal.get("AWS", [])))


def resource_policy_decides(statements: list[dict], request: Request, principal_arn: str) -> str:
    """A resource policy's own decision (bucket, key or registry policy) for a caller: Allow, Deny or
    ImplicitDeny. The request's context gains aws:PrincipalArn and aws:PrincipalAccount from `principal_arn`."""
    request = Request(request.action, request.resource, {"aws:PrincipalArn": principal_arn,
                                                         "aws:PrincipalAccount": _account_of(principal_arn),
                                                         **request.context})
    matching = [s for s in statements if principal_matches(s, principal_arn) and statement_matches(s, request)]
    if any(s["Effect"] == "Deny" for s in matching):
        return DENY
    return ALLOW if any(s["Effect"] == "Allow" for s in matching) else IMPLICIT_DENY


def cross_account_decide(caller: Principal, principal_arn: str, resource_policy: list[dict], request: Request) -> str:
    """IAM's cross-account evaluation (IAM User Guide, "Cross-account policy evaluation logic"): a caller from
    another account needs an Allow from its own account (identity policies within its boundary) AND from the
    resource's policy; an explicit Deny in either wins."""
    own = caller.decide(Request(request.action, request.resource, {"aws:PrincipalArn": principal_arn,
                                                                   **request.context}))
    theirs = resource_policy_decides(resource_policy, request, principal_arn)
    if DENY in (own, theirs):
        return DENY
    return ALLOW if own == theirs == ALLOW else IMPLICIT_DENY


def trust_matches(role_properties: dict, *, principal: dict, context: dict, action: str = "sts:AssumeRole") -> bool:
    """Whether the role's trust policy lets `principal` ({"Service": ...}, {"AWS": ...} or {"Federated": ...})
    call `action` (sts:AssumeRole, or sts:AssumeRoleWithWebIdentity with an OIDC token's claims as `context`).
    A trust policy given as a JSON string (a resolved Fn::Sub) is parsed."""
    document = role_properties["AssumeRolePolicyDocument"]
    for statement in (json.loads(document) if isinstance(document, str) else document)["Statement"]:
        if statement["Effect"] != "Allow" or action not in _as_list(statement["Action"]):
            continue
        (kind, value), = principal.items()
        if value not in _as_list(statement["Principal"].get(kind, [])):
            continue
        if statement_matches({**statement, "Resource": "*"}, Request(action, "*", context)):
            return True
    return False

