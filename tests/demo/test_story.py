"""The demo's story end to end on a faster clock: every outcome of issue 5, asserted from one run."""
import pytest

from demo_story.story import Settings, run_story


def story_settings(synthesis, root) -> Settings:
    """The end-to-end test's settings: a faster clock, less experiment traffic."""
    return Settings(out_dir=root / "out", work_dir=root / "work", speed=120.0, ab_requests=200,
                    targeted_requests=20, shadow_requests=100,
                    project_template=synthesis.templates["sagemaker-project"])


@pytest.fixture(scope="module")
def story(synthesis, tmp_path_factory):
    """One run of the whole story (about a minute and a half); every test below reads it."""
    return run_story(story_settings(synthesis, tmp_path_factory.mktemp("demo")))


def _execution(story, trigger: str):
    return next(e for e in story.executions if e.trigger == trigger)


def _rollout(execution, action: str):
    return execution.result(action).rollout


def test_story_unrelated_events_do_not_start_the_pipeline(story):
    assert story.unrelated_events == {"another group's Approved": 0, "this group's PendingManualApproval": 0}


def test_story_pipeline_runs_in_the_synthesized_stage_order(story):
    assert [r.stage for r in story.executions[0].results] == [
        "Source", "Build", "DeployStaging", "TestStaging", "ApproveDeployment", "DeployProd", "VerifyProd"]
    assert [e.trigger for e in story.executions] == [
        "v1 Approved", "v2 Approved", "v3 Approved", "v2 Rejected, v3 Rejected"]


def test_story_v1_goes_live_in_staging_and_prod(story):
    first = _execution(story, "v1 Approved")
    assert first.status == "Succeeded"
    for action in ("DeployStaging", "DeployProd"):
        rollout = _rollout(first, action)
        assert (rollout.kind, rollout.versions) == ("created", {"AllTraffic": 1})
    assert "passed" in first.result("TestStaging").detail


def test_story_v2_canary_succeeds_under_live_traffic(story):
    second = _execution(story, "v2 Approved")
    assert second.status == "Succeeded"
    prod = _rollout(second, "DeployProd")
    assert (prod.outcome.strategy, prod.outcome.status, prod.versions) == ("CANARY", "succeeded", {"AllTraffic": 2})
    assert prod.outcome.serving_config == prod.config_name
    assert prod.total.lost == 0 and prod.total.failed == 0
    assert prod.traffic["canary"].served_green > 0 and prod.traffic["canary"].served_blue > 0
    # The canary step sends one instance of three: green's share of the canary bake's answers is a third.
    canary = prod.traffic["canary"]
    assert canary.served_green / (canary.served_green + canary.served_blue) == pytest.approx(1 / 3, abs=0.02)


def test_story_faulty_v3_rolls_back_and_verify_fails_naming_the_alarm(story):
    third = _execution(story, "v3 Approved")
    assert third.status == "Failed at VerifyProd"
    staging = _rollout(third, "DeployStaging")
    assert staging.outcome.status == "succeeded"  # v3 slows down after 300 s of serving; staging bakes 180 s
    prod = _rollout(third, "DeployProd")
    assert (prod.outcome.status, prod.outcome.alarms) == ("rolled_back", ("abalone-demo-prod-model-latency",))
    v2_config = _rollout(_execution(story, "v2 Approved"), "DeployProd").config_name
    assert prod.outcome.serving_config == v2_config  # prod keeps serving v2
    assert prod.total.lost == 0 and prod.total.failed == 0
    verify = third.result("VerifyProd")
    assert not verify.passed
    assert f"is InService on {v2_config}, not on {prod.config_name}" in verify.detail
    assert "alarms in ALARM: abalone-demo-prod-model-latency" in verify.detail


def test_story_registry_rollback_returns_prod_to_v1(story):
    assert story.rollback_audit["rejected"] == [2, 3] and story.rollback_audit["to_version"] == 1
    fourth = _execution(story, "v2 Rejected, v3 Rejected")
    assert fourth.status == "Succeeded"
    prod = _rollout(fourth, "DeployProd")
    assert (prod.outcome.status, prod.versions) == ("succeeded", {"AllTraffic": 1})
    end = story.serving["end"]["prod"]
    assert end["record"] == end["host"] == prod.config_name


def test_story_ab_segment_honours_weights_and_target_variant(story):
    ab = story.ab
    assert ab.versions == {"Champion": 1, "Challenger": 2}
    assert dict(ab.answered_by) == {"Champion": 160, "Challenger": 40}  # weights 0.8 / 0.2, smooth round robin
    assert dict(ab.targeted) == {"Challenger": 20}
    assert ab.failed == 0
    assert dict(ab.captured) == {"Champion": 160, "Challenger": 60}
    assert ab.analysis_exit == 0 and ab.analysis_report.is_file()


def test_story_shadow_answers_are_captured_never_returned(story):
    shadow = story.shadow
    assert shadow.versions == {"AllTraffic": 1, "Shadow": 2}
    assert dict(shadow.answered_by) == {"AllTraffic": 100}
    assert dict(shadow.captured) == {"AllTraffic": 100, "Shadow": 100}
    assert shadow.analysis_exit == 0 and shadow.analysis_report.is_file()


def test_story_writes_the_report_and_the_timeline(story):
    text = story.report_path.read_text()
    assert "| 3 | v3 Approved | VerifyProd | VerifyProd | **FAILED** |" in text
    assert "rolled_back" in text and "![rollout timeline](rollout-timeline.png)" in text
    assert story.timeline_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
