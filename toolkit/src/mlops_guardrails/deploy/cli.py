"""`python -m deploy COMMAND`: a thin command line; each command lives in deploy/commands/<name>.py."""
import argparse
import importlib
import math
import sys
import traceback

from mlops_guardrails.errors import describe

# Command name -> module under mlops_guardrails.deploy.commands. Each module has a docstring (its help), an EPILOG of
# worked examples, configure(parser) and run(args) -> exit code.
COMMANDS = {
    "validate": "validate",
    "build": "build",
    "verify": "verify",
    "status": "status",
    "test-stage": "test_stage",
    "rollback": "rollback",
    "rehearse": "rehearse",
    "analyze-ab": "analyze_ab",
    "compare-shadow": "compare_shadow",
    "drift": "drift",
    "plan": "plan",
    "shadow-test": "shadow_test",
    "teardown": "teardown",
    "schema": "schema",
}


def _load(command: str):
    return importlib.import_module(f"mlops_guardrails.deploy.commands.{COMMANDS[command]}")


EPILOG = """exit codes: 0 success; 2 invalid input or config (nothing changed); 1 the command ran and what it
checks failed, or an AWS call failed. `python -m deploy COMMAND --help` shows each command's own.
Errors are one line on stderr; --debug adds the traceback.

examples:
  python -m deploy validate staging-config.json prod-config.json
  python -m deploy plan prod-config.json --rps 50
  python -m deploy rehearse --config prod-config.json --blue v1/model.tar.gz --green v2/model.tar.gz"""


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Import only the command asked for: the analyses pull scipy and matplotlib, verify should not.
    wanted = [a for a in argv if a in COMMANDS][:1] or list(COMMANDS)
    for name in COMMANDS:
        if name not in wanted:
            sub.add_parser(name)
            continue
        try:
            module = _load(name)
        except ModuleNotFoundError as error:
            # Listing every command must not fail because one command's module is absent.
            if error.name != f"mlops_guardrails.deploy.commands.{COMMANDS[name]}":
                raise
            sub.add_parser(name, help="(not available in this copy)")
            continue
        doc = (module.__doc__ or "").strip()
        command = sub.add_parser(
            name,
            help=doc.splitlines()[0] if doc else None,
            description=doc,
            epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.set_defaults(run=module.run)
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        module.configure(command)
    return parser


def refuse_non_finite(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Every number option must be finite: argparse's type=float takes "nan", "inf" and 1e999 (exit 2)."""
    for name, value in vars(args).items():
        if isinstance(value, float) and not math.isfinite(value):
            parser.error(f"--{name.replace('_', '-')}: {value}: must be a finite number")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    refuse_non_finite(parser, args)
    try:
        return args.run(args)
    except Exception as error:  # noqa: BLE001 - the edge: every error becomes one line, --debug shows where
        message, exit_code = describe(error)
        if args.debug:
            traceback.print_exc()
        print(f"error: {message}", file=sys.stderr)
        return exit_code
