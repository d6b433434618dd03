"""Synthesize every CDK app of the repository in one process (one App), with cdk-nag's AwsSolutions checks."""
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "build" / "templates"
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
for path in (ROOT, ROOT / "service-catalog"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@dataclass
class Synthesis:
    """What one synthesis produced: template paths by stack name, the stacks, and cdk-nag's violations."""

    templates: dict[str, Path]
    stacks: dict = field(repr=False)
    nag_violations: list[dict]

    def template(self, name: str) -> dict:
        """The synthesized template of stack `name`, as a dict."""
        return json.loads(self.templates[name].read_text())


def _violations(report_path: Path) -> list[dict]:
    """cdk-nag's failed rules from CDK's validation report: [{rule, description, paths}]."""
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    return [{"plugin": plugin["pluginName"], "rule": violation["ruleName"],
             "description": violation["description"],
             "paths": [c["constructPath"] for c in violation["violatingConstructs"]]}
            for plugin in report.get("pluginReports", []) if plugin.get("conclusion") == "failure"
            for violation in plugin.get("violations", [])]


def synthesize(out_dir: Path = TEMPLATES_DIR, *, seed_bucket: str | None = None, seed_prefix: str = "seeds/",
               progress=print) -> Synthesis:
    """Synthesize the project, target-account, portfolio and launch-role stacks into out_dir/<stack>.json (the cloud
    assembly goes to out_dir/../<out_dir name>.cdk.out)."""
    import aws_cdk as cdk
    import cdk_nag
    from portfolio_app import add_stack as add_portfolio
    from projects_launch_role import add_stack as add_launch_role
    from template.app import add_stacks

    out_dir.mkdir(parents=True, exist_ok=True)
    # The cloud assembly stays beside the templates: aws_cdk.assertions.Template.from_stack reads it later.
    assembly = out_dir.parent / f"{out_dir.name}.cdk.out"
    shutil.rmtree(assembly, ignore_errors=True)
    app = cdk.App(outdir=str(assembly))
    stacks = add_stacks(app, seed_bucket=seed_bucket, seed_prefix=seed_prefix)
    portfolio = add_portfolio(app)
    stacks[portfolio.stack_name] = portfolio
    launch_role = add_launch_role(app)  # the S3 template path's launch role (publish --s3-template)
    stacks[launch_role.stack_name] = launch_role
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    progress(f"==> synthesizing {', '.join(stacks)} (with cdk-nag AwsSolutions checks)")
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag violations: the templates are written all the same
        if "ValidationFailed" not in str(error):
            raise
    violations = _violations(assembly / "validation-report.json")
    templates = {}
    for name in stacks:
        target = out_dir / f"{name}.json"
        shutil.copyfile(assembly / f"{name}.template.json", target)
        templates[name] = target
        progress(f"    wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return Synthesis(templates=templates, stacks=stacks, nag_violations=violations)
