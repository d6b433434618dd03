"""Evidence for approvers: A/B significance, shadow agreement, input drift and rollout plans (pure functions)."""
