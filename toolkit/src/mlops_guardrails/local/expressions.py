"""Resolve the pipeline definition's expressions: Get (parameters, step properties, execution), Std:Join, Std:JsonGet."""
import json
import re
from dataclasses import dataclass, field
from typing import Any

from mlops_guardrails.local.errors import ExpressionError


# "ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" -> names, ['quoted'] keys and [0] indices.
_TOKEN = re.compile(r"([A-Za-z0-9_\-]+)|\['([^']*)'\]|\[(\d+)\]")


@dataclass
class Context:
    """What expressions can refer to while an execution runs."""

    parameters: dict[str, Any]
    execution: dict[str, Any]
    step_properties: dict[str, dict] = field(default_factory=dict)
    property_files: dict[tuple[str, str], dict] = field(default_factory=dict)


def resolve(value: Any, context: Context) -> Any:
    """Return value with every expression in it replaced by its current value."""
    if isinstance(value, list):
        return [resolve(item, context) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"}:
        return _get(value["Get"], context)
    if set(value) == {"Std:Join"}:
        spec = value["Std:Join"]
        return spec["On"].join(_text(resolve(item, context)) for item in spec["Values"])
    if set(value) == {"Std:JsonGet"}:
        return _json_get(value["Std:JsonGet"], context)
    return {key: resolve(item, context) for key, item in value.items()}


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)


def _get(reference: str, context: Context) -> Any:
    scope, _, rest = reference.partition(".")
    if scope == "Parameters":
        if rest not in context.parameters:
            raise ExpressionError(f"{reference}: no such parameter")
        return context.parameters[rest]
    if scope == "Execution":
        if rest not in context.execution:
            raise ExpressionError(f"{reference}: no such execution variable; local runs know {', '.join(context.execution)}")
        return context.execution[rest]
    if scope == "Steps":
        step, _, path = rest.partition(".")
        if step not in context.step_properties:
            raise ExpressionError(f"{reference}: step {step} has not run")
        return walk(context.step_properties[step], path, reference)
    raise ExpressionError(f"{reference}: unknown scope {scope}")


def walk(document: Any, path: str, reference: str) -> Any:
    """Follow a property path; a quoted key on a list picks the item whose *Name field equals it."""
    current = document
    for name, key, index in _TOKEN.findall(path):
        if name:
            current = current.get(name) if isinstance(current, dict) else None
        elif index:
            current = current[int(index)] if isinstance(current, list) and int(index) < len(current) else None
        else:
            current = _named_item(current, key)
        if current is None:
            raise ExpressionError(f"{reference}: no value at {path}")
    return current


def _named_item(items: Any, key: str) -> Any:
    if isinstance(items, dict):
        return items.get(key)
    for item in items if isinstance(items, list) else []:
        if set(item) == {"Name", "Value"} and item["Name"] == key:
            return item["Value"]  # an OutputParameter (Lambda, Callback): the reference is its value
        if any(k.endswith("Name") and v == key for k, v in item.items()):
            return item
    return None


def _json_get(spec: dict, context: Context) -> Any:
    reference = spec["PropertyFile"]["Get"]  # "Steps.<step>.PropertyFiles.<name>"
    _, step, _, name = reference.split(".", 3)
    document = context.property_files.get((step, name))
    if document is None:
        raise ExpressionError(f"{reference}: property file not produced")
    return walk(document, resolve(spec["Path"], context), f"{reference} {spec['Path']}")
