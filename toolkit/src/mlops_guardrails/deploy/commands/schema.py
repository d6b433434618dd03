"""Print the stage-config JSON Schema (its `description` fields document every field), or write it to a file.

The schema is the toolkit's (mlops_guardrails/deploy/config.schema.json): this repo's configs follow the version
requirements.txt pins. Editors that read JSON Schema can take the file this writes."""
import json
from pathlib import Path

from mlops_guardrails.deploy.stage_config import schema

EPILOG = """exit codes: 0 printed or written; 2 the output path cannot be written.

examples:
  python -m deploy schema
  python -m deploy schema --output config.schema.json"""


def configure(parser) -> None:
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the schema there instead of printing it")


def run(args) -> int:
    text = json.dumps(schema(), indent=2) + "\n"
    if args.output:
        args.output.write_text(text)
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0
