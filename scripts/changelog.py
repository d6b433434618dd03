"""The changelog entries an upgrade crosses: the `## X.Y.Z` sections of a CHANGELOG.md between two versions."""
import re

HEADING = re.compile(r"^## \[?(\d+(?:\.\d+)*)\]?[^\n]*$", re.MULTILINE)


def version_key(version: str) -> tuple[int, ...]:
    """1.10.0 after 1.9.0: numeric parts (ValueError naming the version when it is not X.Y.Z)."""
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        raise ValueError(f"{version!r}: must be a version of numbers and dots, e.g. 2.0.0")
    return tuple(int(part) for part in version.split("."))


def sections(text: str) -> dict[str, str]:
    """Each `## X.Y.Z` heading's version and its section's text (up to the next heading)."""
    marks = list(HEADING.finditer(text))
    return {m.group(1): text[m.end():marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip()
            for i, m in enumerate(marks)}


def crossed(text: str, current: str, target: str) -> list[tuple[str, str]]:
    """The sections an upgrade from `current` to `target` crosses, newest first: (current, target] going up;
    going down, (target, current]: the versions whose changes the downgrade takes back."""
    low, high = sorted((version_key(current), version_key(target)))
    return sorted(((v, body) for v, body in sections(text).items() if low < version_key(v) <= high),
                  key=lambda item: version_key(item[0]), reverse=True)
