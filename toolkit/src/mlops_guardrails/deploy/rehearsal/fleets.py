"""Endpoint configs as the host serves them: variants with weights and instance counts, a shadow, routing."""
import threading
from dataclasses import dataclass, field

from mlops_guardrails.errors import InputError
from mlops_guardrails.deploy.rehearsal.data_capture import CaptureConfig, CaptureWriter
from mlops_guardrails.deploy.rehearsal.models import LoadedModel


@dataclass(frozen=True)
class VariantSpec:
    """One ProductionVariant (or the shadow): its model artifact (path or s3:// URI), weight and size."""

    name: str
    model_source: str
    weight: float = 1.0
    instance_count: int = 1  # instances; for an inference component, its copies
    hosted_on: str | None = None  # an inference component: the production variant it runs on


@dataclass(frozen=True)
class FleetSpec:
    """One endpoint config: production variants, an optional shadow variant, optional data capture."""

    config_name: str
    variants: tuple[VariantSpec, ...]
    shadow: VariantSpec | None = None
    capture: CaptureConfig | None = None
    components: bool = False  # the "variants" are inference components, named by InferenceComponentName

    def instance_counts(self) -> dict[str, int]:
        return {variant.name: variant.instance_count for variant in self.variants}


@dataclass
class Fleet:
    """A FleetSpec with its models loaded and its capture writer open."""

    spec: FleetSpec
    models: dict[str, LoadedModel]
    shadow_model: LoadedModel | None
    capture: CaptureWriter | None
    started: float = 0.0  # simulated seconds (the host's clock) when the fleet began serving
    picker: "WeightedPicker" = field(init=False)

    def __post_init__(self) -> None:
        self.picker = WeightedPicker({v.name: v.weight for v in self.spec.variants})

    @property
    def config_name(self) -> str:
        return self.spec.config_name


class WeightedPicker:
    """Smooth weighted round robin: share = weight / sum of weights, exactly, with no RNG to seed."""

    def __init__(self, weights: dict[str, float]) -> None:
        total = sum(weights.values())
        if total <= 0:
            raise InputError(f"ProductionVariants[*].InitialVariantWeight: {list(weights.values())}: "
                             "at least one weight must be > 0")
        self._shares = {name: weight / total for name, weight in weights.items()}
        self._credit = dict.fromkeys(weights, 0.0)
        self._lock = threading.Lock()

    def pick(self) -> str:
        with self._lock:
            for name, share in self._shares.items():
                self._credit[name] += share
            chosen = max(self._credit, key=self._credit.get)
            self._credit[chosen] -= 1.0
            return chosen


class SplitCounter:
    """Sends a request to green when the running count of green answers falls behind share * requests."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}
        self._green: dict[str, int] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
            self._green.clear()

    def to_green(self, variant: str, share: float) -> bool:
        if share <= 0.0:
            return False
        if share >= 1.0:
            return True
        with self._lock:
            seen = self._seen.get(variant, 0) + 1
            green = self._green.get(variant, 0)
            self._seen[variant] = seen
            if green < share * seen:
                self._green[variant] = green + 1
                return True
            return False
