"""Options and output every analysis command shares: --report, --json, --png and the terminal table."""
import sys
from pathlib import Path

from mlops_guardrails.deploy import json_output
from mlops_guardrails.deploy.analysis.report import Report, render_markdown, render_terminal
from mlops_guardrails.errors import InputError


def add_output_options(parser) -> None:
    parser.add_argument("--report", metavar="FILE", help="also write the report as markdown to FILE")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--png", metavar="FILE", help="also draw a chart to FILE (PNG)")


def check_writable(*paths: str | None) -> None:
    """Fail before any work if an output folder does not exist."""
    for path in paths:
        if path and not Path(path).resolve().parent.is_dir():
            raise InputError(f"{path}: folder {Path(path).parent} does not exist")


def emit(report: Report, args, figures: dict, draw=None) -> None:
    """Draw the chart, print the terminal report, write markdown and JSON when asked."""
    if args.png and draw is not None:
        report.images.append(draw(args.png))
    sys.stdout.write(render_terminal(report))
    if args.report:
        links = [_relative(image, args.report) for image in report.images]
        Path(args.report).write_text(render_markdown(report, links))
    if args.json:
        Path(args.json).write_text(json_output.dumps(figures, indent=2, default=float) + "\n")


def _relative(image: str, report_path: str) -> str:
    """Link charts relative to the markdown file so the pair can be moved together."""
    try:
        return str(Path(image).resolve().relative_to(Path(report_path).resolve().parent))
    except ValueError:
        return str(Path(image).resolve())


def read_json_file(location: str, what: str) -> dict:
    from mlops_guardrails.deploy.analysis.sources import read_json_object

    return read_json_object(location, what)
