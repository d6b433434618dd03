"""Load a stage config and check it: the JSON Schema first, then every SageMaker rule the schema cannot express."""
import json
from pathlib import Path

import jsonschema

from mlops_guardrails.deploy import config_rules, guardrail_rules
from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.json_input import parse_json, read_text

SCHEMA_PATH = Path(__file__).resolve().parent / "config.schema.json"

# Schema validator keyword -> rule text; {0} is the keyword's argument from the schema.
SCHEMA_RULES = {
    "required": "required",
    "additionalProperties": "unknown field (see the schema: python -m deploy schema)",
    "type": "must be of type {0}",
    "enum": "must be one of {0}",
    "minimum": "must be >= {0}",
    "maximum": "must be <= {0}",
    "exclusiveMinimum": "must be > {0}",
    "minItems": "needs at least {0} item(s)",
    "maxItems": "allows at most {0} item(s)",
    "minLength": "needs at least {0} character(s)",
    "maxLength": "allows at most {0} character(s)",
    "pattern": "must match {0}",
    "oneOf": "must be latest, previous, live or a model package version number >= 1",
}

DEFAULT_STAGE_TEST = {"LatencyBudgetMs": 1000, "Requests": 50, "VariantShareTolerance": 0.15}
DEFAULT_WEIGHT = 1.0


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def field_path(parts) -> str:
    """["A", 0, "B"] -> "A[0].B", the path style of every message."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(config)"


def show(value) -> str:
    """A value as a message shows it: JSON, lists as their length, long objects cut short."""
    if isinstance(value, list):
        return f"{len(value)} item(s)"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _schema_problem(error: jsonschema.ValidationError) -> list[str]:
    parts = list(error.absolute_path)
    rule = SCHEMA_RULES.get(error.validator, error.message)
    argument = error.validator_value
    if error.validator == "required":
        missing = [name for name in argument if name not in error.instance]
        return [f"{field_path(parts + [name])}: missing: {rule}" for name in missing]
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [f"{field_path(parts + [name])}: {show(error.instance[name])}: {rule}" for name in extra]
    if error.validator == "enum":
        argument = ", ".join(json.dumps(option) for option in argument)
    return [f"{field_path(parts)}: {show(error.instance)}: {rule.format(argument)}"]


def schema_problems(config) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema())
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_schema_problem(error))
    return problems


def validate_config(config) -> list[str]:
    """Every problem of one config, `<field.path>: <value>: <rule>`; the SageMaker rules run once the schema holds."""
    return schema_problems(config) or config_rules.check(config)


def config_warnings(config) -> list[str]:
    """Warnings of a valid config (same line format): SageMaker accepts it, but its guardrail is weaker than it looks."""
    return guardrail_rules.warnings(config)


def read_config(path: Path) -> dict:
    """Parse a config file; an unreadable or non-JSON file is an InputError naming it."""
    text = read_text(path, "stage config")
    try:
        return parse_json(text, str(path), "a stage config")
    except InputError as error:
        raise InputError(f"{error}: not valid JSON") from error


def check_stage_config(config, source="the config") -> dict:
    """`config` if it is valid; else InputError naming `source` and listing every problem, one a line.

    Every command that reads a stage config (build, test-stage, plan, rehearse) goes through here."""
    refuse(validate_config(config), source)
    return config


def refuse(problems: list[str], source) -> None:
    """InputError naming `source` and listing every problem, one a line, if there is any."""
    if problems:
        raise InputError(f"{source} is not a valid stage config:\n" + "\n".join(problems))


def load_stage_config(path: Path) -> dict:
    """Read and validate one stage config; raises InputError listing every problem, one a line."""
    return check_stage_config(read_config(path), path)


def stage_test_settings(config: dict) -> dict:
    """StageTest with its documented defaults filled in."""
    return {**DEFAULT_STAGE_TEST, **config.get("StageTest", {})}


def variant_weight(variant: dict) -> float:
    return float(variant.get("InitialVariantWeight", DEFAULT_WEIGHT))
