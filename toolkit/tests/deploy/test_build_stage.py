"""build.py: validate both configs, resolve models from the registry, write the template and stage configurations."""
import json
import shutil
from pathlib import Path

import pytest
import yaml

from mlops_guardrails.deploy import cli
from mlops_guardrails.deploy.accounts import stage_session
from mlops_guardrails.deploy.build_stage import BuildEnvironment
from mlops_guardrails.errors import InputError

SEED = Path(__file__).resolve().parents[3] / "seed-deploy"  # the repository's deploy seed: the shipped configs
ROLE = "arn:aws:iam::123456789012:role/model-execution"
OUTPUTS = ["template-export.yml", "staging-config-export.json", "prod-config-export.json"]


@pytest.fixture
def project(sm, register, unique, monkeypatch):
    """A project whose group holds versions 1-5 (Approved: 1, 2, 4; 5 Pending, 3 Rejected), with baselines."""
    name = unique("proj")
    group = f"{name}-p1234"
    arns = register(sm, group, ["Approved", "Approved", "Rejected", "Approved", "PendingManualApproval"], baseline=True)
    for key, value in {"SAGEMAKER_PROJECT_NAME": name, "SAGEMAKER_PROJECT_ID": "p1234",
                       "MODEL_PACKAGE_GROUP_NAME": group, "ARTIFACT_BUCKET": f"{name}-artifacts",
                       "MODEL_EXECUTION_ROLE_ARN": ROLE}.items():
        monkeypatch.setenv(key, value)
    return {"name": name, "group": group, "arns": arns}


def run_build(tmp_path, prod="prod-config.json", staging="staging-config.json") -> int:
    return cli.main(["build", "--output-dir", str(tmp_path / "out"),
                     "--staging-config", str(SEED / staging), "--prod-config", str(SEED / prod)])


def written(tmp_path) -> list[str]:
    out = tmp_path / "out"
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


def models(template: dict) -> dict[str, str]:
    return {key: r["Properties"]["PrimaryContainer"]["ModelPackageName"]
            for key, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Model"}


def test_build_writes_template_and_stage_configurations(project, tmp_path, capsys):
    assert run_build(tmp_path) == 0
    assert written(tmp_path) == sorted(OUTPUTS)
    staging = json.loads((tmp_path / "out/staging-config-export.json").read_text())
    assert staging == {
        "Parameters": {"StageName": "staging", "EndpointName": f"{project['name']}-staging",
                       "ModelExecutionRoleArn": ROLE, "ArtifactBucket": f"{project['name']}-artifacts"},
        "Tags": {"sagemaker:project-name": project["name"], "sagemaker:project-id": "p1234",
                 "sagemaker:deployment-stage": "staging"},
    }
    prod = json.loads((tmp_path / "out/prod-config-export.json").read_text())
    assert prod["Parameters"]["EndpointName"] == f"{project['name']}-prod"
    assert prod["Tags"]["sagemaker:deployment-stage"] == "prod"
    template = yaml.safe_load((tmp_path / "out/template-export.yml").read_text())
    # Newest Approved is version 4: the Pending 5 and Rejected 3 are ignored.
    assert models(template) == {"StagingAllTrafficModel": project["arns"][3], "ProdAllTrafficModel": project["arns"][3]}
    quality = template["Resources"]["ProdDataQualityJobDefinition"]["Properties"]["DataQualityBaselineConfig"]
    assert quality["StatisticsResource"]["S3Uri"] == f"s3://bucket/{project['group']}/4/statistics.json"
    assert "StagingDataQualityJobDefinition" not in template["Resources"]
    assert f"staging: variant AllTraffic serves {project['arns'][3]}" in capsys.readouterr().out


def test_build_ab_test_serves_previous_as_champion_and_latest_as_challenger(project, tmp_path):
    assert run_build(tmp_path, prod="examples/ab-test.json") == 0
    template = yaml.safe_load((tmp_path / "out/template-export.yml").read_text())
    assert models(template)["ProdChampionModel"] == project["arns"][1]
    assert models(template)["ProdChallengerModel"] == project["arns"][3]


def test_build_shadow_serves_live_model_beside_the_candidate(project, sm, tmp_path, deploy_endpoint):
    deploy_endpoint(sm, f"{project['name']}-prod", project["arns"][0])
    assert run_build(tmp_path, prod="examples/shadow.json") == 0
    template = yaml.safe_load((tmp_path / "out/template-export.yml").read_text())
    assert models(template)["ProdAllTrafficModel"] == project["arns"][0]
    assert models(template)["ProdShadowModel"] == project["arns"][3]
    shadow = template["Resources"]["EndpointConfig"]["Properties"]["ShadowProductionVariants"]["Fn::If"]
    assert shadow[1] == {"Ref": "AWS::NoValue"}
    assert shadow[2][0]["VariantName"] == "Shadow"


def test_build_shadow_in_a_prod_account_reads_live_through_the_prod_role(project, sm, tmp_path, deploy_endpoint,
                                                                         monkeypatch):
    """Multi-account: the prod endpoint lives in account 222222222222, reachable only through its role."""
    role = "arn:aws:iam::222222222222:role/sagemaker-project/sagemaker-p1234-stage-test"
    deploy_endpoint(stage_session(role, "setup").client("sagemaker"), f"{project['name']}-prod", project["arns"][1])
    monkeypatch.setenv("PROD_TARGET_ROLE_ARN", role)

    assert run_build(tmp_path, prod="examples/shadow.json") == 0

    template = yaml.safe_load((tmp_path / "out/template-export.yml").read_text())
    assert models(template)["ProdAllTrafficModel"] == project["arns"][1]
    assert models(template)["ProdShadowModel"] == project["arns"][3]


def test_build_environment_reads_the_target_roles_of_a_multi_account_project():
    environ = {"SAGEMAKER_PROJECT_NAME": "p", "SAGEMAKER_PROJECT_ID": "i", "MODEL_PACKAGE_GROUP_NAME": "p-i",
               "ARTIFACT_BUCKET": "artifacts-b", "MODEL_EXECUTION_ROLE_ARN": ROLE,
               "STAGING_TARGET_ROLE_ARN": "arn:aws:iam::111111111111:role/s", "PROD_TARGET_ROLE_ARN": ""}
    assert BuildEnvironment.from_environ(environ).target_roles == {"staging": "arn:aws:iam::111111111111:role/s"}


def test_build_shadow_before_first_prod_deploy_fails_and_writes_nothing(project, tmp_path, capsys):
    assert run_build(tmp_path, prod="examples/shadow.json") == 1
    assert f"endpoint {project['name']}-prod does not exist yet" in capsys.readouterr().err
    assert written(tmp_path) == []


def test_build_without_approved_model_fails_and_writes_nothing(sm, register, unique, project, tmp_path, capsys, monkeypatch):
    group = unique("pending")
    register(sm, group, ["PendingManualApproval", "Rejected"])
    monkeypatch.setenv("MODEL_PACKAGE_GROUP_NAME", group)
    assert run_build(tmp_path) == 1
    assert f"error: no Approved model package in group {group}" in capsys.readouterr().err
    assert written(tmp_path) == []


def test_build_unknown_version_exits_2_and_writes_nothing(project, tmp_path, capsys):
    config = json.loads((SEED / "prod-config.json").read_text())
    config["ProductionVariants"][0]["ModelVersion"] = 3  # Rejected
    path = tmp_path / "prod-v3.json"
    path.write_text(json.dumps(config))
    assert run_build(tmp_path, prod=path) == 2
    assert "ModelVersion 3: " in capsys.readouterr().err
    assert written(tmp_path) == []


def test_build_invalid_staging_config_exits_2_before_any_aws_call(tmp_path, capsys, monkeypatch):
    for key in ("SAGEMAKER_PROJECT_NAME", "SAGEMAKER_PROJECT_ID", "MODEL_PACKAGE_GROUP_NAME"):
        monkeypatch.setenv(key, "x")
    monkeypatch.setenv("ARTIFACT_BUCKET", "bucket-x")
    monkeypatch.setenv("MODEL_EXECUTION_ROLE_ARN", "arn:aws:iam::123456789012:role/x")
    # No emulator: an AWS call would fail with exit 1, so exit 2 proves validation came first.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    bad = Path(__file__).parent / "fixtures/invalid-canary-over-half.json"
    assert run_build(tmp_path, staging=bad) == 2
    err = capsys.readouterr().err
    assert "is not a valid stage config" in err
    assert "CanarySize.Value: 2: a canary must be at most 50% of the instance count" in err
    assert written(tmp_path) == []


def test_build_monitoring_without_baseline_fails(sm, register, unique, project, tmp_path, capsys, monkeypatch):
    group = unique("nobaseline")
    register(sm, group, ["Approved"])
    monkeypatch.setenv("MODEL_PACKAGE_GROUP_NAME", group)
    assert run_build(tmp_path) == 1
    assert "has no ModelMetrics.ModelDataQuality baseline" in capsys.readouterr().err
    assert written(tmp_path) == []


def test_build_environment_missing_variables_names_them():
    with pytest.raises(InputError, match="ARTIFACT_BUCKET, MODEL_EXECUTION_ROLE_ARN: not set"):
        BuildEnvironment.from_environ({"SAGEMAKER_PROJECT_NAME": "p", "SAGEMAKER_PROJECT_ID": "i",
                                       "MODEL_PACKAGE_GROUP_NAME": "g"})


def test_build_script_runs_the_build_command(project, tmp_path):
    import subprocess
    import sys

    work = tmp_path / "repo"
    shutil.copytree(SEED, work, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    done = subprocess.run([sys.executable, "build.py", "--output-dir", "out"], cwd=work, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (work / "out").iterdir()) == sorted(OUTPUTS)


def test_build_inference_components_resolve_one_model_per_component(project, tmp_path):
    assert run_build(tmp_path, staging="examples/inference-components.json") == 0
    template = yaml.safe_load((tmp_path / "out/template-export.yml").read_text())
    latest = project["arns"][3]  # version 4: the newest Approved
    assert models(template)["StagingmodelComponentModel"] == latest
    component = template["Resources"]["StagingmodelInferenceComponent"]["Properties"]
    assert component["Specification"]["ModelName"] == {"Fn::GetAtt": ["StagingmodelComponentModel", "ModelName"]}
    assert "StagingAllTrafficModel" not in template["Resources"]  # the variant names no model


def test_build_refuses_a_component_name_too_long_for_the_stage_endpoint_before_any_aws_call(tmp_path, capsys,
                                                                                              monkeypatch):
    project = "p" * 32  # SageMaker's longest project name (ProjectEntityName): endpoint <project>-staging, 40
    for key, value in {"SAGEMAKER_PROJECT_NAME": project, "SAGEMAKER_PROJECT_ID": "p1234",
                       "MODEL_PACKAGE_GROUP_NAME": "group", "ARTIFACT_BUCKET": "bucket-x",
                       "MODEL_EXECUTION_ROLE_ARN": ROLE}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # an AWS call would exit 1, not 2
    config = json.loads((SEED / "examples/inference-components.json").read_text())
    config["InferenceComponents"][0]["ComponentName"] = "c" * 23  # validate accepts it: 56 fit p-prod
    path = tmp_path / "staging.json"
    path.write_text(json.dumps(config))
    assert cli.main(["validate", str(path)]) == 0
    capsys.readouterr()
    assert run_build(tmp_path, staging=path) == 2
    err = capsys.readouterr().err
    assert f"{path} is not a valid stage config:\n" in err
    assert (f'InferenceComponents[0].ComponentName: "{"c" * 23}": InferenceComponentName <endpoint>-<ComponentName> '
            f"would be 64 characters with the stage's endpoint name {project}-staging, over SageMaker's limit of 63: "
            "keep ComponentName to at most 22 characters") in err
    assert written(tmp_path) == []


ABALONE_FEATURES = ["sex_F", "sex_I", "sex_M", "length", "diameter", "height", "whole_weight", "shucked_weight",
                    "viscera_weight", "shell_weight"]


def project_with_features(sm, register, unique, monkeypatch, features):
    name = unique("sig")
    group = f"{name}-p1234"
    arns = register(sm, group, ["Approved", "Approved"], baseline=True, features=features)
    for key, value in {"SAGEMAKER_PROJECT_NAME": name, "SAGEMAKER_PROJECT_ID": "p1234",
                       "MODEL_PACKAGE_GROUP_NAME": group, "ARTIFACT_BUCKET": f"{name}-artifacts",
                       "MODEL_EXECUTION_ROLE_ARN": ROLE}.items():
        monkeypatch.setenv(key, value)
    return arns


def test_build_checks_the_sample_rows_against_each_models_signature(sm, register, unique, monkeypatch, tmp_path,
                                                                     capsys):
    arns = project_with_features(sm, register, unique, monkeypatch, ABALONE_FEATURES)
    monkeypatch.chdir(SEED)
    assert run_build(tmp_path) == 0
    assert f"{arns[1]}: 50 rows of 10 features, as its signature says" in capsys.readouterr().out


def test_build_refuses_sample_rows_narrower_than_the_models_signature_and_writes_nothing(
        sm, register, unique, monkeypatch, tmp_path, capsys):
    eleven = [*ABALONE_FEATURES, "shell_ratio"]
    arns = project_with_features(sm, register, unique, monkeypatch, eleven)
    monkeypatch.chdir(SEED)
    assert run_build(tmp_path) == 2
    err = capsys.readouterr().err
    assert (f"sample-data/sample-rows.csv row 1: 10 values, but model package {arns[1]} takes 11 features "
            f"({', '.join(eleven)}); 49 more row(s) of another width") in err
    assert written(tmp_path) == []


def test_build_of_a_package_registered_without_a_signature_says_widths_are_not_checked(project, tmp_path, capsys,
                                                                                     monkeypatch):
    monkeypatch.chdir(SEED)
    assert run_build(tmp_path) == 0
    assert f"{project['arns'][3]}: no feature signature registered" in capsys.readouterr().out


def test_build_with_rows_given_checks_those_rows(sm, register, unique, monkeypatch, tmp_path, capsys):
    project_with_features(sm, register, unique, monkeypatch, ABALONE_FEATURES)
    rows = tmp_path / "rows.csv"
    rows.write_text("1,0,0,0.5,0.4,0.1,0.6,0.2,0.1,0.2\n1,0,0,0.5,0.4,0.1,0.6,0.2,0.1\n")
    assert cli.main(["build", "--output-dir", str(tmp_path / "out"), "--rows", str(rows),
                     "--staging-config", str(SEED / "staging-config.json"),
                     "--prod-config", str(SEED / "prod-config.json")]) == 2
    assert f"{rows} row 2: 9 values, but model package" in capsys.readouterr().err
