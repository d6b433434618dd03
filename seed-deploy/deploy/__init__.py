"""`python -m deploy COMMAND`: this repo's entry to the pinned mlops_guardrails package (requirements.txt)."""
