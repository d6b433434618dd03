"""checkov on the endpoint stack make lint renders for every shipped config and example, without and with a VPC:
no failed check (isolated models, keyed endpoint configs, isolated and keyed monitoring jobs) and no skip."""
import pytest

import lint


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("endpoint-stacks")
    variants = lint.endpoint_variants()
    for name, text in variants.items():
        (folder / name).write_text(text)
    return variants, lint.checkov(folder)


def test_every_config_and_example_is_rendered_without_and_with_a_vpc(result):
    variants, _ = result
    assert len(variants) == 2 * len(lint.LINTED_CONFIGS) == 12
    assert sum(name.endswith("-no-vpc.yml") for name in variants) == 6


def test_checkov_finds_no_failed_check_and_skips_nothing(result):
    _, found = result
    assert (found.failed, found.skipped) == ([], [])
    # The SageMaker checks that failed before the stack carried isolation and keys (CKV_AWS_367-370), at least.
    assert found.passed >= 2 * 12
