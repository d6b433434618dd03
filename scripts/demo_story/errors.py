"""The demo's one exception family: a step of the story did not happen as the story needs; demo.py exits 1 on it."""
from script_errors import ScriptError


class StoryError(ScriptError):
    """An event not delivered, a build that failed, a model missing: the story cannot go on."""
