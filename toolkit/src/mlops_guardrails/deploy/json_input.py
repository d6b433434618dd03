"""Reading input: local text files and JSON (numbers finite, nesting bounded); every error an InputError naming its source."""
import json
import math
from pathlib import Path

from mlops_guardrails.errors import InputError

DUPLICATE_KEY = "{where}: key {key!r} given twice in one object ({what}): JSON readers disagree on which wins; keep one"
NOT_A_NUMBER = "{where}: {token}: not a number JSON allows (NaN and infinities are refused)"


def read_text(path, what: str) -> str:
    """The UTF-8 text of a local file; InputError naming the path, why and what it should hold when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}): cannot be read ({what}); save it as UTF-8") from error
    except OSError as error:
        raise InputError(f"{path}: {error.strerror or error}: cannot be read ({what})") from error


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf
        raise ValueError(text)
    return value


def _refuse(token: str):
    raise ValueError(token)


class _DuplicateKey(ValueError):
    pass


def _refuse_duplicates(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) < len(pairs):
        seen: set = set()
        raise _DuplicateKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return result


def parse_json(text: str, where: str, what: str):
    """Any JSON value from text read at `where`: NaN, Infinity and out-of-range numbers such as 1e999 are
    refused (Python's json takes them, other readers do not), and so are a key given twice in one object
    (Python keeps the last, other readers the first) and nesting too deep to read."""
    try:
        return json.loads(text, parse_constant=_refuse, parse_float=_finite, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not JSON ({what}): {error.msg} at line {error.lineno}") from error
    except _DuplicateKey as error:
        raise InputError(DUPLICATE_KEY.format(where=where, key=error.args[0], what=what)) from error
    except ValueError as error:
        raise InputError(NOT_A_NUMBER.format(where=where, token=error.args[0])) from error
    except RecursionError as error:
        raise InputError(f"{where}: {what}: nested too deeply to read") from error


def parse_json_object(text: str, where: str, what: str) -> dict:
    """A JSON object from text read at `where`; anything else is an InputError naming the place and what it should hold."""
    value = parse_json(text, where, what)
    if not isinstance(value, dict):
        raise InputError(f"{where}: {what}: must be a JSON object")
    return value
