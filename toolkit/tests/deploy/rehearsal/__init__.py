"""Tests of the offline rehearsal: endpoint host, guardrail controller, traffic, the rehearse command."""
