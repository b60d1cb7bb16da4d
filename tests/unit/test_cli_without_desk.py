"""The commands that talk to a desk say so in words when there is none (no local stack running and
no deployed desk in the environment), rather than failing on the first setting they miss."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from postdesk_tools.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("command", [["kb", "list"], ["report", "--since", "7d"], ["agents", "list"]])
def test_a_command_without_a_desk_says_how_to_get_one(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given no desk in the environment and no local stack in the folder the commands look in
    monkeypatch.delenv("POSTDESK_TICKETS_TABLE", raising=False)
    monkeypatch.delenv("POSTDESK_SUPPORT_ADDRESS", raising=False)
    monkeypatch.setenv("POSTDESK_LOCAL_DIR", str(tmp_path))

    # When the command runs
    status = main(command)

    # Then it fails with a sentence naming the way out, and no traceback
    error = capsys.readouterr().err
    assert status == 1
    assert f"postdesk {command[0]}: no desk to talk to" in error
    assert "`make local`" in error


def test_a_reader_that_stops_reading_is_no_error(tmp_path: Path) -> None:
    # Given a command with much to say, read by something that stops after one line (`| head -1`)
    command = [sys.executable, "-m", "postdesk_tools.cli", "inspect", str(FIXTURES / "mime")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)  # noqa: S603
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()

    # Then it ends without a traceback
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""
