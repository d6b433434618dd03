"""Compare a shadow variant with production on the same requests: agreement, distributions, errors, latency.

Joins the production and shadow variants' data capture by inferenceId (else eventId; SageMaker documents
no eventId shared between variants, so send InferenceId with the requests to compare) and reports the prediction
deltas (MAE between them, share within --tolerance), the two prediction distributions compared (PSI over
the production deciles and a two-sample KS test), error counts and, with --cloudwatch, latency; then a
verdict (pass, fail, inconclusive) with each reason. Requests seen by only one side are counted."""
from mlops_guardrails.deploy.analysis import charts, shadow
from mlops_guardrails.deploy.analysis.captures import load_captures
from mlops_guardrails.deploy.analysis.output import add_output_options, check_writable, emit
from mlops_guardrails.errors import InputError

EPILOG = """exit codes: 0 the comparison ran (whatever the verdict), 2 bad input, 1 an AWS error.

examples:
  python -m deploy compare-shadow demo-output/captures/demo-prod --shadow shadow
  python -m deploy compare-shadow s3://my-bucket/data-capture/demo-prod/ --production AllTraffic --shadow shadow \\
      --tolerance 1.0 --cloudwatch --report shadow.md --png shadow.png
  python -m deploy compare-shadow captures/ --shadow shadow --psi-threshold 0.1 --json shadow.json
  python -m deploy compare-shadow --experiment abalone-v7     # a managed shadow test's captures (shadow-test)"""


def configure(parser) -> None:
    defaults = shadow.Thresholds()
    parser.add_argument("captures", metavar="CAPTURES", nargs="?",
                        help="capture folder or s3:// prefix holding both variants (or give --experiment)")
    parser.add_argument("--experiment", metavar="NAME",
                        help="a managed shadow test (`shadow-test`): read its captures and variant names from it")
    parser.add_argument("--production", help="the production variant (with two variants, naming one is enough)")
    parser.add_argument("--shadow", help="the shadow variant")
    parser.add_argument("--tolerance", type=float, default=defaults.tolerance, help=f"|delta| counted as agreement (default {defaults.tolerance})")
    parser.add_argument("--min-agreement", type=float, default=defaults.min_agreement, help=f"share that must agree (default {defaults.min_agreement})")
    parser.add_argument("--psi-threshold", type=float, default=defaults.psi, help=f"largest acceptable PSI (default {defaults.psi})")
    parser.add_argument("--ks-threshold", type=float, default=defaults.ks, help=f"KS statistic that fails when also significant (default {defaults.ks})")
    parser.add_argument("--alpha", type=float, default=defaults.alpha, help=f"significance level of the KS test (default {defaults.alpha})")
    parser.add_argument("--min-joined", type=int, default=defaults.min_joined, help=f"fewer joined requests is inconclusive (default {defaults.min_joined})")
    parser.add_argument("--cloudwatch", action="store_true", help="read per-variant latency and errors from CloudWatch")
    parser.add_argument("--endpoint", help="endpoint name for --cloudwatch (default: from the capture paths)")
    add_output_options(parser)


def run(args) -> int:
    if args.tolerance < 0 or not 0 <= args.min_agreement <= 1 or not 0 < args.alpha < 1 or args.min_joined < 2:
        raise InputError("--tolerance >= 0, --min-agreement in [0, 1], --alpha in (0, 1), --min-joined >= 2: "
                         f"got {args.tolerance}, {args.min_agreement}, {args.alpha}, {args.min_joined}")
    check_writable(args.report, args.json, args.png)
    if args.experiment:  # the managed shadow test says where its captures are and which variant is which
        import boto3

        from mlops_guardrails.deploy.shadow_tests import experiment_captures

        args.captures, production, shadow_variant = experiment_captures(boto3.client("sagemaker"), args.experiment)
        args.production, args.shadow = args.production or production, args.shadow or shadow_variant
    if not args.captures:
        raise InputError("CAPTURES: missing: give a capture folder or s3:// prefix, or --experiment NAME")
    captures = load_captures(args.captures)
    metrics = None
    if args.cloudwatch:
        from mlops_guardrails.deploy.analysis.metrics import metrics_for_captures

        metrics = metrics_for_captures(captures, sorted({c.variant for c in captures}), args.endpoint)
    thresholds = shadow.Thresholds(args.tolerance, args.min_agreement, args.psi_threshold, args.ks_threshold, args.alpha, min_joined=args.min_joined)
    result = shadow.compare_shadow(captures, args.production, args.shadow, thresholds, metrics)
    emit(shadow.build_report(result), args, shadow.to_json(result), lambda path: charts.shadow_chart(result, path))
    return 0
