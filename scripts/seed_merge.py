"""The seed-code part of an upgrade: a three-way merge of the seed's old version to its new one onto the
repository's current files, each file by `git merge-file` (real git, in a temporary folder). Pure: file
dictionaries in, a MergeResult out; reading and pushing repositories belong to upgrade_repos.

Never resolved silently: a file both sides changed differently keeps git's conflict markers and is listed;
a file the team deleted stays deleted; a file the team added or edited where the new version changed
nothing is the team's, byte for byte."""
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

Files = dict[str, bytes]  # path inside the repository -> content
PIN_FILE = "requirements.txt"
PIN_PACKAGE = "mlops-guardrails"  # the package the seeds pin (the thin-seeds issue: toolkit/)
PIN_LINE = re.compile(rb"^(" + re.escape(PIN_PACKAGE.encode()) + rb"\s*==\s*)([^\s#;]+)", re.MULTILINE)


@dataclass
class MergeResult:
    """The merged repository and what the pull request must say about it."""

    files: Files
    changed: list[str] = field(default_factory=list)  # differs from the repository's head: added, edited, removed
    conflicts: list[str] = field(default_factory=list)  # left with conflict markers (or, binary, the team's copy)
    notes: list[str] = field(default_factory=list)  # decisions the reviewer should see (a deletion kept, ...)
    pin: tuple[str | None, str] | None = None  # (version before, version after) of the requirements pin

    def removed(self, head: Files) -> list[str]:
        return sorted(set(head) - set(self.files))


def merge(base: Files, new: Files, head: Files, *, labels: tuple[str, str], pin_version: str | None) -> MergeResult:
    """Three-way merge of base -> new onto head; `labels` name the old and new template versions in markers,
    `pin_version` is where the mlops-guardrails pin moves (None: leave it)."""
    original, pin_before = head, pin_of(head.get(PIN_FILE))
    if pin_version:  # the pin is the upgrade's to move: never a conflict with the team's own pin value
        base, head, new = (pinned(files, pin_version) for files in (base, head, new))
    result = MergeResult(files={})
    with tempfile.TemporaryDirectory(prefix="seed-merge-") as work:
        for path in sorted(set(base) | set(new) | set(head)):
            content = merge_file(path, base.get(path), new.get(path), head.get(path), Path(work), labels, result)
            if content is not None:
                result.files[path] = content
    result.changed = sorted(path for path in set(result.files) | set(original)
                            if result.files.get(path) != original.get(path))
    if pin_version:
        result.pin = (pin_before, pin_version) if PIN_FILE in result.files and pin_of(
            result.files[PIN_FILE]) == pin_version else None
        if result.pin is None:
            result.notes.append(f"{PIN_FILE}: no {PIN_PACKAGE}== line: the pin was not moved and none was added")
    return result


def merge_file(path: str, base: bytes | None, new: bytes | None, head: bytes | None, work: Path,
               labels: tuple[str, str], result: MergeResult) -> bytes | None:
    """One file's merged content (None: absent from the merged repository)."""
    if new == base or new == head:
        return head  # the upgrade changes nothing here, or the team already has it
    if head == base:
        return new  # the team never touched it: take the new version (an addition, an edit or a removal)
    if head is None:  # base is not None here: the team deleted it
        result.notes.append(f"{path}: deleted by the team; the new version changes it: kept deleted")
        return None
    if new is None:
        result.notes.append(f"{path}: removed by the new version; the team edited it: the team's copy kept")
        return head
    if any(b"\0" in content for content in (base or b"", new, head)):
        result.conflicts.append(path)
        result.notes.append(f"{path}: binary, changed on both sides: the team's copy kept; the new version's "
                            f"is in template {labels[1]}")
        return head
    merged, conflicted = git_merge_file(work, head, base or b"", new, labels)
    if conflicted:
        result.conflicts.append(path)
    return merged


def git_merge_file(work: Path, head: bytes, base: bytes, new: bytes, labels: tuple[str, str]) -> tuple[bytes, bool]:
    """`git merge-file -p` of one file: the merged bytes and whether conflict markers were left."""
    paths = []
    for name, content in (("head", head), ("base", base), ("new", new)):
        (work / name).write_bytes(content)
        paths.append(str(work / name))
    run = subprocess.run(["git", "merge-file", "-p", "-L", "your repository", "-L", f"template {labels[0]}",
                          "-L", f"template {labels[1]}", *paths], capture_output=True, check=False)
    if run.returncode < 0 or run.returncode > 127:
        raise RuntimeError(f"git merge-file failed ({run.returncode}): {run.stderr.decode(errors='replace')}")
    return run.stdout, run.returncode > 0


def pin_of(requirements: bytes | None) -> str | None:
    """The version the requirements pin mlops-guardrails to, or None."""
    match = PIN_LINE.search(requirements or b"")
    return match.group(2).decode() if match else None


def pinned(files: Files, version: str) -> Files:
    """`files` with the requirements' mlops-guardrails pin set to `version` (no pin line: unchanged)."""
    if PIN_FILE not in files:
        return files
    return {**files, PIN_FILE: PIN_LINE.sub(lambda m: m.group(1) + version.encode(), files[PIN_FILE])}


def description(repository: str, old: str, new: str, result: MergeResult, head: Files) -> str:
    """The pull request's description: every file changed, every conflict, the pin move, the notes."""
    lines = [f"Template upgrade of {repository}: {old} -> {new}.", "",
             "Three-way merge of the template's seed from its old version to its new one onto this branch's "
             "files: your own edits are kept; nothing was resolved silently.", ""]
    removed = set(result.removed(head))
    added = set(result.files) - set(head)
    lines.append(f"Files changed ({len(result.changed)}):")
    lines += [f"- {path} ({'removed' if path in removed else 'added' if path in added else 'modified'})"
              for path in result.changed] or ["- none"]
    lines += ["", f"Conflicts ({len(result.conflicts)}), left with conflict markers for you to resolve:"]
    lines += [f"- {path}" for path in result.conflicts] or ["- none"]
    lines += ["", "Package pin: " + (f"{PIN_PACKAGE} {result.pin[0] or '(none)'} -> {result.pin[1]}"
                                     if result.pin else f"not moved ({PIN_FILE} has no {PIN_PACKAGE}== line)")]
    if result.notes:
        lines += ["", "Notes:"] + [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
