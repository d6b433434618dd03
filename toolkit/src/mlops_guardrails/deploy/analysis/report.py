"""One report model, two renderings: aligned terminal tables and markdown."""
import math
from dataclasses import dataclass, field


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    note: str = ""


@dataclass
class Report:
    title: str
    verdict: str
    reasons: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def fmt(value) -> str:
    """Numbers to 4 significant digits, missing values as 'n/a'."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    return str(value)


def _cells(table: Table) -> list[list[str]]:
    return [[fmt(cell) for cell in row] for row in table.rows]


def render_table(table: Table) -> str:
    rows = _cells(table)
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(table.headers)]
    line = "  ".join("-" * w for w in widths)
    out = [table.title, "  ".join(str(h).ljust(w) for h, w in zip(table.headers, widths)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    if table.note:
        out.append(table.note)
    return "\n".join(out)


def render_terminal(report: Report) -> str:
    parts = [report.title, "=" * len(report.title), f"verdict: {report.verdict}"]
    parts += [f"  - {reason}" for reason in report.reasons]
    for table in report.tables:
        parts += ["", render_table(table)]
    if report.notes:
        parts += [""] + [f"note: {note}" for note in report.notes]
    if report.images:
        parts += [""] + [f"chart: {image}" for image in report.images]
    return "\n".join(parts) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: Report, image_links: list[str] | None = None) -> str:
    parts = [f"# {report.title}", "", f"**Verdict: {report.verdict}**", ""]
    parts += [f"- {reason}" for reason in report.reasons]
    for table in report.tables:
        parts += ["", f"## {table.title}", ""]
        parts.append("| " + " | ".join(_md_escape(str(h)) for h in table.headers) + " |")
        parts.append("|" + "---|" * len(table.headers))
        parts += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in _cells(table)]
        if table.note:
            parts += ["", table.note]
    if report.notes:
        parts += ["", "## Notes", ""] + [f"- {note}" for note in report.notes]
    for link in image_links if image_links is not None else report.images:
        parts += ["", f"![chart]({link})"]
    return "\n".join(parts) + "\n"
