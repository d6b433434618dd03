"""One up-front check of a pipeline definition, before anything starts: every problem as `<field>: <value>: <rule>`.

The rules are CreatePipeline's (botocore's sagemaker model: StepName and PipelineParameterName are
1-64 / 1-256 of [A-Za-z0-9-_]) and what the definition's own structure requires: a list of step
objects, unique names (a step's name is its folder under --work-dir), DependsOn and "Steps.X"
references to steps that exist, no cycle, parameter defaults of the parameter's type. JSON is read
strictly: duplicate keys, bytes that are not UTF-8 and nesting deeper than Python parses are refused.
"""
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from mlops_guardrails.local.errors import InputError
from mlops_guardrails.local.executor import PARAMETER_TYPES, dependencies

STEP_NAME = re.compile(r"[A-Za-z0-9\-_]{1,64}")  # StepName: pattern [A-Za-z0-9\-_]*, max 64 (and a folder: not empty)
PARAMETER_NAME = re.compile(r"[A-Za-z0-9\-_]{1,256}")  # PipelineParameterName
STEP_NAME_RULE = "must be 1-64 letters, digits, '-' or '_' (SageMaker's StepName)"
MAX_PROBLEMS_SHOWN = 5
_BRANCHES = ("IfSteps", "ElseSteps")
_DEFAULT_TYPES = {  # the JSON types a parameter's DefaultValue may have
    "String": (str,),
    "Integer": (int,),
    "Float": (int, float),
    "Boolean": (bool,),
}


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) < len(pairs):
        seen = set()
        duplicated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"duplicate key {duplicated!r}: JSON readers disagree on which value wins")
    return result


def strict_json(data: bytes | str, where: str) -> Any:
    """JSON that every reader reads the same: UTF-8, no duplicate keys, nesting Python can parse."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except UnicodeDecodeError as error:
        raise InputError(f"{where}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not JSON: {error}") from None
    except ValueError as error:  # a duplicate key
        raise InputError(f"{where}: {error}") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deeply to read (maximum recursion depth)") from None


def check_step_name(name: Any, where: str) -> None:
    """A step name is a folder name under --work-dir: SageMaker's rule keeps it one plain component."""
    if not isinstance(name, str) or not STEP_NAME.fullmatch(name):
        raise InputError(f"{where}: {name!r}: {STEP_NAME_RULE}")


def validate_definition(definition: Any, where: str) -> None:
    """InputError listing the definition's problems (the first few, and how many more), or nothing."""
    problems = list(definition_problems(definition))
    if problems:
        more = f" (and {len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        raise InputError(f"{where}: " + "; ".join(problems[:MAX_PROBLEMS_SHOWN]) + more)


def definition_problems(definition: Any) -> Iterator[str]:
    if not isinstance(definition, dict):
        yield f"{_short(definition)}: expected a pipeline definition object (Version 2020-12-01)"
        return
    yield from _parameter_problems(definition.get("Parameters", []))
    steps = definition.get("Steps")
    if not isinstance(steps, list):
        yield f"Steps: {_short(steps)}: expected a list of step objects"
        return
    found: dict[str, str] = {}  # name -> its field path
    shape = list(_step_shape_problems(steps, "Steps", found))
    yield from shape
    if shape:
        return  # references and order are only meaningful over well-formed steps
    references = list(_reference_problems(steps, "Steps", set(found)))
    yield from references
    if not references:
        yield from _cycle_problems(steps)


def _step_shape_problems(steps: list, path: str, found: dict[str, str]) -> Iterator[str]:
    for index, step in enumerate(steps):
        where = f"{path}[{index}]"
        if not isinstance(step, dict):
            yield f"{where}: {_short(step)}: expected a step object"
            continue
        name = step.get("Name")
        if not isinstance(name, str) or not STEP_NAME.fullmatch(name):
            yield f"{where}.Name: {_short(name)}: {STEP_NAME_RULE}"
        elif name in found:
            yield f"{where}.Name: {name!r}: already the name of {found[name]}: step names must be unique"
        else:
            found[name] = where
        if not isinstance(step.get("Type"), str):
            yield f"{where}.Type: {_short(step.get('Type'))}: expected a step type such as Processing"
        for field, kind, rule in (("DependsOn", list, "expected a list of step names"),
                                  ("Arguments", dict, "expected an object"),
                                  ("PropertyFiles", list, "expected a list of property file objects")):
            if field in step and not isinstance(step[field], kind):
                yield f"{where}.{field}: {_short(step[field])}: {rule}"
        if isinstance(step.get("DependsOn"), list):
            for position, item in enumerate(step["DependsOn"]):
                if not isinstance(item, str):
                    yield f"{where}.DependsOn[{position}]: {_short(item)}: expected a step name"
        if step.get("Type") == "Condition" and isinstance(step.get("Arguments"), dict):
            for branch in _BRANCHES:
                items = step["Arguments"].get(branch, [])
                if not isinstance(items, list):
                    yield f"{where}.Arguments.{branch}: {_short(items)}: expected a list of step objects"
                else:
                    yield from _step_shape_problems(items, f"{where}.Arguments.{branch}", found)


def _reference_problems(steps: list, path: str, names: set[str]) -> Iterator[str]:
    for index, step in enumerate(steps):
        where = f"{path}[{index}]"
        declared = step.get("DependsOn", [])
        for item in sorted(dependencies(step) - names):
            field = f"{where}.DependsOn" if item in declared else f"{where} ({step['Name']}) reads Steps.{item}"
            yield f"{field}: {item!r}: no step of that name"
        if step.get("Type") == "Condition":
            for branch in _BRANCHES:
                yield from _reference_problems(step.get("Arguments", {}).get(branch, []), f"{where}.Arguments.{branch}", names)


def _cycle_problems(steps: list) -> Iterator[str]:
    """Kahn's algorithm over every step: what it reads and DependsOn, and a branch step after its condition."""
    after: dict[str, set[str]] = {}

    def collect(items: list, condition: str | None) -> None:
        for step in items:
            after[step["Name"]] = dependencies(step) | ({condition} if condition else set())
            if step.get("Type") == "Condition":
                for branch in _BRANCHES:
                    collect(step.get("Arguments", {}).get(branch, []), step["Name"])

    collect(steps, None)
    waiting = {name: len(before) for name, before in after.items()}
    followers: dict[str, list[str]] = {}
    for name, before in after.items():
        for item in before:
            followers.setdefault(item, []).append(name)
    ready = [name for name, count in waiting.items() if count == 0]
    while ready:
        for follower in followers.get(ready.pop(), []):
            waiting[follower] -= 1
            if waiting[follower] == 0:
                ready.append(follower)
    stuck = sorted(name for name, count in waiting.items() if count)
    if stuck:
        yield f"steps {', '.join(stuck[:10])}{' ...' if len(stuck) > 10 else ''}: wait on each other (a cycle in DependsOn or Steps references)"


def _parameter_problems(parameters: Any) -> Iterator[str]:
    if not isinstance(parameters, list):
        yield f"Parameters: {_short(parameters)}: expected a list of parameter objects"
        return
    seen = set()
    for index, parameter in enumerate(parameters):
        where = f"Parameters[{index}]"
        if not isinstance(parameter, dict):
            yield f"{where}: {_short(parameter)}: expected a parameter object"
            continue
        name, kind = parameter.get("Name"), parameter.get("Type")
        if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
            yield f"{where}.Name: {_short(name)}: must be 1-256 letters, digits, '-' or '_' (PipelineParameterName)"
        elif name in seen:
            yield f"{where}.Name: {name!r}: declared twice"
        seen.add(name)
        if kind not in PARAMETER_TYPES:
            yield f"{where}.Type: {_short(kind)}: must be one of {', '.join(PARAMETER_TYPES)}"
        elif "DefaultValue" in parameter and not _fits(parameter["DefaultValue"], kind):
            yield f"{where}.DefaultValue: {_short(parameter['DefaultValue'])}: not of type {kind}"


def _fits(value: Any, kind: str) -> bool:
    if value is None:
        return True  # no default: the run asks for --param
    if isinstance(value, bool) and kind != "Boolean":
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, _DEFAULT_TYPES[kind])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
