"""The one CapacitySize rule: percent rounds up to whole instances, at least 1, at most the variant's count."""
import pytest

from mlops_guardrails.deploy.capacity import instances, ramp, share_percent
from mlops_guardrails.errors import InputError


@pytest.mark.parametrize(("size", "count", "expected"), [
    ({"Type": "CAPACITY_PERCENT", "Value": 25}, 3, 1),   # 0.75 rounds up
    ({"Type": "CAPACITY_PERCENT", "Value": 40}, 3, 2),   # 1.2 rounds up
    ({"Type": "CAPACITY_PERCENT", "Value": 10}, 1, 1),   # never zero
    ({"Type": "CAPACITY_PERCENT", "Value": 20}, 10, 2),  # exact
    ({"Type": "CAPACITY_PERCENT", "Value": 100}, 4, 4),
    ({"Type": "INSTANCE_COUNT", "Value": 2}, 5, 2),
    ({"Type": "INSTANCE_COUNT", "Value": 9}, 4, 4),      # never more than the fleet
])
def test_instances_rounds_percent_up_within_the_fleet(size, count, expected):
    assert instances(size, count, "S") == expected


@pytest.mark.parametrize(("size", "message"), [
    ({"Type": "CAPACITY_PERCENT", "Value": 150}, "S.Value: 150: a CAPACITY_PERCENT value cannot exceed 100"),
    ({"Type": "INSTANCE_COUNT", "Value": 0}, "S.Value: 0: must be an integer >= 1"),
    ({"Type": "INSTANCE_COUNT", "Value": 1.5}, "S.Value: 1.5: must be an integer >= 1"),
    ({"Type": "PERCENT", "Value": 5}, 'S.Type: "PERCENT": must be one of "CAPACITY_PERCENT", "INSTANCE_COUNT"'),
    (None, "S: null: must be a CapacitySize {Type, Value}"),
])
def test_instances_rejects_what_the_validator_rejects(size, message):
    with pytest.raises(InputError) as error:
        instances(size, 4, "S")
    assert str(error.value) == message


def test_ramp_steps_each_variant_against_its_own_count_until_all_are_on():
    assert ramp({"A": 5}, {"A": 2}) == [{"A": 2}, {"A": 4}, {"A": 5}]
    assert ramp({"A": 10, "B": 3}, {"A": 2, "B": 1}) == [
        {"A": 2, "B": 1}, {"A": 4, "B": 2}, {"A": 6, "B": 3}, {"A": 8, "B": 3}, {"A": 10, "B": 3}]


def test_share_percent_of_an_instance_count():
    assert share_percent({"Type": "INSTANCE_COUNT", "Value": 1}, 4) == 25.0
    assert share_percent({"Type": "CAPACITY_PERCENT", "Value": 30}, 4) == 30
