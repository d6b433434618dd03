"""`make demo`: the project's whole lifecycle played offline against an embedded emulator, through the
template's real code (buildspecs, build.py, the rendered endpoint template, stage configs, verify, the
stage test, the registry rollback), with the rehearsal's endpoint host and guardrail controller.

Story: 1 provision, 2 model v1, 3 approval -> event -> deploy pipeline (staging, test, approval, prod,
verify), 4 v2 by canary, 5 a faulty v3 rolled back by its alarm, 6 registry rollback to v1,
7 A/B and shadow experiments. Writes demo-report.md and rollout-timeline.png to the output folder."""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_story.paths import DEFAULT_OUTPUT  # noqa: E402  (sets up the import paths)

EPILOG = """examples:
  scripts/demo.py                         # about three minutes; output in demo-output/
  scripts/demo.py --speed 120 --out /tmp/demo
  scripts/demo.py --fast                  # the end-to-end test's settings: faster clock, less traffic

exit codes: 0 the story ran to its end (its expected failures included); 2 bad options or an output
path that cannot be a folder; 1 a step did not happen as the story needs, or an AWS call failed.
Errors are one line on stderr; --debug adds the traceback."""
FAST_SPEED = 120.0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help=f"output folder (default {DEFAULT_OUTPUT})")
    parser.add_argument("--speed", type=float, help="simulated seconds per real second (default 60; --fast 120)")
    parser.add_argument("--fast", action="store_true", help="faster clock and less experiment traffic (the test's)")
    parser.add_argument("--work-dir", type=Path, help="where builds and pipeline executions run (default: a temp folder)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    if args.speed is not None and not 0 < args.speed <= 150:
        parser.error(f"--speed: {args.speed}: must be > 0 and <= 150 (above it a sim minute holds too few "
                     "requests of the slow v3 for the latency alarm's three periods)")
    for option, folder in (("--out", args.out), ("--work-dir", args.work_dir)):
        if folder is not None and folder.exists() and not folder.is_dir():
            parser.error(f"{option}: {folder}: exists and is not a folder: give a folder or a new path")
    return args


def settings_from(args: argparse.Namespace):
    from demo_story.story import Settings

    speed = args.speed or (FAST_SPEED if args.fast else 60.0)
    if args.fast:
        return Settings(out_dir=args.out, speed=speed, ab_requests=200, targeted_requests=20, shadow_requests=100,
                        work_dir=args.work_dir)
    return Settings(out_dir=args.out, speed=speed, work_dir=args.work_dir)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from demo_story.story import run_story
    from script_errors import run_command

    def play() -> int:
        run_story(settings_from(args))
        return 0

    return run_command(play, args.debug)

if __name__ == "__main__":
    sys.exit(main())
