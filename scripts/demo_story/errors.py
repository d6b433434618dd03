"""The demo's one exception: a step of the story did not happen as the story needs; demo.py exits 1 on it."""


class StoryError(RuntimeError):
    """An event not delivered, a build that failed, a model missing: the story cannot go on."""
