"""Render the endpoint template and a template-configuration file per stage for the newest Approved model.

Validates staging and prod configs first, then resolves every variant's model from the registry
(MODEL_PACKAGE_GROUP_NAME); writes template-export.yml, staging-config-export.json and
prod-config-export.json only when everything succeeded.
"""
from pathlib import Path

from mlops_guardrails.deploy.build_stage import BuildEnvironment, build

EPILOG = """environment: SAGEMAKER_PROJECT_NAME, SAGEMAKER_PROJECT_ID, MODEL_PACKAGE_GROUP_NAME,
ARTIFACT_BUCKET, MODEL_EXECUTION_ROLE_ARN (and AWS_REGION or AWS_DEFAULT_REGION).

exit codes: 0 files written; 2 invalid config, unknown model version, missing environment, or sample
rows whose width differs from a model's registered feature signature;
1 no Approved model, "live" with no endpoint yet, or an AWS error. Nothing is written unless 0.

examples:
  python build.py
  python -m deploy build --output-dir out --prod-config examples/ab-test.json"""


def configure(parser) -> None:
    parser.add_argument("--output-dir", type=Path, default=Path("."), help="where to write (default: .)")
    parser.add_argument("--staging-config", type=Path, default=Path("staging-config.json"))
    parser.add_argument("--prod-config", type=Path, default=Path("prod-config.json"))
    parser.add_argument("--rows", type=Path, default=Path("sample-data/sample-rows.csv"),
                        help="the stage test's rows, checked against each model's registered feature signature")


def run(args) -> int:
    env = BuildEnvironment.from_environ()
    result = build(env, {"staging": args.staging_config, "prod": args.prod_config}, args.output_dir,
                   rows_path=args.rows)
    print("\n".join(result.lines()))
    return 0
