"""The traffic-shifting strategies moved to deploy/strategies (the validator and the plan step through them too)."""
from deploy.strategies import STRATEGIES, Plan, Step, plan_update

__all__ = ["STRATEGIES", "Plan", "Step", "plan_update"]
