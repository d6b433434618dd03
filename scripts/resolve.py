"""Evaluate a synthesized template for one parameter set: conditions, Fn::If, Ref, Fn::Sub, Fn::Join."""
import copy
import re

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
          "AWS::URLSuffix": "amazonaws.com"}
NO_VALUE = object()


class ResolveError(ValueError):
    """A parameter set the template refuses, or an intrinsic this resolver does not evaluate."""


def parameter_values(template: dict, given: dict[str, str]) -> dict[str, str]:
    """Given values over defaults; a parameter with neither, or an unknown name, is an error."""
    declared = template.get("Parameters", {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ResolveError(f"parameters: {unknown}: not declared by the template (declared: {sorted(declared)})")
    values = {}
    for name, spec in declared.items():
        if name not in given and "Default" not in spec:
            raise ResolveError(f"parameters.{name}: missing: the template gives it no default")
        values[name] = given.get(name, spec.get("Default"))
        if name in given:
            check_parameter(name, spec, given[name])
    return values


def check_parameter(name: str, spec: dict, value) -> None:
    """CloudFormation's own checks of a given value: MinLength, MaxLength and AllowedPattern (the whole value
    must match, as CloudFormation matches it), for each entry of a CommaDelimitedList."""
    for item in value if isinstance(value, list) else [value]:
        if len(item) < spec.get("MinLength", 0) or len(item) > spec.get("MaxLength", len(item)):
            raise ResolveError(f"parameters.{name}: {item!r}: length {len(item)} outside "
                               f"{spec.get('MinLength', 0)}-{spec.get('MaxLength', 'any')}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(pattern, item) is None:
            raise ResolveError(f"parameters.{name}: {item!r}: does not match AllowedPattern {pattern}")


class Resolver:
    """Resolves intrinsics against parameter values and evaluated conditions; GetAtt stays `<Id.Attr>`."""

    def __init__(self, template: dict, given: dict[str, str], pseudo: dict[str, str] | None = None) -> None:
        self.template = template
        self.refs = {**PSEUDO, **(pseudo or {}), **parameter_values(template, given)}
        self.conditions = {}
        for name in template.get("Conditions", {}):
            self.condition(name)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self.conditions[name]

    def value(self, node):
        if isinstance(node, list):
            return [item for item in (self.value(i) for i in node) if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            handler = INTRINSICS.get(key)
            if handler:
                return handler(self, arg)
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.refs:
            return self.refs[name]
        return f"<{name}>"

    def sub(self, arg):
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1]))
        def replace(match):
            key = match.group(1)
            return str(variables[key]) if key in variables else str(self.ref(key))
        return re.sub(r"\$\{([^}!]+)\}", replace, text)


INTRINSICS = {
    "Ref": Resolver.ref,
    "Condition": Resolver.condition,
    "Fn::Sub": Resolver.sub,
    "Fn::GetAtt": lambda self, arg: f"<{'.'.join(arg) if isinstance(arg, list) else arg}>",
    "Fn::Join": lambda self, arg: arg[0].join(str(v) for v in self.value(arg[1])),
    "Fn::Select": lambda self, arg: self.value(arg[1])[int(self.value(arg[0]))],
    "Fn::Split": lambda self, arg: self.value(arg[1]).split(arg[0]),
    "Fn::If": lambda self, arg: self.value(arg[1] if self.condition(arg[0]) else arg[2]),
    "Fn::Equals": lambda self, arg: self.value(arg[0]) == self.value(arg[1]),
    "Fn::Not": lambda self, arg: not self.value(arg[0]),
    "Fn::And": lambda self, arg: all(self.value(a) for a in arg),
    "Fn::Or": lambda self, arg: any(self.value(a) for a in arg),
}


def resolve_template(template: dict, parameters: dict[str, str], *, pseudo: dict[str, str] | None = None) -> dict:
    """The template as CloudFormation would create it for `parameters`: only the resources whose condition
    holds, every Fn::If / Ref / Fn::Sub / Fn::Join evaluated (resource attributes stay `<LogicalId.Attr>`)."""
    resolver = Resolver(template, parameters, pseudo)
    resolved = copy.deepcopy(template)
    resolved["Conditions"] = dict(resolver.conditions)
    resolved["Resources"] = {
        name: resolver.value({k: v for k, v in resource.items() if k != "Condition"})
        for name, resource in template["Resources"].items()
        if "Condition" not in resource or resolver.condition(resource["Condition"])}
    return resolved
