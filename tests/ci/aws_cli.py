"""The AWS CLI commands the seeds' CI files call, against the emulator: `aws cloudformation deploy` through the
demo's CloudFormation stand-in (scripts/demo_story/cloudformation.py, what the CodePipeline rehearsal's
CloudFormation action uses), `aws s3 ls` / `aws s3 cp` through boto3. Any other command is refused."""
import argparse
import json
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from demo_story.cloudformation import deploy_stack  # noqa: E402


def cloudformation_deploy(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aws cloudformation deploy")
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--template-file", type=Path, required=True)
    parser.add_argument("--parameter-overrides", required=True)
    parser.add_argument("--role-arn", required=True)
    parser.add_argument("--tags", nargs="+", default=[])
    parser.add_argument("--no-fail-on-empty-changeset", action="store_true")
    args = parser.parse_args(argv)
    if not args.role_arn.startswith("arn:"):
        raise SystemExit(f"--role-arn {args.role_arn!r}: the stack is deployed with the project's CloudFormation role")
    configuration = json.loads(Path(args.parameter_overrides.removeprefix("file://")).read_text())
    configuration["Tags"] = dict(tag.split("=", 1) for tag in args.tags)
    deploy = deploy_stack(boto3.Session(), stack=args.stack_name, template_text=args.template_file.read_text(),
                          configuration=configuration)
    print(f"Successfully created/updated stack - {args.stack_name} ({deploy.status}; endpoint "
          f"{deploy.endpoint_name} on {deploy.endpoint_config_name})")
    return 0


def s3(argv: list[str]) -> int:
    client = boto3.client("s3")
    command, *paths = argv
    if command == "ls":
        bucket, _, key = paths[0].removeprefix("s3://").partition("/")
        found = client.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
        for item in found:
            print(item["Key"])
        return 0 if found else 1
    if command == "cp":
        bucket, _, key = paths[1].removeprefix("s3://").partition("/")
        client.upload_file(paths[0], bucket, key)
        print(f"upload: {paths[0]} to {paths[1]}")
        return 0
    raise SystemExit(f"aws s3 {command}: not stood in for")


def main(argv: list[str]) -> int:
    if argv[:2] == ["cloudformation", "deploy"]:
        return cloudformation_deploy(argv[2:])
    if argv[:1] == ["s3"]:
        return s3(argv[1:])
    raise SystemExit(f"aws {' '.join(argv[:2])}: not stood in for (tests/ci/aws_cli.py)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
