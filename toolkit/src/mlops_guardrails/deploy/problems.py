"""One validation problem as a line: `<field.path>: <value>: <rule>` (the validator's and every strategy's format)."""
import json


def show(value) -> str:
    return json.dumps(value, sort_keys=True)


def problem(path: str, value, rule: str) -> str:
    """One problem line; a value written "(...)" is a description (e.g. "(missing)"), shown as is, not as JSON."""
    return f"{path}: {value if isinstance(value, str) and value.startswith('(') else show(value)}: {rule}"
