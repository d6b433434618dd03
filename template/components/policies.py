"""Least-privilege statement sets shared by the project stack and the target-account stack."""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam

ROLE_PATH = "/sagemaker-project/"


def _arn(service: str, resource: str, *, region: str = cdk.Aws.REGION, account: str = cdk.Aws.ACCOUNT_ID) -> str:
    return f"arn:{cdk.Aws.PARTITION}:{service}:{region}:{account}:{resource}"


def container_runtime_statements() -> list[iam.PolicyStatement]:
    """Pull SageMaker's built-in images (AWS-owned ECR accounts) and write the jobs' and endpoints' logs."""
    return [
        # GetAuthorizationToken has no resource-level permission: "*" is the only valid resource.
        iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        iam.PolicyStatement(actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                     "ecr:BatchCheckLayerAvailability"],
                            resources=[_arn("ecr", "repository/*", account="*")]),
        iam.PolicyStatement(actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                     "logs:DescribeLogStreams"],
                            resources=[_arn("logs", "log-group:/aws/sagemaker/*")]),
        iam.PolicyStatement(actions=["cloudwatch:PutMetricData"], resources=["*"],
                            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}}),
    ]


def model_execution_statements() -> list[iam.PolicyStatement]:
    """The endpoint's execution role: its container runtime plus the alarms its guardrails roll back on."""
    return [*container_runtime_statements(),
            # DescribeAlarms is a list action without resource-level permissions.
            iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=["*"])]


def pipeline_job_statements(*, pipeline_role_arn: str) -> list[iam.PolicyStatement]:
    """What the SageMaker Pipeline's steps do: processing and training jobs, passing their own role."""
    return [
        iam.PolicyStatement(
            actions=["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob",
                     "sagemaker:StopProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob",
                     "sagemaker:StopTrainingJob", "sagemaker:AddTags"],
            resources=[_arn("sagemaker", "processing-job/*"), _arn("sagemaker", "training-job/*")]),
        iam.PolicyStatement(actions=["iam:PassRole"], resources=[pipeline_role_arn],
                            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        *container_runtime_statements(),
    ]


INFERENCE_COMPONENT_ACTIONS = ["sagemaker:CreateInferenceComponent", "sagemaker:DescribeInferenceComponent",
                               "sagemaker:UpdateInferenceComponent", "sagemaker:UpdateInferenceComponentRuntimeConfig",
                               "sagemaker:DeleteInferenceComponent"]


def endpoint_deploy_statements(*, model_role_arn: str, alarm_prefix: str) -> list[iam.PolicyStatement]:
    """CloudFormation's deploy role: the endpoint template's resources, nothing else."""
    sagemaker_resources = [_arn("sagemaker", f"{kind}/*") for kind in (
        "model", "endpoint-config", "endpoint", "monitoring-schedule", "data-quality-job-definition",
        "inference-component")]
    return [
        iam.PolicyStatement(
            actions=["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel",
                     "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig",
                     "sagemaker:DeleteEndpointConfig", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint",
                     "sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:AddTags",
                     "sagemaker:DeleteTags", "sagemaker:ListTags", "sagemaker:CreateMonitoringSchedule",
                     "sagemaker:DescribeMonitoringSchedule", "sagemaker:UpdateMonitoringSchedule",
                     "sagemaker:DeleteMonitoringSchedule", "sagemaker:CreateDataQualityJobDefinition",
                     "sagemaker:DescribeDataQualityJobDefinition", "sagemaker:DeleteDataQualityJobDefinition",
                     # Stage configs with InferenceComponents (AWS::SageMaker::InferenceComponent's handlers;
                     # CreateInferenceComponent is authorized on the endpoint and the component).
                     *INFERENCE_COMPONENT_ACTIONS],
            resources=sagemaker_resources),
        # The stage alarms are named "<endpoint>-..." and the endpoints "<project>-<stage>".
        # CloudFormation's handlers for these types (the CloudFormation registry schemas cfn-lint bundles) also
        # read and remove tags; tests/security/test_cloudformation_role.py checks the set.
        iam.PolicyStatement(actions=["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
                                     "cloudwatch:TagResource", "cloudwatch:UntagResource",
                                     "cloudwatch:ListTagsForResource"],
                            resources=[_arn("cloudwatch", f"alarm:{alarm_prefix}-*")]),
        # Read-only and without resource-level permissions (GetMetricData: the scaling policy's read handler).
        iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData"], resources=["*"]),
        # Application Auto Scaling: the targets' ARNs are generated, so "*", held to SageMaker's namespace by
        # condition (application-autoscaling:service-namespace; the describe calls take no condition).
        iam.PolicyStatement(actions=["application-autoscaling:RegisterScalableTarget",
                                     "application-autoscaling:DeregisterScalableTarget",
                                     "application-autoscaling:PutScalingPolicy",
                                     "application-autoscaling:DeleteScalingPolicy"], resources=["*"],
                            conditions={"StringEquals": {"application-autoscaling:service-namespace": "sagemaker"}}),
        iam.PolicyStatement(actions=["application-autoscaling:DescribeScalableTargets",
                                     "application-autoscaling:DescribeScalingPolicies",
                                     "application-autoscaling:DescribeScheduledActions"], resources=["*"]),
        iam.PolicyStatement(actions=["application-autoscaling:TagResource", "application-autoscaling:UntagResource",
                                     "application-autoscaling:ListTagsForResource"],
                            resources=[_arn("application-autoscaling", "scalable-target/*")]),
        iam.PolicyStatement(actions=["iam:CreateServiceLinkedRole"], resources=["*"], conditions={
            "StringEquals": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}}),
        iam.PolicyStatement(actions=["iam:PassRole"], resources=[model_role_arn],
                            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
    ]


# Managed shadow tests (seed-deploy's `deploy shadow-test`): what the command calls, from its code
# (deploy/shadow_tests.py), recorded by scripts/permissions.py. UpdateInferenceExperiment and
# ListInferenceExperiments are not granted: the command calls neither.
SHADOW_TEST_ACTIONS = ["sagemaker:CreateInferenceExperiment", "sagemaker:StartInferenceExperiment",
                       "sagemaker:StopInferenceExperiment", "sagemaker:DescribeInferenceExperiment"]
STAGE_READ_ACTIONS = ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"]


def _stage_sagemaker_resources(account: str) -> list[str]:
    return [_arn("sagemaker", f"{kind}/*", account=account) for kind in ("endpoint", "endpoint-config", "model")]


def shadow_test_operator_statements(*, experiment_role_arn: str, project_id: str, account: str = cdk.Aws.ACCOUNT_ID,
                                    registry_account: str = cdk.Aws.ACCOUNT_ID) -> list[iam.PolicyStatement]:
    """Whoever runs `deploy shadow-test start|stop|status`: the inference experiment calls, the reads of the
    endpoint it checks against the documented exclusions, and passing exactly the project's shadow-test role.
    Experiment names are the operator's choice (no project prefix or tag in the request), so experiments are
    scoped to this account; what an experiment may do is the passed role's, which is the project's own."""
    return [
        iam.PolicyStatement(actions=SHADOW_TEST_ACTIONS,
                            resources=[_arn("sagemaker", "inference-experiment/*", account=account)]),
        iam.PolicyStatement(actions=STAGE_READ_ACTIONS, resources=_stage_sagemaker_resources(account)),
        # start checks that the candidate is an Approved package of the project's group (deploy/shadow_tests.py).
        iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"],
                            resources=[_arn("sagemaker", f"model-package/*-{project_id}/*",
                                            account=registry_account)]),
        iam.PolicyStatement(actions=["iam:PassRole"], resources=[experiment_role_arn],
                            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
    ]


def shadow_experiment_statements() -> list[iam.PolicyStatement]:
    """The role SageMaker runs an inference experiment as (CreateInferenceExperiment's RoleArn: "access model
    artifacts and container images, and manage SageMaker Inference endpoints for model deployment", API
    reference). The Developer Guide (shadow-tests-create) picks a role with AmazonSageMakerFullAccess; this is
    that narrowed to what the description names: put the shadow variant on the endpoint (a new endpoint config,
    UpdateEndpoint) and back when the test ends, read the models, pull images and write logs. The captures and
    model artifacts: ArtifactStore's grants (project_stack.py)."""
    return [
        iam.PolicyStatement(actions=[*STAGE_READ_ACTIONS, "sagemaker:CreateEndpointConfig",
                                     "sagemaker:DeleteEndpointConfig", "sagemaker:UpdateEndpoint"],
                            resources=_stage_sagemaker_resources(cdk.Aws.ACCOUNT_ID)),
        *container_runtime_statements(),
    ]


def stack_arn(stack_name_pattern: str, *, account: str = cdk.Aws.ACCOUNT_ID) -> str:
    """ARN pattern of the CloudFormation stacks named `stack_name_pattern` (any stack id)."""
    return _arn("cloudformation", f"stack/{stack_name_pattern}/*", account=account)


STAGES = ("staging", "prod")


def stage_stack_names(project_name: str) -> list[str]:
    """The exact names of the project's stage stacks (docs/contracts.md): a prefix pattern would also cover the
    stacks of a project named `<project>-deploy-...`."""
    return [f"sagemaker-{project_name}-deploy-{stage}" for stage in STAGES]


def stack_deploy_statements(*, stack_names: list[str], deploy_role_arn: str) -> list[iam.PolicyStatement]:
    """CodePipeline's CloudFormation action: create or update the stage stacks with the deploy role."""
    return [
        iam.PolicyStatement(actions=["cloudformation:CreateStack", "cloudformation:UpdateStack",
                                     "cloudformation:DeleteStack", "cloudformation:DescribeStacks",
                                     "cloudformation:DescribeStackEvents"],
                            resources=[stack_arn(name) for name in stack_names]),
        iam.PolicyStatement(actions=["iam:PassRole"], resources=[deploy_role_arn],
                            conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}),
    ]


def sagemaker_arn(resource: str) -> str:
    """ARN of a SageMaker resource in this stack's region and account."""
    return _arn("sagemaker", resource)


def codebuild_statements(*, pipeline_name_pattern: str, pipeline_role_arn: str,
                         stack_names: list[str]) -> list[iam.PolicyStatement]:
    """The CodeBuild role: upsert and run the SageMaker Pipeline, read stage stacks, endpoints and metrics."""
    pipeline = _arn("sagemaker", f"pipeline/{pipeline_name_pattern}")
    return [
        iam.PolicyStatement(
            actions=["sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DescribePipeline",
                     "sagemaker:StartPipelineExecution", "sagemaker:DescribePipelineExecution",
                     "sagemaker:ListPipelineExecutionSteps", "sagemaker:ListPipelineExecutions",
                     "sagemaker:AddTags"],
            resources=[pipeline, f"{pipeline}/execution/*"]),
        iam.PolicyStatement(actions=["iam:PassRole"], resources=[pipeline_role_arn],
                            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        *stage_test_statements(stack_names=stack_names),
    ]


def stage_test_statements(*, stack_names: list[str], account: str = cdk.Aws.ACCOUNT_ID) -> list[iam.PolicyStatement]:
    """Verify and test a stage: read its stack's outputs, the endpoint (and the models it serves, for build.py's
    "live" variants), its alarms; invoke the endpoint."""
    return [
        iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig",
                                     "sagemaker:DescribeModel", "sagemaker:InvokeEndpoint"],
                            resources=[_arn("sagemaker", "endpoint/*", account=account),
                                       _arn("sagemaker", "endpoint-config/*", account=account),
                                       _arn("sagemaker", "model/*", account=account)]),
        iam.PolicyStatement(actions=["cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"],
                            resources=[stack_arn(name, account=account) for name in stack_names]),
        # Metric reads and alarm listing have no resource-level permissions.
        iam.PolicyStatement(actions=["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
                                     "cloudwatch:DescribeAlarms"], resources=["*"]),
    ]
