"""The bridge between the emulator's endpoint records and the rehearsal's endpoint host and guardrail controller.

A CloudFormation deploy leaves moto's record on the new endpoint config at once; what SageMaker would do
with it happens here: CreateEndpoint serves the fleet on the host; an update of a serving endpoint runs
the guardrail controller under the template's DeploymentConfig with live traffic, and a rollback puts
the record back on the old config (which is what verify reads)."""
from dataclasses import dataclass, field

from mlops_guardrails.deploy.rehearsal import (CaptureConfig, FleetSpec, GuardrailController, Outcome, Tally, TrafficClient,
                              VariantSpec)

from demo_story import console, emulator_fixes
from demo_story.cloudformation import StackDeploy

CREATED, UNCHANGED, UPDATED = "created", "unchanged", "updated"


@dataclass(frozen=True)
class TrafficSettings:
    """The bounded client that runs through every update."""

    rate_per_second: float = 150.0
    max_requests: int = 20000
    poll_seconds: float = 10.0


@dataclass
class Rollout:
    """What happened to one stage's endpoint in one deploy."""

    stage: str
    endpoint: str
    kind: str
    config_name: str
    versions: dict[str, int]
    outcome: Outcome | None = None
    traffic: dict[str, Tally] = field(default_factory=dict)
    total: Tally | None = None

    @property
    def status(self) -> str:
        return self.outcome.status if self.outcome else self.kind


def package_version(arn: str) -> int:
    return int(arn.rsplit("/", 1)[1])


class EndpointBridge:
    """Keeps the host's endpoints in step with the emulator's stacks."""

    def __init__(self, session, host, clock, rows: list[str], traffic: TrafficSettings) -> None:
        self.session, self.host, self.clock, self.rows, self.traffic = session, host, clock, rows, traffic
        self.sm = session.client("sagemaker")
        self.cloudwatch = session.client("cloudwatch")

    def fleet(self, deploy: StackDeploy) -> tuple[FleetSpec, dict[str, int]]:
        """The new endpoint config as the template created it: each variant's model artifact, weight, count."""
        config = deploy.resource("EndpointConfig")["Properties"]
        versions = {}

        def variant(spec: dict) -> VariantSpec:
            model = deploy.resource(spec["ModelName"].strip("<>").split(".")[0])
            arn = model["Properties"]["PrimaryContainer"]["ModelPackageName"]
            versions[spec["VariantName"]] = package_version(arn)
            package = self.sm.describe_model_package(ModelPackageName=arn)
            source = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
            return VariantSpec(spec["VariantName"], source, float(spec.get("InitialVariantWeight", 1.0)),
                               int(spec.get("InitialInstanceCount", 1)))

        variants = tuple(variant(spec) for spec in config["ProductionVariants"])
        shadows = config.get("ShadowProductionVariants") or []
        shadow = variant(shadows[0]) if shadows else None
        capture = None
        if config.get("DataCaptureConfig"):
            data = config["DataCaptureConfig"]
            capture = CaptureConfig(data["DestinationS3Uri"], int(data["InitialSamplingPercentage"]))
        return FleetSpec(deploy.endpoint_config_name, variants, shadow, capture), versions

    def apply(self, stage: str, deploy: StackDeploy, before: dict | None) -> Rollout:
        """CreateEndpoint or UpdateEndpoint on the host, as SageMaker would after this stack deploy."""
        fleet, versions = self.fleet(deploy)
        name = deploy.endpoint_name
        rollout = Rollout(stage, name, UPDATED, fleet.config_name, versions)
        if name not in self.host.endpoints():
            self.host.create_endpoint(name, fleet)
            rollout.kind = CREATED
            console.detail(f"  endpoint {name} created on {fleet.config_name}: {_serving(versions)}")
            return rollout
        if self.host.serving_config(name) == fleet.config_name:
            rollout.kind = UNCHANGED
            return rollout
        console.detail(f"  UpdateEndpoint {name}: {self.host.serving_config(name)} -> {fleet.config_name} "
                       f"({_serving(versions)}), live traffic on")
        self._guarded_update(rollout, fleet, deploy.deployment_config())
        if not rollout.outcome.succeeded and before is not None:
            emulator_fixes.restore_endpoint(self.sm, name, before)
        return rollout

    def _guarded_update(self, rollout: Rollout, green: FleetSpec, deployment_config: dict) -> None:
        controller = GuardrailController(self.host, clock=self.clock, cloudwatch=self.cloudwatch,
                                         poll_seconds=self.traffic.poll_seconds, on_event=_print_event)
        policy = deployment_config.get("BlueGreenUpdatePolicy") or deployment_config.get("RollingUpdatePolicy") or {}
        max_seconds = policy.get("MaximumExecutionTimeoutInSeconds", 3600) / self.clock.speed + 30
        client = TrafficClient(endpoint_name=rollout.endpoint, rows=self.rows,
                               blue_config=self.host.serving_config(rollout.endpoint), green_config=green.config_name,
                               phase=lambda: controller.phase, endpoint_url=self.host.url,
                               max_requests=self.traffic.max_requests, max_seconds=max_seconds,
                               rate_per_second=self.traffic.rate_per_second)
        client.start(warm_up=5)
        try:
            rollout.outcome = controller.run_update(rollout.endpoint, green, deployment_config)
        finally:
            rollout.traffic = client.stop()
        rollout.total = client.total()
        total = rollout.total
        console.detail(f"  outcome: {rollout.outcome.status}; serving {rollout.outcome.serving_config}; traffic "
                       f"{total.sent} sent: blue {total.served_blue}, green {total.served_green}, failed "
                       f"{total.failed}, lost {total.lost}")


def _serving(versions: dict[str, int]) -> str:
    return ", ".join(f"{variant}=v{version}" for variant, version in versions.items())


def _print_event(event) -> None:
    console.detail(f"    t={event.t / 60:6.2f} min  green {event.green_share:6.1%}  {event.kind:<11} {event.detail}")
