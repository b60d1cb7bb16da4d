"""What `make local` tells whoever runs it: where its facts are written, how to stop it, and that it
runs the code it started with (and when that code changed since)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from postdesk_tools.local_stack import (
    CHECKOUT,
    _summary,
    changed_since,
    code_change_notice,
    code_versions,
    serve,
)

INFO = {
    "mailboxes": [{"address": "support@example.com"}],
    "smtp_host": "127.0.0.1",
    "smtp_port": 2605,
    "console_url": "http://127.0.0.1:8105/console",
    "admin_email": "admin@example.com",
    "admin_temporary_password": None,
    "admin_token": "pdk_x",
    "help_center_url": "http://127.0.0.1:8105/help",
    "api_url": "http://127.0.0.1:8105",
    "outbox_dir": "/tmp/desk/outbox",
    "endpoint_url": "http://127.0.0.1:4605",
    "state_dir": "/tmp/desk",
    "pid": 4242,
}


def test_the_summary_names_its_own_local_json_how_to_stop_and_that_code_is_read_at_start() -> None:
    said = _summary(INFO)

    assert "/tmp/desk/local.json" in said and ".postdesk/local.json" not in said
    assert "SIGTERM to pid 4242" in said
    assert "after changing Python code, stop it and" in said


def test_a_changed_added_or_removed_file_is_told_with_its_name(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (tmp_path / ".mypy_cache").mkdir()
    kept, removed = package / "kept.py", package / "gone.py"
    for path in (kept, removed, package / "__pycache__" / "x.py", tmp_path / ".mypy_cache" / "y.py"):
        path.write_text("x = 1\n")
    start = code_versions([tmp_path])
    assert set(start) == {kept, removed}

    assert changed_since(start, code_versions([tmp_path])) == set()
    assert code_change_notice(set()) is None
    os.utime(kept, ns=(start[kept] + 10**9, start[kept] + 10**9))
    removed.unlink()
    (package / "new.py").write_text("y = 2\n")
    changed = changed_since(start, code_versions([tmp_path]))
    notice = code_change_notice(changed)

    assert changed == {kept, removed, package / "new.py"}
    assert notice is not None
    assert all(name in notice for name in ("kept.py", "gone.py", "new.py"))
    assert "still runs the code it started with" in notice and "start it again" in notice


def test_many_changed_files_are_counted_not_listed() -> None:
    notice = code_change_notice({CHECKOUT / "shared" / f"m{i}.py" for i in range(7)})

    assert notice is not None and "shared/m0.py" in notice and "and 4 more" in notice


def test_a_second_start_on_a_running_stacks_folder_says_how_to_stop_it_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a folder whose local.json names a living process (this one) as its stack
    (tmp_path / "local.json").write_text(json.dumps({"pid": os.getpid()}), encoding="utf-8")
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = serve(tmp_path, 0, 0, 0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)

    said = capsys.readouterr()
    assert code == 1 and "Traceback" not in said.err
    assert said.err == (
        f"postdesk local: a local stack is running already on {tmp_path} (pid {os.getpid()}): stop it first "
        f"(Ctrl-C where it runs, or kill -TERM {os.getpid()}), or start another one with --state-dir DIR\n"
    )
