"""The whole desk on one machine, all on 127.0.0.1, with no AWS account (``make local``).

- a moto server with every resource of infra/template.json;
- an SMTP listener (aiosmtpd) that does what SES receiving does: the raw mail into the bucket, then
  ``ingest`` with an SES-shaped event and PASS verdicts (asynchronously, with Lambda's two retries);
- the agent API and console: functions/app.py served as ``chalice local`` serves it, with the local
  stack's outbox page and clock (local_api.py), a process of its own;
- a clock that fires due Scheduler schedules (moto never does), which ``postdesk local advance 24h``
  moves forward for every process of the stack;
- an outbox: every mail SES sent, as ``.eml`` files in a folder and a page of the console.

Where everything is goes to the terminal and to ``.postdesk/local.json``. Ctrl-C or SIGTERM stops
every process it started.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from postdesk_tools.local_api import OUTBOX_VARIABLE
from postdesk_tools.local_clock import CLOCK_FILE_VARIABLE, advance_clock, read_offset, shifted_clock
from postdesk_tools.local_server import (
    FUNCTIONS_DIR,
    HOST,
    REGION,
    SUPPORT_ADDRESS,
    moto_desk,
)

CHECKOUT = FUNCTIONS_DIR.parent
STATE_DIR = CHECKOUT / ".postdesk"
INFO_FILE = "local.json"
DEFAULT_SMTP_PORT = 2525
DEFAULT_API_PORT = 8000
# What SES receiving accepts through its S3 action.
MAX_MAIL_BYTES = 40 * 1024 * 1024
# Lambda's asynchronous invocation: the first try and two retries.
INGEST_ATTEMPTS = 3
INGEST_RETRY_SECONDS = 1.0
INGEST_WORKERS = 4
CLOCK_TICK_SECONDS = 1.0
ADMIN_EMAIL = "admin@example.com"


@dataclass
class Delivery:
    """One mail the SMTP listener accepted, and what ingest made of it."""

    ses_id: str
    accepted_at: float
    done_at: float | None = None
    outcome: str = "pending"
    ref: str | None = None
    acknowledgement: str | None = None
    attempts: int = 0


@dataclass
class StackState:
    """What the stack's threads share (guarded by ``lock``)."""

    deliveries: dict[str, Delivery] = field(default_factory=dict)
    fired: list[dict[str, Any]] = field(default_factory=list)
    outbox_written: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # One firer at a time: the clock's tick and an advance must not both run a due schedule.
    firing: threading.Lock = field(default_factory=threading.Lock)
    # The schedules the clock has read, by name and last change (a tick reads only new ones).
    schedules: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _port_or_free(wanted: int) -> int:
    """``wanted`` when it is free on 127.0.0.1, else any free port (0 asks for any)."""
    if wanted:
        with socket.socket() as probe:
            try:
                probe.bind((HOST, wanted))
                return wanted
            except OSError:
                pass
    return free_port()


# -- SMTP: what SES receiving does ------------------------------------------------------------------


class SesReceiving:
    """aiosmtpd handler: accept mail for the support domain, store it, hand it to ingest."""

    def __init__(self, support_domain: str, state: StackState, executor: ThreadPoolExecutor) -> None:
        self._domain = support_domain.lower()
        self._state = state
        self._executor = executor

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not address.lower().endswith("@" + self._domain):
            return f"550 5.1.1 {address}: this desk receives mail for @{self._domain} only"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode("utf-8", errors="surrogateescape")
        if len(raw) > MAX_MAIL_BYTES:
            return "552 5.3.4 message too big for SES receiving (40 MB)"
        from postdesk.settings import Settings
        from postdesk_tools.ses_events import store_and_describe

        settings = Settings.from_environment()
        event = store_and_describe(
            raw,
            bucket=settings.mail_bucket,
            prefix=settings.raw_mail_prefix,
            region=settings.region,
            recipients=list(envelope.rcpt_tos),
            envelope_sender=envelope.mail_from or "",
        )
        ses_id = event["Records"][0]["ses"]["mail"]["messageId"]
        with self._state.lock:
            self._state.deliveries[ses_id] = Delivery(ses_id, time.monotonic())
        # SES invokes the Lambda action asynchronously: the sender has its 250 already.
        self._executor.submit(_ingest, event, ses_id, self._state)
        return f"250 OK queued as {ses_id}"


def _ingest(event: dict[str, Any], ses_id: str, state: StackState) -> None:
    from postdesk import handlers
    from postdesk.observability import logger

    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            (result,) = handlers.ingest_handler(event, None)["results"]
        except Exception:
            logger.exception("ingest failed", extra={"attempt": attempt})
            if attempt == INGEST_ATTEMPTS:
                with state.lock:
                    state.deliveries[ses_id].outcome = "dead_letter"
                    state.deliveries[ses_id].attempts = attempt
                    state.deliveries[ses_id].done_at = time.monotonic()
                return
            time.sleep(INGEST_RETRY_SECONDS * attempt)
            continue
        with state.lock:
            delivery = state.deliveries[ses_id]
            delivery.done_at = time.monotonic()
            delivery.outcome = "created" if result.get("created") else "added"
            delivery.ref = result.get("ref")
            delivery.acknowledgement = result.get("ack")
            delivery.attempts = attempt
        return


# -- the clock and the outbox -----------------------------------------------------------------------


def _fire_due(state: StackState, clock_file: Path) -> None:
    from postdesk.observability import logger
    from postdesk.settings import Settings
    from postdesk_tools.schedules import fire_due_schedules

    settings = Settings.from_environment()
    with state.firing:
        now = shifted_clock(str(clock_file))()
        try:
            fired = fire_due_schedules(settings.region, settings.scheduling.group, now, known=state.schedules)
        except Exception:
            logger.exception("firing due schedules failed")
            return
    with state.lock:
        state.fired.extend({"name": f.name, "target": f.target, "result": f.result} for f in fired)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "mail"


def _write_outbox(state: StackState, outbox: Path) -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    with state.lock:
        start = state.outbox_written
    for number, message in enumerate(list(sent)[start:], start=start + 1):
        raw = message.raw_data.encode("utf-8") if isinstance(message.raw_data, str) else message.raw_data
        subject = str(BytesHeaderParser().parsebytes(raw).get("Subject", ""))
        (outbox / f"{number:05d}-{_slug(subject)}.eml").write_bytes(raw)
        with state.lock:
            state.outbox_written = number


def _every(seconds: float, stop: threading.Event, work: Any) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(seconds):
            work()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


# -- control: advance the clock, report deliveries ---------------------------------------------------


def _control_server(state: StackState, clock_file: Path, port: int) -> ThreadingHTTPServer:
    class Control(BaseHTTPRequestHandler):
        def _answer(self, status: int, document: dict[str, Any]) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != "/status":
                self._answer(404, {"error": "NotFound", "message": "GET /status or POST /advance"})
                return
            with state.lock:
                deliveries = [asdict(d) for d in state.deliveries.values()]
                fired = list(state.fired)
            self._answer(
                200, {"deliveries": deliveries, "fired": fired, "offset_seconds": read_offset(clock_file)}
            )

        def do_POST(self) -> None:
            if self.path != "/advance":
                self._answer(404, {"error": "NotFound", "message": 'POST /advance {"seconds": N}'})
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
                seconds = float(json.loads(self.rfile.read(min(length, 4096)) or b"{}")["seconds"])
            except (ValueError, KeyError, TypeError):
                self._answer(400, {"error": "BadRequest", "message": 'send {"seconds": N}'})
                return
            if not 0 < seconds <= 366 * 86400:
                self._answer(400, {"error": "BadRequest", "message": "between 1 second and a year"})
                return
            offset = advance_clock(clock_file, timedelta(seconds=seconds))
            # Fire what became due at once, so a caller sees its effect when this returns.
            _fire_due(state, clock_file)
            with state.lock:
                fired = list(state.fired)
            self._answer(200, {"offset_seconds": offset, "fired": fired})

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((HOST, port), Control)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- the API: the app as chalice local serves it ------------------------------------------------------


def _local_api(port: int, environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "postdesk_tools.local_api", "--host", HOST, "--port", str(port)]
    with log.open("ab") as output:
        # A session of its own: stopping the stack stops the API and anything it started.
        return subprocess.Popen(  # noqa: S603 (our own interpreter, our own arguments)
            command,
            cwd=FUNCTIONS_DIR,
            env={**os.environ, **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with {process.returncode} (see .postdesk/chalice.log)")
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the API did not listen on {port} within {seconds:.0f} s")


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _stop_leftovers(info_file: Path) -> None:
    """A stack killed outright (SIGKILL, out of memory) could not stop its chalice: stop it now."""
    try:
        old = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if _alive(int(old.get("pid", 0))):
        raise RuntimeError(f"a local stack is running already (pid {old['pid']}); stop it first")
    chalice = int(old.get("chalice_pid", 0))
    if chalice and _alive(chalice):
        with suppress(ProcessLookupError):
            os.killpg(chalice, signal.SIGTERM)
    info_file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


# -- the stack ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalStack:
    info: dict[str, Any]
    state: StackState
    state_dir: Path


@contextmanager
def local_stack(
    state_dir: Path = STATE_DIR,
    smtp_port: int = DEFAULT_SMTP_PORT,
    api_port: int = DEFAULT_API_PORT,
    support_address: str = SUPPORT_ADDRESS,
) -> Iterator[LocalStack]:
    """Start everything (ports taken when free, else any free one) and stop it all afterwards."""
    from aiosmtpd.controller import Controller

    from postdesk.agents.model import Role
    from postdesk.agents.store import AgentStore
    from postdesk.settings import Settings

    state_dir.mkdir(parents=True, exist_ok=True)
    _stop_leftovers(state_dir / INFO_FILE)
    outbox = state_dir / "outbox"
    outbox.mkdir(exist_ok=True)
    for old in outbox.glob("*.eml"):
        old.unlink()
    clock_file = state_dir / "clock.json"
    clock_file.write_text(json.dumps({"offset_seconds": 0}), encoding="utf-8")
    info_file = state_dir / INFO_FILE
    state = StackState()
    stop = threading.Event()
    smtp_port = _port_or_free(smtp_port)
    api_port = _port_or_free(api_port)
    api_url = f"http://{HOST}:{api_port}"
    with moto_desk("local", support_address) as (aws_url, environment):
        environment = {
            **environment,
            "POSTDESK_PUBLIC_URL": api_url,
            CLOCK_FILE_VARIABLE: str(clock_file),
            OUTBOX_VARIABLE: str(outbox),
        }
        os.environ.update(environment)
        from postdesk import runtime

        runtime.use_clock(shifted_clock(clock_file))
        settings = Settings.from_environment()
        _, admin_token = AgentStore(settings.tables.agents, settings.region).add(
            ADMIN_EMAIL, "Local Admin", Role.ADMIN, datetime.now(UTC)
        )
        executor = ThreadPoolExecutor(max_workers=INGEST_WORKERS, thread_name_prefix="ingest")
        controller = Controller(
            SesReceiving(settings.support_domain, state, executor),
            hostname=HOST,
            port=smtp_port,
            data_size_limit=MAX_MAIL_BYTES,
        )
        chalice = _local_api(api_port, environment, state_dir / "chalice.log")
        control = None
        threads: list[threading.Thread] = []
        try:
            controller.start()
            _wait_for_port(api_port, chalice)
            control = _control_server(state, clock_file, free_port())
            threads += [
                _every(CLOCK_TICK_SECONDS, stop, lambda: _fire_due(state, clock_file)),
                _every(0.5, stop, lambda: _write_outbox(state, outbox)),
            ]
            info = {
                "smtp_host": HOST,
                "smtp_port": smtp_port,
                "api_url": api_url,
                "console_url": f"{api_url}/console",
                "support_address": support_address,
                "admin_email": ADMIN_EMAIL,
                "admin_token": admin_token,
                "outbox_dir": str(outbox),
                "endpoint_url": aws_url,
                "control_url": f"http://{HOST}:{control.server_address[1]}",
                "pid": os.getpid(),
                "chalice_pid": chalice.pid,
                "environment": environment,
            }
            info_file.write_text(json.dumps(info, indent=2), encoding="utf-8")
            info_file.chmod(0o600)
            yield LocalStack(info, state, state_dir)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            with suppress(Exception):
                controller.stop()
            executor.shutdown(wait=True, cancel_futures=False)
            _stop_process(chalice)
            if control is not None:
                control.shutdown()
                control.server_close()
            with suppress(Exception):
                _write_outbox(state, outbox)
            info_file.unlink(missing_ok=True)
            runtime.use_clock(None)


def _summary(info: dict[str, Any]) -> str:
    return "\n".join(
        [
            "Postdesk is running on this machine (moto stands in for AWS; nothing leaves 127.0.0.1).",
            "",
            f"  Send mail to   {info['support_address']} via SMTP {info['smtp_host']}:{info['smtp_port']}",
            f"  Console        {info['console_url']}",
            f"  Admin token    {info['admin_token']}  ({info['admin_email']})",
            f"  API            {info['api_url']}",
            f"  Outbox         {info['outbox_dir']}  (every mail the desk sent, as .eml)",
            f"  AWS (moto)     {info['endpoint_url']}",
            "",
            "  postdesk local advance 24h   moves the clock (surveys, SLA timers)",
            "  postdesk report --since 7d   the numbers     make demo   a story on this stack",
            "",
            "The same is in .postdesk/local.json. Ctrl-C stops everything.",
            "",
        ]
    )


def quiet_empty_metrics() -> None:
    """Powertools warns when a handler published no metric (a stale timer, say): noise here."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def serve(state_dir: Path, smtp_port: int, api_port: int) -> int:
    """Run the stack until Ctrl-C or SIGTERM."""
    quiet_empty_metrics()
    stopping = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with local_stack(state_dir, smtp_port, api_port) as stack:
        sys.stdout.write(_summary(stack.info))
        sys.stdout.flush()
        stopping.wait()
        sys.stdout.write("Stopping…\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="postdesk local", description="the whole desk on this machine")
    parser.add_argument("--state-dir", default=str(STATE_DIR), help="where local.json and the outbox go")
    parser.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT, help="0 for any free port")
    parser.add_argument("--api-port", type=int, default=DEFAULT_API_PORT, help="0 for any free port")
    arguments = parser.parse_args(argv)
    return serve(Path(arguments.state_dir), arguments.smtp_port, arguments.api_port)


if __name__ == "__main__":
    raise SystemExit(main())


# -- the commands that talk to a running stack ------------------------------------------------------


def running_stack_info(state_dir: Path | None = None) -> dict[str, Any] | None:
    """The running local stack's ``local.json`` (in ``state_dir``, ``$POSTDESK_LOCAL_DIR``,
    ./.postdesk or the checkout's), or None when there is none or its process is gone."""
    named = state_dir or (
        Path(os.environ["POSTDESK_LOCAL_DIR"]) if os.environ.get("POSTDESK_LOCAL_DIR") else None
    )
    for directory in [named] if named else [Path.cwd() / ".postdesk", STATE_DIR]:
        info_file = directory / INFO_FILE
        try:
            info: dict[str, Any] = json.loads(info_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not _alive(int(info.get("pid", 0))):
            continue
        return info
    return None


def use_running_stack() -> dict[str, Any] | None:
    """Point this process at the running local stack, unless the environment names a desk already
    (a deployed one, or a test's): what `postdesk agents`, `report` and `local` do from the checkout."""
    if os.environ.get("POSTDESK_TICKETS_TABLE"):
        return None
    info = running_stack_info()
    if info is not None:
        os.environ.update({str(k): str(v) for k, v in info["environment"].items()})
    return info


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")


def parse_advance(text: str) -> timedelta:
    """``24h``, ``90m``, ``2d``, ``1d 6h``: how far to move the clock."""
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"{text!r} is not a duration such as 24h, 90m or 2d")
    unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return timedelta(seconds=sum(float(amount) * unit[letter] for amount, letter in parts))


def _control(info: dict[str, Any], method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(info["control_url"])
    connection = http.client.HTTPConnection(address.hostname or HOST, address.port, timeout=60)
    connection.request(method, path, body=json.dumps(body) if body is not None else None)
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    if response.status != 200:
        raise RuntimeError(document.get("message", f"HTTP {response.status}"))
    return document


def advance(text: str, info: dict[str, Any]) -> dict[str, Any]:
    """Move the running stack's clock forward and fire what became due; what fired."""
    document: dict[str, Any] = _control(
        info, "POST", "/advance", {"seconds": parse_advance(text).total_seconds()}
    )
    return document


def status(info: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = _control(info, "GET", "/status")
    return document


def run_local(argv: list[str], out: Any) -> int:
    """``postdesk local`` (start), ``postdesk local advance 24h``, ``postdesk local status``."""
    if argv[:1] in (["advance"], ["status"]):
        info = running_stack_info()
        if info is None:
            out.write("postdesk local: no local stack is running here (start one with `make local`)\n")
            return 1
        if argv[0] == "status":
            out.write(json.dumps(status(info), indent=2) + "\n")
            return 0
        if len(argv) != 2:
            out.write("usage: postdesk local advance DURATION  (for example 24h, 90m, 2d)\n")
            return 2
        try:
            document = advance(argv[1], info)
        except ValueError as error:
            out.write(f"postdesk local advance: {error}\n")
            return 1
        hours = document["offset_seconds"] / 3600
        out.write(f"The clock is {hours:g} h ahead. Fired so far: {len(document['fired'])} schedules.\n")
        for fired in document["fired"][-10:]:
            out.write(f"  {fired['name']}: {fired['result'].get('outcome')}\n")
        return 0
    return main(argv)
