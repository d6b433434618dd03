"""Check stage configs against the schema and SageMaker's rules; prints every problem, one a line."""
import sys
from pathlib import Path

from mlops_guardrails.deploy.stage_config import config_warnings, read_config, validate_config
from mlops_guardrails.errors import InputError

EPILOG = """exit codes: 0 every file valid (warnings, if any, printed as `FILE: warning: ...` on stderr),
2 a problem found (each on its own line on stderr: `FILE: <field.path>: <value>: <rule>`).

examples:
  python -m deploy validate staging-config.json prod-config.json
  python -m deploy validate examples/*.json"""


def configure(parser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="stage config JSON files")


def file_problems(path: Path) -> list[str]:
    try:
        return validate_config(read_config(path))
    except InputError as error:
        return [str(error)]


def run(args) -> int:
    failed = False
    for path in args.files:
        problems = file_problems(path)
        for line in problems:
            print(f"{path}: {line}", file=sys.stderr)
        if not problems:
            for line in config_warnings(read_config(path)):
                print(f"{path}: warning: {line}", file=sys.stderr)
        print(f"{path}: {'invalid' if problems else 'valid'}")
        failed = failed or bool(problems)
    return 2 if failed else 0
