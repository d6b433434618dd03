"""Where the repository's parts live, and the import paths the story needs (the deploy seed, template/)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_BUILD = ROOT / "seed-build"
SEED_DEPLOY = ROOT / "seed-deploy"
SCRIPTS = ROOT / "scripts"
TEMPLATES_DIR = ROOT / "build" / "templates"
DEFAULT_OUTPUT = ROOT / "demo-output"

# scripts/ may import the seeds and template/ (seeds may not import scripts/): put them on the path once.
for _path in (SEED_DEPLOY, ROOT, SCRIPTS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
