"""Entry point for `python -m deploy`: the commands live in the pinned mlops_guardrails package."""
import sys

from mlops_guardrails.deploy.cli import main

sys.exit(main())
