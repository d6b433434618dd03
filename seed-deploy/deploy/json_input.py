"""Reading a JSON object from text, with an InputError that names where it came from and what it should hold."""
import json

from deploy.errors import InputError


def parse_json_object(text: str, where: str, what: str) -> dict:
    """A JSON object from text read at `where`; anything else is an InputError naming the place and what it should hold."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not JSON ({what}): {error.msg} at line {error.lineno}") from error
    if not isinstance(value, dict):
        raise InputError(f"{where}: {what}: must be a JSON object")
    return value
