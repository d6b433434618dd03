"""This repo's test fixtures: the pinned mlops_guardrails' (fake credentials, one emulator on 127.0.0.1 per
session, never real AWS, model packages in it)."""
pytest_plugins = ["mlops_guardrails.testing"]
