"""Every command `postdesk --help` lists answers `--help` with what it does, and a wrong argument with
its usage in words (exit 2), never a traceback."""

from __future__ import annotations

import os
import re

import pytest

from postdesk_tools.cli import build_parser, main


def _commands() -> list[str]:
    usage = build_parser().format_usage()
    found = re.search(r"\{([a-z,]+)\}", usage)
    assert found is not None, usage
    return found.group(1).split(",")


def _exit_of(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as leaving:
        return int(leaving.code or 0)


def test_deploy_and_local_are_commands_of_their_own() -> None:
    assert {"deploy", "local", "agents", "privacy", "kb", "report"} <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_each_command_says_what_it_takes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = _exit_of([command, "--help"])

    said = capsys.readouterr()
    assert code == 0
    assert f"usage: postdesk {command}" in said.out and "Traceback" not in said.out + said.err


@pytest.mark.parametrize("command", [c for c in _commands() if c not in ("demo", "local")])
def test_a_wrong_argument_is_refused_in_words(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = _exit_of([command, "--no-such-option"])

    said = capsys.readouterr()
    assert code == 2
    assert "unrecognized arguments: --no-such-option" in said.err or "required" in said.err
    assert "Traceback" not in said.out + said.err


def test_local_names_its_actions_and_how_to_reach_a_stack_in_another_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _exit_of(["local", "--help"]) == 0

    said = capsys.readouterr().out
    assert all(f"postdesk local {action}" in said for action in ("advance 24h", "status", "reset"))
    assert "--state-dir DIR" in said
    assert _exit_of(["local", "advance", "--help"]) == 0
    assert "24h, 90m, 2d" in capsys.readouterr().out


def test_deploy_explains_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_of(["deploy", "--help"]) == 0

    said = capsys.readouterr().out
    assert "no AWS credentials needed" in said and "eu-west-1, us-east-1, us-west-2" in said


@pytest.mark.parametrize("argv", [["report", "--help"], ["agents", "list", "--no-such-option"]])
def test_a_command_quiets_the_desk_log_for_its_own_run_only(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A caller in the same process (these tests) and what it starts afterwards keep their log level
    monkeypatch.delenv("POWERTOOLS_LOG_LEVEL", raising=False)
    _exit_of(argv)
    capsys.readouterr()
    assert "POWERTOOLS_LOG_LEVEL" not in os.environ

    # And a level set by hand is left as it was
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    _exit_of(argv)
    assert os.environ["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
