"""The demo's story on a busy machine (issue 27): twice the cores' worth of CPU hogs beside it; the healthy
versions pass every stage test and the faulty v3 is still rolled back by prod's latency alarm.

Runs when REHEARSAL_UNDER_LOAD=1 (`make test-under-load`): the hogs slow everything else on the machine."""
import os

import pytest

from demo.test_story import story_settings
from demo_story.story import run_story
from mlops_guardrails.deploy.rehearsal.busy_machine import cpu_hogs, wait_until_spinning

pytestmark = pytest.mark.skipif(os.environ.get("REHEARSAL_UNDER_LOAD") != "1",
                                reason="REHEARSAL_UNDER_LOAD=1 runs the story beside CPU hogs")


@pytest.fixture(scope="module")
def story(synthesis, tmp_path_factory):
    settings = story_settings(synthesis, tmp_path_factory.mktemp("demo-under-load"))
    with cpu_hogs(max_seconds=1200) as hogs:  # bounded: 20 minutes at most, whatever happens here
        wait_until_spinning(hogs)
        return run_story(settings)


def test_story_under_load_every_execution_ends_as_without_load(story):
    assert [(e.trigger, e.status) for e in story.executions] == [
        ("v1 Approved", "Succeeded"), ("v2 Approved", "Succeeded"), ("v3 Approved", "Failed at VerifyProd"),
        ("v2 Rejected, v3 Rejected", "Succeeded")]


def test_story_under_load_the_faulty_v3_is_caught_by_prods_latency_alarm(story):
    third = next(e for e in story.executions if e.trigger == "v3 Approved")
    assert third.result("DeployStaging").rollout.outcome.status == "succeeded"  # the leak starts after staging's bake
    prod = third.result("DeployProd").rollout
    assert (prod.outcome.status, prod.outcome.alarms) == ("rolled_back", ("abalone-demo-prod-model-latency",))


def test_story_under_load_the_registry_rollback_passes_its_stage_test(story):
    fourth = next(e for e in story.executions if e.trigger == "v2 Rejected, v3 Rejected")
    assert "passed" in fourth.result("TestStaging").detail
