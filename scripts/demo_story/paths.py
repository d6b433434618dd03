"""Where the repository's parts live, and the import paths the story needs (template/)."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_BUILD = ROOT / "seed-build"
SEED_DEPLOY = ROOT / "seed-deploy"
SCRIPTS = ROOT / "scripts"
TEMPLATES_DIR = ROOT / "build" / "templates"
DEFAULT_OUTPUT = ROOT / "demo-output"

# The story renders and rehearses the deploy seed from here: its endpoint template (mlops_guardrails' default is
# the folder a command runs in).
os.environ.setdefault("ENDPOINT_TEMPLATE", str(SEED_DEPLOY / "endpoint-template.yml"))
# scripts/ may import template/ (the seeds never import scripts/): put it on the path once.
for _path in (ROOT, SCRIPTS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
