"""The whole desk on one machine, all on 127.0.0.1, with no AWS account (``make local``); it keeps its
data in the checkout's ``.postdesk/`` from one start to the next.

Three processes (so the desk's work and moto's use both cores):

- **moto** (``postdesk_tools/moto_server.py``) with every resource of infra/template.json; its state is
  journaled before each answer and written whole at a stop (``.postdesk/aws/``), every mail SES sends
  lands in ``.postdesk/outbox/`` as it is sent, due schedules are kept in a heap, TTL is applied;
- **the API and console** (``postdesk_tools/local_api.py``): functions/app.py as ``chalice local``
  serves it, with the outbox page;
- **this one**: an SMTP listener that does what SES receiving does (accepts mail for the support domain
  only, spools it to disk before the 250, stores it in the bucket and invokes ``ingest`` with an
  SES-shaped event, with Lambda's two retries); the clock, which fires due schedules and which
  ``postdesk local advance 24h`` moves for every process of the stack; a small control server.

What survives what: README, "The desk on your machine". Ctrl-C or SIGTERM stops every process it
started; a start after a ``kill -9`` stops what the killed stack left and takes the same ports.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postdesk.clock import Clock, to_iso
from postdesk_tools.change_feed import ChangeFeed, deliver_changes
from postdesk_tools.local_api import OUTBOX_VARIABLE
from postdesk_tools.local_clock import CLOCK_FILE_VARIABLE, advance_clock, read_offset, shifted_clock
from postdesk_tools.local_server import (
    FUNCTIONS_DIR,
    HOST,
    LOCAL_AWS_ENVIRONMENT,
    REGION,
    SUPPORT_ADDRESS,
    SUPPORT_NAME,
)
from postdesk_tools.serving import serve_in_thread
from postdesk_tools.spool import Spool, SpooledMail

if TYPE_CHECKING:
    from postdesk.settings import Settings

CHECKOUT = FUNCTIONS_DIR.parent
STATE_DIR = CHECKOUT / ".postdesk"
INFO_FILE = "local.json"
# What the desk keeps between starts: its provisioned environment and the first admin's token.
DESK_FILE = "desk.json"
DEFAULT_SMTP_PORT = 2525
DEFAULT_API_PORT = 8000
DEFAULT_MOTO_PORT = 4566
# What SES receiving accepts through its S3 action.
MAX_MAIL_BYTES = 40 * 1024 * 1024
# Lambda's asynchronous invocation: the first try and two retries.
INGEST_ATTEMPTS = 3
INGEST_RETRY_SECONDS = 1.0
INGEST_WORKERS = 4
CLOCK_TICK_SECONDS = 1.0
# How often the streams are read for search (Lambda's event source mapping polls about 4 times a second).
SEARCH_FEED_SECONDS = 0.25
SEARCH_FEED_FILE = "search-feed.json"
# Where the ticket log's stream stands for events out (docs/events.md).
EVENTS_FEED_FILE = "events-feed.json"
# How soon a running stack notices Ctrl-C or SIGTERM.
STOP_POLL_SECONDS = 0.2
# The first admin is admin@<the support address's domain>; who the access audit says invited them.
ADMIN_LOCAL_PART = "admin"
ADMIN_NAME = "Local Admin"
INVITED_BY = "postdesk local"
# The admin's API token (for the commands and scripts; people sign in with the password).
ADMIN_TOKEN_NAME = "local stack"  # noqa: S105 - a token's name, not a secret
PREFIX = "local"
START_SECONDS = 60


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
    lock: threading.Lock = field(default_factory=threading.Lock)
    # One firer at a time: the clock's tick and an advance must not both run a due schedule.
    firing: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _port_or_free(wanted: int) -> int:
    """``wanted`` when it is free on 127.0.0.1, else any free port (0 asks for any)."""
    if wanted and _port_free(wanted):
        return wanted
    return free_port()


# -- the Lambda functions, invoked as Lambda invokes them ----------------------------------------------


@dataclass(frozen=True, slots=True)
class LambdaContext:
    """What the Lambda runtime hands a function: enough for Powertools' context and the SLA function."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def lambda_function(name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The function ``name`` of functions/app.py, as deployed (Powertools' middleware included)."""
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    # functions/app.py, imported as Lambda imports it.
    app: Any = importlib.import_module("app")
    function = {
        "ingest": app.ingest,
        "survey": app.send_survey,
        "sla": app.check_sla,
        "automations": app.run_automations,
        "search_index": app.index_for_search,
        "events_out": app.publish_events,
        "webhook_sender": app.send_webhooks,
    }[name]

    def invoke(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
        result: dict[str, Any] = function(event, LambdaContext(f"{PREFIX}-{name}"))
        return result

    return invoke


# -- SMTP: what SES receiving does ------------------------------------------------------------------


def smtp_controller(handler: Any, port: int) -> Any:
    """An aiosmtpd controller as lenient as SES receiving: bare-LF line endings and lines longer
    than RFC 5321's 1,000 characters are accepted (SES keeps such mail as it came); only a mail over
    40 MB is refused for its size."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class LenientSMTP(SMTP):
        line_length_limit = MAX_MAIL_BYTES + 1024

    class LenientController(Controller):
        def factory(self) -> SMTP:
            return LenientSMTP(self.handler, data_size_limit=MAX_MAIL_BYTES, hostname=HOST)

    return LenientController(handler, hostname=HOST, port=port)


class SesReceiving:
    """aiosmtpd handler: accept mail for the desk's domains (those of its mailboxes, as the receipt
    rule does), spool it, hand it to ingest."""

    def __init__(
        self,
        domains: str | Iterable[str],
        spool: Spool,
        clock: Clock,
        submit: Callable[[SpooledMail], None],
    ) -> None:
        named = [domains] if isinstance(domains, str) else sorted(domains)
        self._domains = tuple(domain.lower() for domain in named)
        self._spool = spool
        self._clock = clock
        self._submit = submit

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower().rpartition("@")[2] not in self._domains:
            return (
                f"550 5.1.1 <{address}>: Recipient address rejected: "
                f"this desk receives mail for {', '.join('@' + domain for domain in self._domains)} only"
            )
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        from postdesk_tools.ses_events import new_ses_message_id

        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode("utf-8", errors="surrogateescape")
        if len(raw) > MAX_MAIL_BYTES:
            return "552 5.3.4 Message too big: SES receives at most 40 MB"
        mail = SpooledMail(
            ses_id=new_ses_message_id(),
            # The receipt time is the stack's, so that everything follows `postdesk local advance`.
            received_at=self._clock(),
            envelope_sender=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            raw=raw,
        )
        # On disk before the 250: a stack killed right after it still has the mail.
        await asyncio.get_running_loop().run_in_executor(None, self._spool.accept, mail)
        self._submit(mail)
        return f"250 OK queued as {mail.ses_id}"


_WARM_UP_MAIL = (
    b"From: Jane Doe <jane@customer.example>\r\nTo: support@example.com\r\n"
    b"Subject: My order never came\r\nMessage-ID: <warm-up@customer.example>\r\n\r\n"
    b"Hello,\r\n\r\nmy order never came. Can you help?\r\n\r\nJane\r\n"
)


def _warm_up() -> None:
    """Load what a first mail would (the SES event's maker, the ingest workflow, the language model,
    the templates, the desk's AWS clients and moto's services, by reads that change nothing) before
    one comes: this process lives for days, unlike a Lambda container, so an idle stack answers its
    first mail as fast as its hundredth."""
    # How ingest reads the SES event (Powertools' event classes load as one package).
    from aws_lambda_powertools.utilities import data_classes  # noqa: F401 - loaded for its own sake

    from postdesk import runtime
    from postdesk.aws.clients import client
    from postdesk.effects import keys
    from postdesk.mail.parse import parse_message
    from postdesk.observability import logger
    from postdesk.rendering import available_languages, environment
    from postdesk.triage.rules import load_rules
    from postdesk.triage.understand import understand
    from postdesk.workflows import ingest  # noqa: F401 - loaded for its own sake
    from postdesk_tools import ses_events  # noqa: F401 - loaded for its own sake

    try:
        settings, ports = runtime.runtime()
        ports.signing_key()
        ports.store.lookup_arrival(["<warm-up@customer.example>"], keys.delivery_guard("warm-up"))
        client("s3", settings.region).head_bucket(Bucket=settings.mail_bucket)
        client("ses", settings.region).get_send_quota()
        client("scheduler", settings.region).list_schedule_groups(MaxResults=1)
        understanding = understand(
            parse_message(_WARM_UP_MAIL),
            history_languages=(),
            default_language="en",
            template_languages=available_languages(),
            rules=load_rules(settings.triage_rules_path),
        )
        for kind in ("txt", "html"):
            environment().get_template(f"{understanding.reply_language}/ack.{kind}.j2")
    except Exception:
        # Only the first mail's speed is at stake: it loads whatever this did not.
        logger.exception("warming up failed")


def _deliver(mail: SpooledMail, state: StackState, spool: Spool, ingest: Any) -> None:
    """What SES does once it accepted a mail: store it in the bucket, then invoke ingest (with
    Lambda's retries). The spool lets go of it once ingest has made it ticket state."""
    from postdesk.observability import logger
    from postdesk.settings import Settings
    from postdesk_tools.ses_events import local_verdicts, store_and_describe

    with state.lock:
        state.deliveries.setdefault(mail.ses_id, Delivery(mail.ses_id, time.monotonic()))
    # What SES would have found on receipt: all PASS, unless the mail asks otherwise (README).
    verdicts, dmarc_policy = local_verdicts(mail.raw)
    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            settings = Settings.from_environment()
            event = store_and_describe(
                mail.raw,
                bucket=settings.mail_bucket,
                prefix=settings.raw_mail_prefix,
                region=settings.region,
                recipients=list(mail.recipients),
                envelope_sender=mail.envelope_sender,
                ses_id=mail.ses_id,
                received_at=mail.received_at,
                verdicts=verdicts,
                dmarc_policy=dmarc_policy,
            )
            (result,) = ingest(event)["results"]
        except Exception:
            logger.exception("ingest failed", extra={"attempt": attempt})
            if attempt == INGEST_ATTEMPTS:
                spool.dead_letter(mail.ses_id)
                with state.lock:
                    delivery = state.deliveries[mail.ses_id]
                    delivery.outcome, delivery.attempts, delivery.done_at = (
                        "dead_letter",
                        attempt,
                        time.monotonic(),
                    )
                return
            time.sleep(INGEST_RETRY_SECONDS * attempt)
            continue
        spool.done(mail.ses_id)
        with state.lock:
            delivery = state.deliveries[mail.ses_id]
            delivery.done_at = time.monotonic()
            delivery.outcome = "created" if result.get("created") else "added"
            delivery.ref = result.get("ref")
            delivery.acknowledgement = result.get("ack")
            delivery.attempts = attempt
        return


# -- the clock: due schedules fire -------------------------------------------------------------------------


def _fire_due(state: StackState, moto_url: str, clock: Clock, targets: dict[str, Any]) -> None:
    """Invoke every schedule due by the stack's clock, as Scheduler would, and delete it
    (``ActionAfterCompletion=DELETE``). Moto keeps the due times in a heap and answers with those due."""
    from postdesk.aws.clients import client
    from postdesk.observability import logger

    with state.firing:
        try:
            with urllib.request.urlopen(  # noqa: S310 - the stack's own moto on 127.0.0.1
                f"{moto_url}/_postdesk/due?until={to_iso(clock())}", timeout=30
            ) as answer:
                due = json.loads(answer.read())["due"]
        except OSError:
            logger.exception("asking moto for due schedules failed")
            return
        scheduler = client("scheduler", REGION)
        for schedule in due:
            target = schedule["target_arn"].rsplit(":", 1)[-1].rsplit("-", 1)[-1]
            invoke = targets.get(target)
            if invoke is None:
                logger.error("a schedule names a target the stack has not", extra={"target": target})
                continue
            try:
                result = invoke(json.loads(schedule["input"]))
            except Exception:
                # Scheduler retries a failed invocation: the schedule stays, and is due again next tick.
                logger.exception("scheduled invocation failed", extra={"schedule": schedule["name"]})
                continue
            with suppress(scheduler.exceptions.ResourceNotFoundException):
                # Gone already when its target deleted it (a reopen cancelling a survey, say).
                scheduler.delete_schedule(Name=schedule["name"], GroupName=schedule["group"])
            with state.lock:
                state.fired.append({"name": schedule["name"], "target": target, "result": result})


def _start_daemon(loop: Callable[[], None], name: str | None = None) -> threading.Thread:
    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def _every(seconds: float, stop: threading.Event, work: Callable[[], None]) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(seconds):
            work()

    return _start_daemon(loop)


def _follow_feed(
    feed: ChangeFeed,
    positions_file: Path,
    stop: threading.Event,
    handle: Callable[[dict[str, Any]], Any],
    *,
    name: str,
    start_fresh: Callable[[], None],
) -> threading.Thread:
    """What an event source mapping does on AWS: hand the feed's new records to ``handle`` every
    SEARCH_FEED_SECONDS, the position kept in ``positions_file``. A desk with no position yet is first
    brought to where ``start_fresh`` leaves the feed."""
    from postdesk.observability import logger

    def save() -> None:
        temporary = positions_file.with_suffix(".tmp")
        temporary.write_text(feed.checkpoint(), encoding="utf-8")
        temporary.replace(positions_file)

    def loop() -> None:
        started = False
        while not stop.is_set():
            try:
                if not started:
                    if positions_file.exists():
                        feed.restore(positions_file.read_text(encoding="utf-8"))
                    else:
                        start_fresh()
                        save()
                    started = True
                if deliver_changes(feed, handle):
                    save()
            except Exception:
                # The batch is handed on again at the next turn (the function is idempotent).
                logger.exception(f"{name.replace('-', ' ')} failed; retrying")
            stop.wait(SEARCH_FEED_SECONDS)

    return _start_daemon(loop, name)


def _feed_search(
    settings: Any, positions_file: Path, stop: threading.Event, handle: Callable[[dict[str, Any]], Any]
) -> threading.Thread:
    """What the event source mappings do on AWS: hand the streams' records to ``search_index``
    every SEARCH_FEED_SECONDS, the position kept in ``positions_file``. A desk with no position yet
    (made before search, or its index lost) is indexed whole first, from the position it had then."""
    from postdesk.observability import logger
    from postdesk.runtime import runtime, search_index
    from postdesk.workflows.indexing import rebuild_index

    feed = ChangeFeed(settings.region, (settings.tables.tickets, settings.tables.ticket_log))

    def index_whole() -> None:
        feed.skip_to_end()
        run = rebuild_index(runtime()[1].store, search_index("writer"))
        logger.info("search index rebuilt", extra={"indexed": run.indexed})

    return _follow_feed(feed, positions_file, stop, handle, name="search-feed", start_fresh=index_whole)


def _feed_events_out(
    settings: Any, positions_file: Path, stop: threading.Event, handle: Callable[[dict[str, Any]], Any]
) -> threading.Thread:
    """What the EventsOutFeed event source mapping does on AWS: hand the ticket log's new records to
    ``events_out``, the position kept in ``positions_file``; a desk with no position yet starts at the
    stream's end (the mapping's LATEST: history is not published again)."""
    feed = ChangeFeed(settings.region, (settings.tables.ticket_log,))
    return _follow_feed(feed, positions_file, stop, handle, name="events-feed", start_fresh=feed.skip_to_end)


def _feed_webhooks(
    settings: Any, stop: threading.Event, handle: Callable[[dict[str, Any]], Any]
) -> threading.Thread:
    """What the WebhookSenderFeed event source mapping does on AWS: poll the delivery queue and hand
    its messages to ``webhook_sender`` (postdesk_tools/queue_feed.py)."""
    from postdesk.observability import logger
    from postdesk_tools.queue_feed import deliver_queue

    events = settings.events

    def loop() -> None:
        while not stop.is_set():
            try:
                if deliver_queue(
                    events.delivery_queue_url, events.delivery_queue_arn, settings.region, handle
                ):
                    continue
            except Exception:
                logger.exception("webhook queue poll failed; retrying")
            stop.wait(SEARCH_FEED_SECONDS)

    return _start_daemon(loop, "webhook-feed")


def _sweep_expired(moto_url: str) -> None:
    """Ask moto to apply TTL now (after the clock moved, say)."""
    request = urllib.request.Request(f"{moto_url}/_postdesk/sweep", method="POST", data=b"")  # noqa: S310
    with urllib.request.urlopen(request, timeout=120):  # noqa: S310 - the stack's own moto
        pass


# -- control: advance the clock, report deliveries ---------------------------------------------------


def _control_server(
    state: StackState, clock_file: Path, port: int, on_advance: Callable[[], None]
) -> ThreadingHTTPServer:
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
            # Fire what became due and expire what ran out at once, so a caller sees it on return.
            on_advance()
            with state.lock:
                fired = list(state.fired)
            self._answer(200, {"offset_seconds": offset, "fired": fired})

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((HOST, port), Control)
    serve_in_thread(server, "control")
    return server


# -- processes --------------------------------------------------------------------------------------------


def _start_process(
    module: str, arguments: list[str], environment: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        # A session of its own: stopping the stack stops it and anything it started.
        return subprocess.Popen(  # noqa: S603 (our own interpreter, our own module)
            [sys.executable, "-m", module, *arguments],
            cwd=FUNCTIONS_DIR,
            env={**os.environ, **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_port(
    port: int, process: subprocess.Popen[bytes], name: str, logs: Path, seconds: float = START_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} (its log is in {logs})")
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {seconds:.0f} s")


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _stop_leftovers(info_file: Path) -> None:
    """A stack killed outright (SIGKILL, out of memory) could not stop its children: stop them now,
    and wait until the ports they held are free again."""
    try:
        old = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if _alive(int(old.get("pid", 0))):
        raise RuntimeError(
            f"a local stack is running already on {info_file.parent} (pid {old['pid']}): stop it first "
            f"(Ctrl-C where it runs, or kill -TERM {old['pid']}), or start another one with --state-dir DIR"
        )
    for key in ("moto_pid", "api_pid"):
        pid = int(old.get(key, 0))
        if pid and _alive(pid):
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                with suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
    ports = [int(old.get(key, 0)) for key in ("smtp_port", "api_port", "moto_port", "control_port")]
    deadline = time.monotonic() + 10
    while any(port and not _port_free(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.05)
    info_file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie (a child nobody waited for yet) is gone but for its exit status.
    with suppress(OSError, IndexError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


# -- the desk's own state ---------------------------------------------------------------------------------


def _known_desk(state_dir: Path) -> dict[str, Any] | None:
    """The desk provisioned by an earlier start, from ``desk.json``; None before the first."""
    desk_file = state_dir / DESK_FILE
    if not desk_file.exists():
        return None
    known: dict[str, Any] = json.loads(desk_file.read_text(encoding="utf-8"))
    return known


def _desk(state_dir: Path, support_address: str, moto_url: str, mailboxes: str = "") -> dict[str, Any]:
    """The provisioned desk: read from ``desk.json``, or made on this moto (with ``mailboxes``, the
    desk's other addresses) and written there. Its first admin is invited once the stack's
    environment is the desk's (``_first_admin``)."""
    known = _known_desk(state_dir)
    if known is not None:
        return known
    from postdesk.aws.clients import reset_clients
    from postdesk_tools.provision import provision

    os.environ["AWS_ENDPOINT_URL"] = moto_url
    reset_clients()
    provisioned = provision(REGION, PREFIX, support_address, SUPPORT_NAME, mailboxes=mailboxes)
    desk = {
        "support_address": support_address,
        "environment": provisioned.environment,
        "admin_email": f"{ADMIN_LOCAL_PART}@{support_address.rsplit('@', 1)[-1].lower()}",
    }
    _write_desk(state_dir, desk)
    return desk


def _first_admin(state_dir: Path, desk: dict[str, Any]) -> dict[str, Any]:
    """The desk with a first admin who can sign in, kept in ``desk.json``: on a new desk,
    ``admin_email`` invited as an admin (an account in the user pool with a temporary password, the
    invitation mailed to the outbox, the access audit's entry) and given an API token; on a desk an
    older version made, whose admin has an API token only, the invitation renewed, which makes the
    account. The stack's environment must be the desk's. Done once: a desk that has the temporary
    password already is returned as it is."""
    if "admin_temporary_password" in desk:
        return desk
    from postdesk import runtime
    from postdesk.agents.model import AgentNotFound, Role
    from postdesk.agents.tokens import MAX_TOKEN_DAYS, TokenScope
    from postdesk.errors import Conflict
    from postdesk.workflows.invitations import invite, renew_invitation

    settings, ports = runtime.runtime()
    email = str(desk["admin_email"])
    try:
        active = ports.agents.get(email).active
    except AgentNotFound:
        active = False
    password: str | None
    try:
        if active:
            password = renew_invitation(email, INVITED_BY, settings, ports).temporary_password
        else:
            password = invite(
                email, ADMIN_NAME, Role.ADMIN, None, INVITED_BY, settings, ports
            ).temporary_password
    except Conflict:
        # The admin has signed in and set a password of their own already.
        password = None
    updated = {**desk, "admin_temporary_password": password}
    if "admin_token" not in updated:
        _, token = ports.agents.create_token(
            email, ADMIN_TOKEN_NAME, TokenScope.ADMIN, MAX_TOKEN_DAYS, email, ports.clock()
        )
        updated["admin_token"] = token
    _write_desk(state_dir, updated)
    return updated


def _seeded_knowledge(state_dir: Path, desk: dict[str, Any]) -> dict[str, Any]:
    """The desk with the shipped help articles imported, published and owned by its first admin
    (workflows/knowledge.py), kept in ``desk.json`` as done: once per desk, whether new or made by
    a version before the knowledge base. The stack's environment must be the desk's."""
    if desk.get("knowledge_seeded"):
        return desk
    from postdesk import runtime
    from postdesk.workflows.knowledge import import_seed

    settings, ports = runtime.runtime()
    import_seed(settings, ports, root=None, owner=str(desk["admin_email"]))
    updated = {**desk, "knowledge_seeded": True}
    _write_desk(state_dir, updated)
    return updated


def _admin_temporary_password(desk: dict[str, Any]) -> str | None:
    """The first admin's temporary password while it is still the one to sign in with (None once
    the first sign-in has set a password of their own)."""
    password = desk.get("admin_temporary_password")
    if not password:
        return None
    from postdesk.settings import Settings
    from postdesk.workflows.invitations import AWAITING_FIRST_SIGN_IN, accounts_of

    accounts = accounts_of(Settings.from_environment())
    if accounts.status(str(desk["admin_email"])) != AWAITING_FIRST_SIGN_IN:
        return None
    return str(password)


def _up_to_date(state_dir: Path, desk: dict[str, Any], moto_url: str) -> dict[str, Any]:
    """A desk an older version made, with what the stack has gained since (provision.py), kept in
    ``desk.json``: its tickets stay, and the new parts work from this start on."""
    from postdesk.aws.clients import reset_clients
    from postdesk_tools.provision import brought_up_to_date

    os.environ["AWS_ENDPOINT_URL"] = moto_url
    reset_clients()
    updated = {**desk, "environment": brought_up_to_date(REGION, PREFIX, dict(desk["environment"]))}
    _write_desk(state_dir, updated)
    return updated


def _write_desk(state_dir: Path, desk: dict[str, Any]) -> None:
    desk_file = state_dir / DESK_FILE
    temporary = desk_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(desk, indent=2), encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(desk_file)


def _with_mailboxes(state_dir: Path, desk: dict[str, Any], mailboxes: str | None) -> dict[str, Any]:
    """The desk made before, with the other addresses ``mailboxes`` names (POSTDESK_MAILBOXES's
    format; "" for none) when given: kept in ``desk.json`` for the next start. Checked here, so a
    mistake stops the start with the entry named."""
    from postdesk.mailboxes import parse_mailboxes

    environment = dict(desk["environment"])
    if mailboxes is None or mailboxes == environment.get("POSTDESK_MAILBOXES", ""):
        return desk
    parse_mailboxes(mailboxes, desk["support_address"], environment.get("POSTDESK_SUPPORT_NAME", ""))
    environment.pop("POSTDESK_MAILBOXES", None)
    changed = {
        **desk,
        "environment": {**environment, **({"POSTDESK_MAILBOXES": mailboxes} if mailboxes else {})},
    }
    _write_desk(state_dir, changed)
    return changed


def _verify_mail_domains(settings: Settings) -> None:
    """Every domain of the desk's mailboxes an SES identity on moto (as the operator makes them on
    AWS): moto refuses to send from a domain that is not one. Verifying again changes nothing."""
    from postdesk.aws.clients import client

    ses = client("ses", settings.region)
    for domain in sorted(settings.own_domains):
        ses.verify_domain_identity(Domain=domain)


def _mailbox_info(settings: Settings) -> list[dict[str, Any]]:
    return [
        {"address": mailbox.address, "name": mailbox.brand, "queue": mailbox.queue}
        for mailbox in settings.mailboxes.all
    ]


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
    moto_port: int = DEFAULT_MOTO_PORT,
    mailboxes: str | None = None,
) -> Iterator[LocalStack]:
    """Start everything (ports taken when free, else any free one) on the state in ``state_dir``, and
    stop it all afterwards, the state written to disk. ``mailboxes`` (POSTDESK_MAILBOXES's format)
    gives the desk its other addresses, kept for the next starts; None keeps those it has."""
    from postdesk import runtime
    from postdesk.aws.clients import reset_clients

    state_dir.mkdir(parents=True, exist_ok=True)
    info_file = state_dir / INFO_FILE
    _stop_leftovers(info_file)
    logs = state_dir / "logs"
    logs.mkdir(exist_ok=True)
    outbox = state_dir / "outbox"
    outbox.mkdir(exist_ok=True)
    clock_file = state_dir / "clock.json"
    if not clock_file.exists():
        clock_file.write_text(json.dumps({"offset_seconds": 0}), encoding="utf-8")
    clock = shifted_clock(clock_file)
    spool = Spool(state_dir / "spool")
    state = StackState()
    stop = threading.Event()
    smtp_port = _port_or_free(smtp_port)
    api_port = _port_or_free(api_port)
    moto_port = _port_or_free(moto_port)
    control_port = free_port()
    api_url = f"http://{HOST}:{api_port}"
    moto_url = f"http://{HOST}:{moto_port}"
    saved_environment = dict(os.environ)
    base = {**LOCAL_AWS_ENVIRONMENT, CLOCK_FILE_VARIABLE: str(clock_file), OUTBOX_VARIABLE: str(outbox)}
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(base)
    processes: list[subprocess.Popen[bytes]] = []
    controller = None
    control = None
    executor = ThreadPoolExecutor(max_workers=INGEST_WORKERS, thread_name_prefix="ingest")
    threads: list[threading.Thread] = []
    try:
        moto = _start_process(
            "postdesk_tools.moto_server",
            ["--state-dir", str(state_dir / "aws"), "--port", str(moto_port), "--outbox", str(outbox)],
            base,
            logs / "moto.log",
        )
        processes.append(moto)

        def desk_environment(desk: dict[str, Any]) -> dict[str, str]:
            return {
                **base,
                "AWS_ENDPOINT_URL": moto_url,
                **desk["environment"],
                # Links in mail (the survey's) point at this very API.
                "POSTDESK_PUBLIC_URL": api_url,
            }

        def start_api(desk: dict[str, Any]) -> subprocess.Popen[bytes]:
            process = _start_process(
                "postdesk_tools.local_api",
                ["--host", HOST, "--port", str(api_port)],
                desk_environment(desk),
                logs / "api.log",
            )
            processes.append(process)
            return process

        # A desk made before: the API starts while moto loads its state.
        known = _known_desk(state_dir)
        if known is not None:
            known = _with_mailboxes(state_dir, known, mailboxes)
        # (a desk an older version made waits for moto: what it lacks is made first)
        from postdesk_tools.provision import is_outdated

        outdated = known is not None and is_outdated(known["environment"])
        api = start_api(known) if known is not None and not outdated else None
        _wait_for_port(moto_port, moto, "moto", logs)
        if known is not None and outdated:
            known = _up_to_date(state_dir, known, moto_url)
        desk = known or _desk(state_dir, support_address, moto_url, mailboxes or "")
        environment = desk_environment(desk)
        os.environ.update(environment)
        reset_clients()
        runtime.use_clock(clock)
        desk = _first_admin(state_dir, desk)
        desk = _seeded_knowledge(state_dir, desk)
        if api is None:
            api = start_api(desk)
        ingest = lambda_function("ingest")
        targets = {name: lambda_function(name) for name in ("survey", "sla", "automations")}

        def submit(mail: SpooledMail) -> None:
            with state.lock:
                state.deliveries.setdefault(mail.ses_id, Delivery(mail.ses_id, time.monotonic()))
            executor.submit(_deliver, mail, state, spool, ingest)

        from postdesk.settings import Settings

        settings = Settings.from_environment()
        _verify_mail_domains(settings)
        controller = smtp_controller(SesReceiving(settings.own_domains, spool, clock, submit), smtp_port)
        warming = executor.submit(_warm_up)
        controller.start()
        # What the last run accepted and did not finish (a stop mid-delivery, a kill -9).
        for mail in spool.pending():
            submit(mail)

        def fire() -> None:
            _fire_due(state, moto_url, clock, targets)

        def after_advance() -> None:
            fire()
            _sweep_expired(moto_url)

        _wait_for_port(api_port, api, "the API", logs)
        # Ready means ready for a first mail at full speed (it fails only into a log line).
        warming.result(timeout=60)
        control = _control_server(state, clock_file, control_port, after_advance)
        threads.append(_every(CLOCK_TICK_SECONDS, stop, fire))
        index_for_search = lambda_function("search_index")
        threads.append(
            _feed_search(
                settings, state_dir / SEARCH_FEED_FILE, stop, lambda event: index_for_search(event, None)
            )
        )
        if settings.events.bus_name and settings.events.delivery_queue_url:
            publish_events = lambda_function("events_out")
            send_webhooks = lambda_function("webhook_sender")
            threads.append(
                _feed_events_out(
                    settings, state_dir / EVENTS_FEED_FILE, stop, lambda event: publish_events(event, None)
                )
            )
            threads.append(_feed_webhooks(settings, stop, lambda event: send_webhooks(event, None)))
        info = {
            "smtp_host": HOST,
            "smtp_port": smtp_port,
            "api_url": api_url,
            "api_port": api_port,
            "console_url": f"{api_url}/console",
            "help_center_url": f"{api_url}/help",
            "support_address": desk["support_address"],
            # Every address the desk receives for, the support address first (POSTDESK_MAILBOXES).
            "mailboxes": _mailbox_info(settings),
            "admin_email": desk["admin_email"],
            # The first sign-in in the console sets a password of their own (and, for an admin, a
            # TOTP second factor); null from then on.
            "admin_temporary_password": _admin_temporary_password(desk),
            "admin_token": desk["admin_token"],
            "state_dir": str(state_dir),
            "outbox_dir": str(outbox),
            "endpoint_url": moto_url,
            "moto_port": moto_port,
            "control_url": f"http://{HOST}:{control_port}",
            "control_port": control_port,
            "pid": os.getpid(),
            "moto_pid": moto.pid,
            "api_pid": api.pid,
            "environment": environment,
        }
        temporary = info_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(info, indent=2), encoding="utf-8")
        temporary.chmod(0o600)
        temporary.replace(info_file)
        yield LocalStack(info, state, state_dir)
    finally:
        stop.set()
        if controller is not None:
            with suppress(Exception):
                controller.stop()
        # Mail accepted is finished before the desk goes (what is left, the next start finishes).
        executor.shutdown(wait=True, cancel_futures=False)
        for thread in threads:
            thread.join(timeout=10)
        if control is not None:
            control.shutdown()
            control.server_close()
        for process in reversed(processes):
            _stop_process(process)
        info_file.unlink(missing_ok=True)
        runtime.use_clock(None)
        os.environ.clear()
        os.environ.update(saved_environment)
        reset_clients()


def _summary(info: dict[str, Any]) -> str:
    return "\n".join(
        [
            "Postdesk is running on this machine (moto stands in for AWS; nothing leaves 127.0.0.1).",
            "",
            f"  Send mail to   {', '.join(m['address'] for m in info['mailboxes'])}"
            f" via SMTP {info['smtp_host']}:{info['smtp_port']}",
            f"  Console        {info['console_url']}",
            *_admin_lines(info),
            f"  Help center    {info['help_center_url']}  (what customers read)",
            f"  API            {info['api_url']}",
            f"  Outbox         {info['outbox_dir']}  (every mail the desk sent, as .eml)",
            f"  AWS (moto)     {info['endpoint_url']}",
            "",
            f"  Its data lives in {info['state_dir']} and is kept from one start to the next",
            "  (postdesk local reset starts afresh).",
            "",
            "  postdesk local advance 24h   moves the clock (surveys, SLA timers, reminders, closes)",
            "  postdesk report --since 7d   the numbers     make demo   a story on this stack",
            "",
            "  It runs the code as it was at this start: after changing Python code, stop it and",
            "  start it again (it says so here when the code changes).",
            "",
            f"The same is in {Path(info['state_dir']) / INFO_FILE}. Ctrl-C (or SIGTERM to pid {info['pid']})"
            " stops everything.",
            "",
        ]
    )


# The code the stack's processes import at their start: the desk's, its tools' and the app's.
CODE_ROOTS = (CHECKOUT / "shared", FUNCTIONS_DIR)
CODE_CHECK_SECONDS = 2.0


def code_versions(roots: Iterable[Path] = CODE_ROOTS) -> dict[Path, int]:
    """Each Python file under ``roots`` with the time it last changed (caches left out)."""
    versions: dict[Path, int] = {}
    for root in roots:
        for path in root.rglob("*.py"):
            if "__pycache__" in path.parts or any(
                part.startswith(".") for part in path.relative_to(root).parts
            ):
                continue
            with suppress(OSError):
                versions[path] = path.stat().st_mtime_ns
    return versions


def changed_since(start: dict[Path, int], now: dict[Path, int]) -> set[Path]:
    """The files changed, added or removed between the ``start`` and the ``now`` of code_versions."""
    return {path for path in start.keys() | now.keys() if start.get(path) != now.get(path)}


def code_change_notice(files: Iterable[Path]) -> str | None:
    """What to tell whoever runs the stack when ``files`` of its code changed since it started (None
    when none did): the stack keeps running the code it started with."""
    changed = sorted(files)
    if not changed:
        return None
    named = [
        str(path.relative_to(CHECKOUT)) if path.is_relative_to(CHECKOUT) else str(path) for path in changed
    ]
    shown = ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
    return (
        f"Code changed since this start ({shown}): the desk still runs the code it started with."
        " Stop it (Ctrl-C) and start it again to use the change; its data is kept.\n"
    )


def _admin_lines(info: dict[str, Any]) -> list[str]:
    """How the first admin signs in: the email and the temporary password while it is the one to
    use, and the admin's API token."""
    password = info.get("admin_temporary_password")
    sign_in = (
        f"  Sign in as     {info['admin_email']}  temporary password {password}",
        "                 (the first sign-in sets a password of your own, then a TOTP code app)",
    )
    signed_in = (
        f"  Sign in as     {info['admin_email']}  with the password you set",
        "                 (forgot it? the sign-in page mails a reset code to the outbox)",
    )
    return [*(sign_in if password else signed_in), f"  Admin token    {info['admin_token']}  (API, scripts)"]


def quiet_empty_metrics() -> None:
    """Powertools warns when a handler published no metric (a stale timer, say): noise here."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def serve(
    state_dir: Path, smtp_port: int, api_port: int, moto_port: int, mailboxes: str | None = None
) -> int:
    """Run the stack until Ctrl-C or SIGTERM."""
    quiet_empty_metrics()
    # A plain flag, polled: a signal handler runs in the main thread between two bytecodes, and one
    # that called Event.set() while the main thread was inside Event.wait() on the same event could
    # wait for the lock the interrupted wait held, for ever (seen: a stack that never stopped).
    stop_requested = [False]

    def on_signal(signum: int, frame: Any) -> None:
        stop_requested[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with ExitStack() as running:
        try:
            stack = running.enter_context(
                local_stack(state_dir, smtp_port, api_port, moto_port=moto_port, mailboxes=mailboxes)
            )
        except RuntimeError as error:
            # Said for a person (another stack on the folder, a part that would not start): no traceback.
            sys.stderr.write(f"postdesk local: {error}\n")
            return 1
        sys.stdout.write(_summary(stack.info))
        sys.stdout.flush()
        started_with, told = code_versions(), set[Path]()
        code_checked = time.monotonic()
        while not stop_requested[0]:
            time.sleep(STOP_POLL_SECONDS)
            if time.monotonic() - code_checked >= CODE_CHECK_SECONDS:
                # Each file once: a file saved again is no news.
                changed = changed_since(started_with, code_versions())
                notice = code_change_notice(changed - told)
                if notice:
                    sys.stdout.write(notice)
                    sys.stdout.flush()
                told |= changed
                code_checked = time.monotonic()
        sys.stdout.write("Stopping…\n")
        sys.stdout.flush()
    sys.stdout.write(f"Stopped. The desk's data is kept in {state_dir}; start it again the same way.\n")
    return 0


def reset(state_dir: Path, answer: Callable[[str], str] = input, out: Any = sys.stdout) -> int:
    """Forget the local desk's data (asks first); refused while a stack runs on it."""
    info = running_stack_info(state_dir)
    if info is not None:
        out.write(
            f"postdesk local reset: a stack is running on {state_dir} (pid {info['pid']}); stop it first\n"
        )
        return 1
    if not state_dir.exists():
        out.write(f"Nothing to reset: {state_dir} does not exist.\n")
        return 0
    if answer(
        f"Delete every ticket, mail and agent of the local desk in {state_dir}? [y/N] "
    ).strip().lower() not in ("y", "yes"):
        out.write("Nothing was deleted.\n")
        return 1
    for name in ("aws", "spool", "outbox", "logs", DESK_FILE, "clock.json", INFO_FILE):
        path = state_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    out.write(f"The local desk in {state_dir} starts empty next time.\n")
    return 0


STATE_DIR_HELP = "the stack's folder (default: $POSTDESK_LOCAL_DIR, else the checkout's .postdesk)"
LOCAL_ACTIONS = """while it runs, from another shell:
  postdesk local advance 24h   move its clock (surveys, SLA timers, reminders, closes fire)
  postdesk local status        what it is doing, as JSON
and when it is stopped:
  postdesk local reset         forget its data (asks first)
each takes --state-dir DIR for a stack started with one."""


def _state_dir(given: str | None) -> Path:
    """The stack's folder: ``given``, else $POSTDESK_LOCAL_DIR, else the checkout's .postdesk."""
    return Path(given or os.environ.get("POSTDESK_LOCAL_DIR") or STATE_DIR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="postdesk local",
        description="the whole desk on this machine, in the foreground until Ctrl-C or SIGTERM",
        epilog=LOCAL_ACTIONS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--state-dir",
        default=None,
        help="where the desk's data and local.json live "
        "(default: $POSTDESK_LOCAL_DIR, else the checkout's .postdesk)",
    )
    parser.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT, help="0 for any free port")
    parser.add_argument("--api-port", type=int, default=DEFAULT_API_PORT, help="0 for any free port")
    parser.add_argument("--moto-port", type=int, default=DEFAULT_MOTO_PORT, help="0 for any free port")
    parser.add_argument(
        "--mailboxes",
        default=os.environ.get("POSTDESK_MAILBOXES"),
        help="the desk's other addresses, kept for the next starts: "
        '"billing@example.com=billing:Example Billing,help@other.example=general:Other Brand" '
        '(default: $POSTDESK_MAILBOXES, else those it has; "" for none)',
    )
    arguments = parser.parse_args(argv)
    return serve(
        _state_dir(arguments.state_dir),
        arguments.smtp_port,
        arguments.api_port,
        arguments.moto_port,
        arguments.mailboxes,
    )


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
    """``postdesk local`` (start), ``postdesk local advance 24h``, ``postdesk local status``,
    ``postdesk local reset [--yes] [--state-dir DIR]``."""
    if argv[:1] == ["reset"]:
        parser = argparse.ArgumentParser(
            prog="postdesk local reset",
            description="forget the local desk's data (asks first; not while it runs)",
        )
        parser.add_argument("--state-dir", default=None, help=STATE_DIR_HELP)
        parser.add_argument("--yes", action="store_true", help="do not ask")
        arguments = parser.parse_args(argv[1:])
        return reset(_state_dir(arguments.state_dir), (lambda _: "yes") if arguments.yes else input, out)
    if argv[:1] in (["advance"], ["status"]):
        parser = argparse.ArgumentParser(
            prog=f"postdesk local {argv[0]}",
            description="move the running stack's clock ahead; what falls due fires"
            if argv[0] == "advance"
            else "what the running stack is doing (as JSON)",
        )
        if argv[0] == "advance":
            parser.add_argument("duration", help="how far: 24h, 90m, 2d")
        parser.add_argument("--state-dir", default=None, help=STATE_DIR_HELP)
        arguments = parser.parse_args(argv[1:])
        info = running_stack_info(Path(arguments.state_dir) if arguments.state_dir else None)
        if info is None:
            out.write(
                "postdesk local: no local stack is running here (start one with `make local`; for one "
                "started with --state-dir DIR, add --state-dir DIR or set POSTDESK_LOCAL_DIR=DIR)\n"
            )
            return 1
        if argv[0] == "status":
            out.write(json.dumps(status(info), indent=2) + "\n")
            return 0
        try:
            document = advance(arguments.duration, info)
        except ValueError as error:
            out.write(f"postdesk local advance: {error}\n")
            return 1
        hours = document["offset_seconds"] / 3600
        out.write(f"The clock is {hours:g} h ahead. Fired so far: {len(document['fired'])} schedules.\n")
        for fired in document["fired"][-10:]:
            out.write(f"  {fired['name']}: {fired['result'].get('outcome')}\n")
        return 0
    return main(argv)
