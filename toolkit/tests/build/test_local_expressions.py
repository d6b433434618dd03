import pytest

from mlops_guardrails.local.executor import ParameterError, dependencies, resolve_parameters
from mlops_guardrails.local.expressions import Context, ExpressionError, resolve

PROPERTIES = {
    "Prep": {"ProcessingOutputConfig": {"Outputs": [
        {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}},
        {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/test"}},
    ]}},
}


def context():
    return Context(
        parameters={"Threshold": 6.0},
        execution={"PipelineExecutionId": "abc123"},
        step_properties=dict(PROPERTIES),
        property_files={("Eval", "Report"): {"regression_metrics": {"mse": {"value": 4.5}}, "items": [10, 20]}},
    )


def test_resolve_get_parameter_step_property_by_output_name_and_execution():
    ctx = context()
    assert resolve({"Get": "Parameters.Threshold"}, ctx) == 6.0
    assert resolve({"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"}, ctx) == "s3://b/test"
    assert resolve({"Get": "Execution.PipelineExecutionId"}, ctx) == "abc123"


def test_resolve_join_nested_in_join_and_json_get_with_index():
    ctx = context()
    inner = {"Std:Join": {"On": "/", "Values": ["s3://b", {"Get": "Execution.PipelineExecutionId"}]}}
    assert resolve({"Std:Join": {"On": "/", "Values": [inner, "x.json"]}}, ctx) == "s3://b/abc123/x.json"
    get = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": "regression_metrics.mse.value"}}
    assert resolve(get, ctx) == 4.5
    indexed = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": "items[1]"}}
    assert resolve(indexed, ctx) == 20


@pytest.mark.parametrize("expression, message", [
    ({"Get": "Parameters.Nope"}, "Parameters.Nope: no such parameter"),
    ({"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}, "step Train has not run"),
    ({"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['other'].S3Output.S3Uri"}, "no value at"),
    ({"Std:JsonGet": {"PropertyFile": {"Get": "Steps.X.PropertyFiles.R"}, "Path": "a"}}, "property file not produced"),
])
def test_resolve_missing_reference_names_it(expression, message):
    with pytest.raises(ExpressionError, match=message):
        resolve(expression, context())


DEFINITION = {"Parameters": [
    {"Name": "Count", "Type": "Integer", "DefaultValue": 1},
    {"Name": "Threshold", "Type": "Float", "DefaultValue": 6.0},
    {"Name": "Flag", "Type": "Boolean", "DefaultValue": False},
]}


def test_resolve_parameters_converts_overrides_to_each_type():
    values = resolve_parameters(DEFINITION, {"Count": "3", "Threshold": "1.5", "Flag": "true"})
    assert values == {"Count": 3, "Threshold": 1.5, "Flag": True}


@pytest.mark.parametrize("overrides, message", [
    ({"Nope": "1"}, "unknown parameter Nope: the pipeline takes Count, Threshold, Flag"),
    ({"Count": "two"}, "parameter Count: 'two': not a valid Integer"),
    ({"Flag": "maybe"}, "parameter Flag: 'maybe': not a valid Boolean"),
])
def test_resolve_parameters_bad_override_is_named(overrides, message):
    with pytest.raises(ParameterError, match=message):
        resolve_parameters(DEFINITION, overrides)


def test_dependencies_are_step_references_property_files_and_depends_on():
    step = {
        "Name": "C",
        "Arguments": {"x": {"Get": "Steps.B.Y"}, "y": {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.R"}, "Path": "a"}}},
        "DependsOn": ["A"],
    }
    assert dependencies(step) == {"A", "B", "Eval"}


def test_referenced_steps_keep_underscores_and_dashes_in_step_names():
    expression = {"Get": "Steps.Train_Model-2.ModelArtifacts.S3ModelArtifacts"}
    assert dependencies({"Name": "X", "Arguments": {"ModelDataUrl": expression}}) == {"Train_Model-2"}
    ctx = context()
    ctx.step_properties["Train_Model-2"] = {"ModelArtifacts": {"S3ModelArtifacts": "s3://b/model.tar.gz"}}
    assert resolve(expression, ctx) == "s3://b/model.tar.gz"


def test_condition_depends_on_what_its_conditions_read_not_on_its_branch_steps():
    condition = {
        "Name": "Check", "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "LessThanOrEqualTo", "LeftValue": {"Get": "Steps.Eval_Step.X"}, "RightValue": 1}],
            "IfSteps": [
                {"Name": "Create_Model", "Type": "Model", "Arguments": {"ModelDataUrl": {"Get": "Steps.Train_Model.Y"}}},
                {"Name": "Score", "Type": "Transform", "Arguments": {"ModelName": {"Get": "Steps.Create_Model.ModelName"}}},
            ],
            "ElseSteps": [],
        },
    }
    assert dependencies(condition) == {"Eval_Step"}


def test_output_parameter_reference_resolves_to_its_value():
    ctx = context()
    ctx.step_properties["Notify"] = {"OutputParameters": [{"Name": "ticket", "Value": "T-1"}]}
    assert resolve({"Get": "Steps.Notify.OutputParameters['ticket']"}, ctx) == "T-1"


def test_unknown_execution_variable_is_named():
    with pytest.raises(ExpressionError, match="Execution.Nope: no such execution variable"):
        resolve({"Get": "Execution.Nope"}, context())
