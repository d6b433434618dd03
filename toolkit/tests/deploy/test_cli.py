"""Every command's --help states its exit codes and ends with worked examples (STYLE: command lines)."""
import pytest

from mlops_guardrails.deploy.cli import COMMANDS, main


def help_text(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_help_ends_with_worked_examples_after_its_exit_codes(command, capsys):
    text = help_text([command], capsys)
    examples = text.rindex("\nexamples:\n")
    assert text.index("exit codes: 0 ") < examples
    example_lines = [line for line in text[examples + 1:].splitlines()[1:] if line.strip()]
    assert example_lines and all(line.startswith("  ") for line in example_lines)
    assert any(f"python -m deploy {command}" in line or "python build.py" in line for line in example_lines)


def test_top_level_help_ends_with_worked_examples(capsys):
    text = help_text([], capsys)
    assert text.rstrip().endswith("--blue v1/model.tar.gz --green v2/model.tar.gz")
    assert "\nexamples:\n  python -m deploy validate" in text
