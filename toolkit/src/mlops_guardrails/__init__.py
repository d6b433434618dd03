"""mlops_guardrails: the machinery behind the SageMaker project seeds (local pipeline runs, stage configs, deploys
and their guardrails, the offline rehearsal, the analyses). Its commands and the stage-config schema are its public
interface; CHANGELOG.md says what each version changed."""

__version__ = "2.0.0"  # the one home of the version: the wheel, the seeds' pins and publish's prefix follow it
WHEEL_NAME = f"mlops_guardrails-{__version__}-py3-none-any.whl"  # what make wheel builds and publish uploads (PEP 427)
