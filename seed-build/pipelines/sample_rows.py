"""Print request rows for the deploy repo's stage test: the model's input (FEATURES, no label, no header).

    python -m pipelines.sample_rows data/abalone.csv > ../model-deploy/sample-data/sample-rows.csv

Rows come from preprocess.py itself (read_raw, then to_model_frame), so they are exactly as wide as the
signature the pipeline registers; evenly spread over the file (for the abalone data, every 83rd row: the
shipped sample).
"""
import argparse
import sys
from pathlib import Path

from pipelines.abalone import preprocess


def sample_rows(csv_path: Path, count: int) -> str:
    frame = preprocess.to_model_frame(preprocess.read_raw(csv_path))
    step = max(1, len(frame) // count)
    return frame[preprocess.FEATURES].iloc[::step].head(count).to_csv(header=False, index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path, help="a CSV the schema in preprocess.py describes")
    parser.add_argument("--count", type=int, default=50, help="rows to print (default 50)")
    args = parser.parse_args(argv)
    if args.count < 1:
        print(f"error: --count: {args.count}: must be a whole number >= 1", file=sys.stderr)
        return 2
    if not args.csv.is_file():
        print(f"error: {args.csv}: no such file", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(sample_rows(args.csv, args.count))
    except preprocess.InputDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
