"""Writing JSON that every reader accepts: a number that is not finite (an undefined statistic) becomes null."""
import json
import math


def finite_or_none(value):
    """`value` with every NaN or infinity (numpy's too) replaced by None, so the JSON says "undefined"."""
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value, **options) -> str:
    """json.dumps that never writes NaN or Infinity (Python's default does; JSON has neither)."""
    return json.dumps(finite_or_none(value), allow_nan=False, **options)
