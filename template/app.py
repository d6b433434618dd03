"""CDK app of the project template: the project stack and the target-account stack, synthesized in-process."""
import sys
from pathlib import Path

import aws_cdk as cdk

if __package__ in (None, ""):  # run as `python template/app.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from template.project_stack import ProjectStack  # noqa: E402
from template.target_account_stack import TargetAccountStack  # noqa: E402

PROJECT_STACK = "sagemaker-project"
TARGET_ACCOUNT_STACK = "sagemaker-project-target-account"


def synthesizer() -> cdk.IStackSynthesizer:
    """No assets and no bootstrap-version rule: Service Catalog and CloudFormation take the template as is."""
    return cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)


def add_stacks(app: cdk.App, *, seed_bucket: str | None = None, seed_prefix: str = "seeds/") -> dict[str, cdk.Stack]:
    """Add the template's stacks to `app`; `seed_bucket`/`seed_prefix` locate the published seed zips."""
    seeds = {"seed_bucket": seed_bucket} if seed_bucket else {}
    return {
        PROJECT_STACK: ProjectStack(app, PROJECT_STACK, synthesizer=synthesizer(), seed_prefix=seed_prefix, **seeds,
                                    description="SageMaker project: model build and deploy pipelines (MLOps)"),
        TARGET_ACCOUNT_STACK: TargetAccountStack(app, TARGET_ACCOUNT_STACK, synthesizer=synthesizer(),
                                                 description="SageMaker project: roles in a staging or prod account"),
    }


if __name__ == "__main__":
    application = cdk.App()
    add_stacks(application)
    application.synth()
