"""`python -m mlops_guardrails.deploy COMMAND`: the deploy repo's commands, from any folder."""
import sys

from mlops_guardrails.deploy.cli import main

sys.exit(main())
