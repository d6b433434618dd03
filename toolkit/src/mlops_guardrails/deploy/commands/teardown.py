"""Delete what the deploy pipeline created for a project: its stage stacks and everything in them.

Deletes exactly sagemaker-<project>-deploy-staging and sagemaker-<project>-deploy-prod (the models,
endpoint configs, endpoints, alarms, autoscaling and monitoring schedules they hold), each in its stage's
account, and with --delete-project then deletes the SageMaker project (whose stack keeps the artifact
bucket; see the template README). --dry-run lists every resource that would go and what it costs per
month. Safe to interrupt: run it again and it continues; a second run after a complete one changes nothing."""
import os

from mlops_guardrails.deploy.accounts import TARGET_ROLE_VARIABLES, stage_session
from mlops_guardrails.deploy.analysis.output import read_json_file
from mlops_guardrails.deploy.analysis.plan import load_prices
from mlops_guardrails.deploy.teardown import check_project_name, delete_project, teardown

EPILOG = """exit codes: 0 nothing of the project's deploys is left (or the dry run listed it); 1 something
still runs (named, with CloudFormation's reason), or an AWS call failed; 2 invalid arguments.

multi-account projects: the stage stacks live in the staging and prod accounts; give a role there that may
delete them (the project's sagemaker-<project id>-deploy-action role), or set STAGING_TARGET_ROLE_ARN /
PROD_TARGET_ROLE_ARN as the deploy build does.

examples:
  python -m deploy teardown --project churn --dry-run
  python -m deploy teardown --project churn
  python -m deploy teardown --project churn --delete-project
  python -m deploy teardown --project churn --staging-role-arn arn:aws:iam::222222222222:role/sagemaker-p-abc-deploy-action \\
      --prod-role-arn arn:aws:iam::333333333333:role/sagemaker-p-abc-deploy-action"""


def configure(parser) -> None:
    parser.add_argument("--project", required=True, help="the SageMaker project name (stacks sagemaker-<project>-deploy-*)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be deleted and its monthly cost; change nothing")
    parser.add_argument("--delete-project", action="store_true",
                        help="after the stage stacks are gone, delete the SageMaker project (DeleteProject)")
    for stage, variable in TARGET_ROLE_VARIABLES.items():
        parser.add_argument(f"--{stage}-role-arn", default=os.environ.get(variable) or None,
                            help=f"role to assume in the {stage} account (default: ${variable}; unset: this account)")
    parser.add_argument("--prices", metavar="FILE", help="price table JSON merged over the shipped one (as plan's)")


def run(args) -> int:
    check_project_name(args.project)
    prices, currency = load_prices(read_json_file(args.prices, "price table") if args.prices else None)
    sessions = {stage: stage_session(getattr(args, f"{stage}_role_arn"), "teardown") for stage in TARGET_ROLE_VARIABLES}
    print(f"==> {'dry run: ' if args.dry_run else ''}tearing down the deploys of project {args.project}")
    stages = teardown(args.project, sessions, prices, dry_run=args.dry_run)
    _print_inventory(stages, currency, args.dry_run)
    if args.delete_project:
        _delete_project(args.project, args.dry_run)
    return 0


def _print_inventory(stages, currency: str, dry_run: bool) -> None:
    if not any(stage.status for stage in stages):
        print("    nothing to tear down: no stage stack exists" + ("" if dry_run else " (nothing changed)"))
        return
    for stage in stages:
        if stage.status is None:
            print(f"    {stage.stage}: no stack {stage.stack}")
            continue
        print(f"    {stage.stage}: {'would delete' if dry_run else 'deleted'} stack {stage.stack} ({stage.status}), "
              f"{len(stage.items)} resources, {stage.monthly_cost:.2f} {currency}/month" + (":" if dry_run else ""))
        for item in stage.items if dry_run else []:
            cost = f"{item.monthly_cost:.2f} {currency}/month" if item.monthly_cost is not None else "-"
            print(f"      {item.logical_id} {item.resource_type or '(type not reported)'} {item.physical_id or '-'}: "
                  f"{cost}{'; ' + item.note if item.note else ''}")
    total = sum(stage.monthly_cost for stage in stages)
    print(f"    total: {total:.2f} {currency}/month {'would stop' if dry_run else 'stopped'} "
          "(prices: deploy/analysis/prices.json; per-use charges not included)")


def _delete_project(project: str, dry_run: bool) -> None:
    import boto3

    if dry_run:
        print(f"    would delete SageMaker project {project} (its stack: repositories, pipelines, builds, rules, "
              "roles, the model package group; the artifact bucket and its key are retained)")
    elif delete_project(boto3.client("sagemaker"), project):
        print(f"    deleting SageMaker project {project}: aws sagemaker describe-project --project-name {project}")
    else:
        print(f"    project {project}: already deleted")
