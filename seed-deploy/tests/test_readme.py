"""The README's contents table names only what exists, and links the docs it points to."""
import re
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent


def contents_paths() -> list[str]:
    text = (SEED / "README.md").read_text()
    table = text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    paths = []
    for row in (line for line in table.splitlines() if line.startswith("| `")):
        first_cell = row.split("|")[1]
        names = re.findall(r"`([^`]+)`", first_cell)
        folder = str(Path(names[0]).parent) if "/" in names[0].rstrip("/") else ""
        # "deploy/a.py, `b.py`": later names sit beside the first one.
        paths += [names[0]] + [name if "/" in name else str(Path(folder, name)) for name in names[1:]]
    return paths


def test_contents_table_names_existing_paths():
    paths = contents_paths()
    assert "docs/analysis.md" in paths and "endpoint-template.yml" in paths
    assert [p for p in paths if not (SEED / p).exists()] == []


def test_readme_links_the_analysis_docs_and_documents_rehearse():
    text = (SEED / "README.md").read_text()
    assert "[docs/analysis.md](docs/analysis.md)" in text
    assert "## Rehearse a rollout offline" in text
