"""The local stack run as a person runs it (``postdesk local``, processes of its own), for what must
see it from outside: the end-to-end tests and the benchmarks that kill it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parents[2]
START_SECONDS = 90


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not: it is gone but for its exit status)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return not stat.read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return False


def clean_environment(state_dir: Path) -> dict[str, str]:
    """The environment of a person's shell: no desk named, the stack found through its folder."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_") and k != "AWS_ENDPOINT_URL"
    }
    environment["POSTDESK_LOCAL_DIR"] = str(state_dir)
    return environment


def output_file(state_dir: Path) -> Path:
    """Where the stack launched on ``state_dir`` writes what it prints."""
    return state_dir.parent / f"{state_dir.name}.out"


def launch(
    state_dir: Path, ports: tuple[int, int, int] = (0, 0, 0), options: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """`postdesk local` on ``state_dir`` with (SMTP, API, moto) ``ports`` (0: any free one) and the
    command's other ``options`` (``--mailboxes ...``)."""
    smtp_port, api_port, moto_port = ports
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "postdesk_tools.cli",
            "local",
            "--state-dir",
            str(state_dir),
            "--smtp-port",
            str(smtp_port),
            "--api-port",
            str(api_port),
            "--moto-port",
            str(moto_port),
            *options,
        ],
        cwd=CHECKOUT,
        env=clean_environment(state_dir),
        # A file, not a pipe: nobody reads a pipe while the stack runs, and a full one would stop it.
        stdout=output_file(state_dir).open("ab"),
        stderr=subprocess.STDOUT,
        preexec_fn=_signals_as_a_terminal_gives_them,
    )


def _signals_as_a_terminal_gives_them() -> None:
    """In the child, before it runs: SIGINT and SIGTERM at their defaults. A process started in the
    background (an xdist worker, a shell's `&`) inherits SIGINT ignored, and Python keeps it ignored
    until the stack installs its handler: a Ctrl-C sent during start-up was lost, and the stack ran on."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start(
    state_dir: Path, ports: tuple[int, int, int] = (0, 0, 0), options: Sequence[str] = ()
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Launch the stack and wait until it says where everything is (its ``local.json``)."""
    process = launch(state_dir, ports, options)
    info_file = state_dir / "local.json"
    deadline = time.monotonic() + START_SECONDS
    # A killed stack leaves its local.json behind: wait for the one this process writes.
    while (info := _info_of(info_file)) is None or info.get("pid") != process.pid:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = output_file(state_dir).read_text(errors="replace")
            raise RuntimeError(f"the local stack did not start:\n{output[-3000:]}")
        time.sleep(0.2)
    return process, info


def _info_of(info_file: Path) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = json.loads(info_file.read_text())
    except (OSError, ValueError):
        return None
    return info


def stop(process: subprocess.Popen[bytes], state_dir: Path, how: int = signal.SIGTERM) -> str:
    """Stop the stack as Ctrl-C (SIGINT) or a service manager (SIGTERM) does; what it printed."""
    process.send_signal(how)
    process.wait(timeout=90)
    return output_file(state_dir).read_text(errors="replace")


def kill_all(process: subprocess.Popen[bytes], info: dict[str, Any]) -> None:
    """``kill -9`` every process of the stack at once (the stack, moto, the API) and reap them."""
    pids = [int(info["pid"]), int(info["moto_pid"]), int(info["api_pid"])]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
