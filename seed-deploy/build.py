"""CodeBuild's build stage (buildspec.yml): `python build.py [--output-dir DIR]`, same as `python -m deploy build`."""
import sys

from mlops_guardrails.deploy.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
