"""The operator's commands answer a mistake in words (exit 1), without a traceback: an export to a
file that cannot be written (nothing exported, nothing recorded), a knowledge folder that is not
there, named as `postdesk kb import --help` names it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from postdesk_tools.agents_cli import run_agents
from postdesk_tools.knowledge_cli import run_knowledge
from postdesk_tools.privacy_cli import run_privacy
from tests.integration.conftest import Desk


def _now() -> datetime:
    return datetime.now(UTC)


def test_an_export_to_a_folder_that_is_not_there_is_refused_in_words(desk: Desk, tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "no" / "such" / "folder" / "export.zip"

    code = run_privacy(
        ["export", "carla@customer.test", "--out", str(target)], desk.settings, out, io.StringIO(), _now
    )

    assert code == 1
    assert out.getvalue() == (
        f"error: cannot write {target}: No such file or directory; name another file with --out\n"
    )
    assert not target.parent.exists()


def test_kb_import_takes_its_folder_as_its_help_names_it(desk: Desk, tmp_path: Path) -> None:
    # An admin to own what is imported
    added = io.StringIO()
    assert (
        run_agents(["add", "ada@example.com", "--name", "Ada", "--role", "admin"], desk.settings, added, _now)
        == 0
    )
    missing, out = tmp_path / "articles", io.StringIO()

    assert run_knowledge(["import", str(missing)], desk.settings, out, _now) == 1
    assert out.getvalue() == f"error: {missing} is not a folder\n"
    twice = io.StringIO()
    assert run_knowledge(["import", str(missing), "--from", str(tmp_path)], desk.settings, twice, _now) == 1
    assert "name the folder once" in twice.getvalue()
