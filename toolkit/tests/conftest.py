"""Every toolkit test runs with the package's own test fixtures (mlops_guardrails/testing.py), as the seeds' do."""
pytest_plugins = ["mlops_guardrails.testing"]
