"""CDK app of the Service Catalog portfolio, synthesized in-process (no cdk CLI)."""
import aws_cdk as cdk

from portfolio_stack import PortfolioStack

PORTFOLIO_STACK = "sagemaker-project-portfolio"


def add_stack(app: cdk.App) -> PortfolioStack:
    """Add the portfolio stack to `app` (no assets, no bootstrap-version rule)."""
    return PortfolioStack(app, PORTFOLIO_STACK,
                          synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
                          description="Service Catalog portfolio of the SageMaker MLOps project template")


if __name__ == "__main__":
    application = cdk.App()
    add_stack(application)
    application.synth()
