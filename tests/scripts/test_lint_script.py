"""scripts/lint.py: exit 2 on cfn-lint errors, cdk-nag violations or nothing to lint; 0 when clean."""
import json

import lint


def write(tmp_path, templates: dict, violations):
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, body in templates.items():
        (folder / f"{name}.json").write_text(json.dumps(body))
    report = tmp_path / "nag.json"
    if violations is not None:
        report.write_text(json.dumps(violations))
    return ["--templates-dir", str(folder), "--nag-report", str(report), "--skip-checkov",
            "--skip-permissions"]


GOOD = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
BAD = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"NoSuchProperty": 1}}}}


def test_missing_synth_output_exits_2_and_says_run_synth(tmp_path, capsys):
    assert lint.main(write(tmp_path, {}, None)) == 2
    assert "run scripts/synth.py (make synth) first" in capsys.readouterr().err


def test_clean_templates_exit_0(tmp_path, capsys):
    assert lint.main(write(tmp_path, {"good": GOOD}, [])) == 0
    assert "==> 0 error(s)" in capsys.readouterr().out


def test_cfn_lint_error_exits_2_naming_file_and_rule(tmp_path, capsys):
    assert lint.main(write(tmp_path, {"bad": BAD}, [])) == 2
    assert "error: bad.json:1: E3002 Additional properties are not allowed ('NoSuchProperty'" in capsys.readouterr().err


def test_nag_violation_exits_2_naming_rule_and_path(tmp_path, capsys):
    violation = {"plugin": "AwsSolutions", "rule": "AwsSolutions-S1", "description": "no access logs",
                 "paths": ["stack/Bucket/Resource"]}
    assert lint.main(write(tmp_path, {"good": GOOD}, [violation])) == 2
    assert "cdk-nag AwsSolutions-S1: no access logs at stack/Bucket/Resource" in capsys.readouterr().err


def test_endpoint_template_is_rendered_and_lint_clean():
    text, note = lint.rendered_endpoint_template()
    assert note == "rendered from staging-config.json and prod-config.json"
    assert [str(f) for f in lint.cfn_lint(text, "endpoint", "us-east-1")] == []


def test_the_inference_component_renders_are_lint_clean_too():
    """make lint also lints the endpoint stack of each inference-component example (and the permissions check
    reads the same renders): no finding, warnings included."""
    notes = []
    for configs in lint.COMPONENT_CONFIGS:
        text, note = lint.rendered_endpoint_template(configs)
        notes.append(note)
        assert "AWS::SageMaker::InferenceComponent" in text
        assert [str(f) for f in lint.cfn_lint(text, "endpoint", "us-east-1")] == []
    assert notes == ["rendered from examples/ic-scale-to-zero.json and prod-config.json",
                     "rendered from staging-config.json and examples/inference-components.json"]


UNLOGGED_BUCKET = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}}}


def test_checkov_failure_exits_2_naming_check_and_resource(tmp_path, capsys):
    args = [a for a in write(tmp_path, {"bucket": UNLOGGED_BUCKET}, []) if a != "--skip-checkov"]
    assert lint.main(args) == 2
    captured = capsys.readouterr()
    assert "error: checkov bucket.json: AWS::S3::Bucket.Bucket: CKV_AWS_18 " in captured.err
    assert "==> checkov: " in captured.out and " failed, 0 skipped" in captured.out


def test_missing_checkov_exits_2_and_says_make_tools(tmp_path, capsys):
    args = [a for a in write(tmp_path, {"good": GOOD}, []) if a != "--skip-checkov"]
    assert lint.main([*args, "--checkov-bin", str(tmp_path / "nope")]) == 2
    assert "run `make tools`" in capsys.readouterr().err
