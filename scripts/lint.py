"""cfn-lint over build/templates/*.json and seed-deploy's rendered endpoint template, cdk-nag's result, checkov
over build/templates (from the tools venv), and the permissions table of the recorded-call test."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from script_errors import ScriptInputError, run_command

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "build" / "templates"
NAG_REPORT = ROOT / "build" / "cdk-nag-report.json"
SEED_DEPLOY = ROOT / "seed-deploy"
PLACEHOLDER_BASELINE = {"Statistics": "s3://bucket/statistics.json", "Constraints": "s3://bucket/constraints.json"}
CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"
CHECKOV_TIMEOUT = 300
EXAMPLES = """examples:
  scripts/lint.py                 # after scripts/synth.py and make tools (make lint runs all three)
  scripts/lint.py --region eu-west-1
  scripts/lint.py --skip-checkov --skip-permissions   # cfn-lint and cdk-nag only
exit codes: 0 clean (warnings allowed), 2 cfn-lint errors, cdk-nag violations, checkov failures, a recorded call
the policies refuse, or nothing to lint.
"""


@dataclass(frozen=True)
class Finding:
    """One cfn-lint match: the file, the rule id (E..., W..., I...), the line and the message."""

    source: str
    rule: str
    line: int
    message: str

    @property
    def is_error(self) -> bool:
        return self.rule.startswith("E")

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.rule} {self.message}"


def cfn_lint(text: str, source: str, region: str) -> list[Finding]:
    """cfn-lint's findings on one template given as text."""
    import cfnlint.api

    return [Finding(source, match.rule.id, match.linenumber, match.message)
            for match in cfnlint.api.lint(text, regions=[region])]


SHIPPED_CONFIGS = {"staging": "staging-config.json", "prod": "prod-config.json"}
# The inference-component examples, each beside the other stage's shipped config (which keeps every parameter in
# use): the endpoint stack's other resource types (components, their copy-count scaling, scale to zero's step
# policy and alarm), which the deploy role must be able to handle too.
COMPONENT_CONFIGS = ({"staging": "examples/ic-scale-to-zero.json", "prod": "prod-config.json"},
                     {"staging": "staging-config.json", "prod": "examples/inference-components.json"})
# The other examples, each as the staging config beside the shipped prod config.
EXAMPLE_CONFIGS = tuple({"staging": f"examples/{name}.json", "prod": "prod-config.json"}
                        for name in ("ab-test", "linear", "shadow"))
ENDPOINT_CONFIGS = (SHIPPED_CONFIGS, *COMPONENT_CONFIGS)
LINTED_CONFIGS = (*ENDPOINT_CONFIGS, *EXAMPLE_CONFIGS)  # what cfn-lint and checkov check
# The endpoint stack's network and key parameters for its VPC variant (their defaults: no VPC, no key), so that
# cfn-lint and checkov see both sides of every Fn::If on them.
VPC_DEFAULTS = {"SubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
                "SecurityGroupIds": "sg-0123456789abcdef0",
                "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"}


def rendered_endpoint_template(configs: dict[str, str] = SHIPPED_CONFIGS) -> tuple[str | None, str]:
    """seed-deploy's endpoint template rendered from stage configs (default: the shipped ones), or None and why
    not. `configs` maps each stage to a config file under seed-deploy/."""
    if not (SEED_DEPLOY / "endpoint-template.yml").exists():
        return None, "seed-deploy/endpoint-template.yml is absent"
    from mlops_guardrails.deploy.stage_config import load_stage_config
    from mlops_guardrails.deploy.template_render import ResolvedStage, load_base, render, to_yaml

    stages = {}
    for stage, name in configs.items():
        config = load_stage_config(SEED_DEPLOY / name)
        variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
        # Placeholder package ARNs (one per variant and per inference component): lint checks the template's
        # shape, not which model it deploys.
        names = [variant["VariantName"] for variant in variants]
        names += [component["ComponentName"] for component in config.get("InferenceComponents", [])]
        packages = {name: f"arn:aws:sagemaker:us-east-1:123456789012:model-package/group/{n}"
                    for n, name in enumerate(names, start=1)}
        stages[stage] = ResolvedStage(stage, config, packages, PLACEHOLDER_BASELINE)
    return to_yaml(render(stages, load_base(SEED_DEPLOY / "endpoint-template.yml"))), f"rendered from {' and '.join(configs.values())}"


def endpoint_variants() -> dict[str, str]:
    """Every endpoint stack make lint checks, by file name: each config set rendered, without and with a VPC."""
    import yaml

    variants = {}
    for configs in LINTED_CONFIGS:
        text, note = rendered_endpoint_template(configs)
        if text is None:
            continue
        name = "endpoint-" + "-".join(Path(path).stem for path in configs.values())
        variants[f"{name}-no-vpc.yml"] = text
        template = yaml.safe_load(text)
        for parameter, value in VPC_DEFAULTS.items():
            template["Parameters"][parameter]["Default"] = value
        variants[f"{name}-vpc.yml"] = yaml.safe_dump(template, sort_keys=False, width=120)
    return variants


@dataclass(frozen=True)
class CheckovResult:
    """checkov's verdict on a folder of templates: counts, each failure, each skip with its written reason."""

    passed: int
    failed: list[str]
    skipped: list[str]


def checkov(templates_dir: Path, checkov_bin: Path = CHECKOV) -> CheckovResult:
    """checkov (pinned, in .venv-tools) on every CloudFormation template of `templates_dir`, offline."""
    if not checkov_bin.exists():
        raise FileNotFoundError(f"{checkov_bin} is missing: run `make tools` (checkov's own venv)")
    # --skip-download and BC_SKIP_MAPPING: no call to checkov's platform for guidelines; the run stays offline.
    command = [str(checkov_bin), "-d", str(templates_dir), "--framework", "cloudformation", "--compact",
               "--skip-download", "-o", "json"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=CHECKOV_TIMEOUT,
                               env={**os.environ, "BC_SKIP_MAPPING": "TRUE"})
    reports = json.loads(completed.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    passed, failed, skipped = 0, [], []
    for report in reports:
        results = report.get("results", {})
        passed += report.get("summary", {}).get("passed", 0)
        failed += [f"{Path(c['file_path']).name}: {c['resource']}: {c['check_id']} {c['check_name']}"
                   for c in results.get("failed_checks", [])]
        skipped += [f"{Path(c['file_path']).name}: {c['resource']}: {c['check_id']}: "
                    f"{c.get('check_result', {}).get('suppress_comment', '')}"
                    for c in results.get("skipped_checks", [])]
    if completed.returncode not in (0, 1) or (not reports and completed.returncode):
        raise RuntimeError(f"checkov exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    return CheckovResult(passed, failed, skipped)


def nag_violations(report: Path = NAG_REPORT) -> list[dict] | None:
    """cdk-nag's violations recorded by synth.py, or None when synth has not run."""
    return json.loads(report.read_text()) if report.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates-dir", type=Path, default=TEMPLATES_DIR)
    parser.add_argument("--nag-report", type=Path, default=NAG_REPORT)
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--skip-checkov", action="store_true", help="no checkov")
    parser.add_argument("--skip-ci", action="store_true", help="no actionlint/zizmor/GitLab schema on the seeds' CI files")
    parser.add_argument("--skip-permissions", action="store_true",
                        help="no recorded-call permissions table (scripts/permissions.py, about a minute)")
    parser.add_argument("--checkov-bin", type=Path, default=CHECKOV, help=argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return run_command(lambda: lint(args), args.debug)


def lint(args: argparse.Namespace) -> int:
    """Every check; 2 when any reports an error."""
    templates = sorted(args.templates_dir.glob("*.json"))
    violations = nag_violations(args.nag_report)
    if not templates or violations is None:
        raise ScriptInputError(f"{args.templates_dir} has no templates or {args.nag_report} is missing: run "
                               "scripts/synth.py (make synth) first")
    findings = []
    for path in templates:
        print(f"==> cfn-lint {path.name}", flush=True)
        findings += cfn_lint(path.read_text(), path.name, args.region)
    endpoint, note = rendered_endpoint_template()
    endpoints = endpoint_variants() if endpoint is not None else {}
    if endpoint is None:
        print(f"==> skipped the endpoint template: {note}")
    for name, text in endpoints.items():
        print(f"==> cfn-lint seed-deploy/endpoint-template.yml rendered as {name}", flush=True)
        findings += cfn_lint(text, name, args.region)
    for finding in findings:
        print(("error: " if finding.is_error else "warning: ") + str(finding), file=sys.stderr)
    print(f"==> cdk-nag AwsSolutions: {len(violations)} violation(s)")
    for violation in violations:
        print(f"error: cdk-nag {violation['rule']}: {violation['description']} at {', '.join(violation['paths'])}",
              file=sys.stderr)
    errors = sum(finding.is_error for finding in findings) + len(violations)
    if not args.skip_checkov:
        errors += _report_checkov(args.templates_dir, args.checkov_bin, endpoints)
    if not args.skip_ci:
        errors += _report_ci_files()
    if not args.skip_permissions:
        print("==> permissions: every call of the demo's story against its actor's policy (scripts/permissions.py)",
              flush=True)
        import permissions

        errors += permissions.main(["--templates-dir", str(args.templates_dir)])
    print(f"==> {errors} error(s), {len(findings) - sum(f.is_error for f in findings)} warning(s)")
    return 2 if errors else 0


def _report_ci_files() -> int:
    """actionlint, zizmor and the GitLab CI schema on the seeds' CI files (scripts/ci_lint.py); the errors."""
    import ci_lint

    errors = 0
    for run in ci_lint.lint_ci_files():
        print(f"==> {run.tool}: {'clean' if run.passed else 'FAILED'} ({len(run.files)} file(s))", flush=True)
        if not run.passed:
            print(f"error: {run.tool}: {run.output[-3000:]}", file=sys.stderr)
            errors += 1
    return errors


def _report_checkov(templates_dir: Path, checkov_bin: Path, endpoints: dict[str, str]) -> int:
    """checkov on the templates and the rendered endpoint stacks together (one run); print its counts, failures
    and skips (with their reasons); the number of errors."""
    print(f"==> checkov {templates_dir.name}/ and {len(endpoints)} endpoint stacks (CloudFormation checks)",
          flush=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            for path in templates_dir.glob("*.json"):
                shutil.copy(path, folder)
            for name, text in endpoints.items():
                (Path(folder) / name).write_text(text)
            result = checkov(Path(folder), checkov_bin)
    except (FileNotFoundError, RuntimeError) as error:
        print(f"error: checkov: {error}", file=sys.stderr)
        return 1
    for failure in result.failed:
        print(f"error: checkov {failure}", file=sys.stderr)
    print(f"==> checkov: {result.passed} passed, {len(result.failed)} failed, {len(result.skipped)} skipped")
    for skip in result.skipped:
        print(f"    skipped {skip}")
    return len(result.failed)


if __name__ == "__main__":
    sys.exit(main())
