"""Compare two production variants on data capture joined to ground truth: promote, keep or inconclusive.

Reads SageMaker data capture (a folder or an s3:// prefix; the variant of each record comes from its
path .../<endpoint>/<variant>/yyyy/mm/dd/hh/), joins it to ground truth as Model Monitor does (inferenceId
when the caller sent one, else eventId), and compares
the challenger's per-request squared errors with the control's (Welch's t-test, confidence interval).
Inconclusive results say how many joined requests per variant would detect the observed difference."""
from mlops_guardrails.deploy.analysis import ab, charts
from mlops_guardrails.deploy.analysis.captures import load_captures
from mlops_guardrails.deploy.analysis.ground_truth import load_truth
from mlops_guardrails.deploy.analysis.output import add_output_options, check_writable, emit
from mlops_guardrails.errors import InputError

EPILOG = """exit codes: 0 the analysis ran (whatever the verdict), 2 bad input, 1 an AWS error.

ground truth: a CSV with a header holding inference_id,label (one numeric label per request), or Model
Monitor's ground truth JSON lines ({"groundTruthData": {"data": "12", "encoding": "CSV"},
"eventMetadata": {"eventId": "<the capture's inferenceId, else its eventId>"}, "eventVersion": "0"}):
a .jsonl file, or a folder or s3:// prefix holding them.

examples:
  python -m deploy analyze-ab demo-output/captures/demo-prod --truth truth.csv --control AllTraffic
  python -m deploy analyze-ab s3://my-bucket/data-capture/demo-prod/ --truth s3://my-bucket/truth.csv \\
      --control champion --challenger challenger --cloudwatch --report ab.md --png ab.png
  python -m deploy analyze-ab captures/ --truth truth.csv --control a --alpha 0.01 --power 0.9 --json ab.json
  python -m deploy analyze-ab s3://my-bucket/data-capture/demo-prod/ --truth s3://my-bucket/ground-truth/ --control a"""


def configure(parser) -> None:
    parser.add_argument("captures", metavar="CAPTURES", help="capture folder or s3:// prefix")
    parser.add_argument("--truth", required=True, metavar="TRUTH", help="ground truth: CSV (inference_id,label) or groundTruthData .jsonl file/folder/prefix, local or s3://")
    parser.add_argument("--control", help="the variant serving now (with two variants, naming one is enough)")
    parser.add_argument("--challenger", help="the variant being evaluated")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument("--power", type=float, default=0.8, help="power for the sample-size estimate (default 0.8)")
    parser.add_argument("--cloudwatch", action="store_true", help="read per-variant latency and errors from CloudWatch")
    parser.add_argument("--endpoint", help="endpoint name for --cloudwatch (default: from the capture paths)")
    add_output_options(parser)


def run(args) -> int:
    if not 0 < args.alpha < 1 or not 0 < args.power < 1:
        raise InputError(f"--alpha/--power: {args.alpha}/{args.power}: both must be between 0 and 1")
    check_writable(args.report, args.json, args.png)
    captures, truth = load_captures(args.captures), load_truth(args.truth)
    metrics = None
    if args.cloudwatch:
        from mlops_guardrails.deploy.analysis.metrics import metrics_for_captures

        metrics = metrics_for_captures(captures, sorted({c.variant for c in captures}), args.endpoint)
    result = ab.analyze_ab(captures, truth, args.control, args.challenger, args.alpha, args.power, metrics)
    emit(ab.build_report(result), args, ab.to_json(result), lambda path: charts.ab_chart(result, path))
    return 0
