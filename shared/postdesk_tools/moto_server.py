"""Moto as the local stack runs it: a process of its own (the desk's work and moto's use both cores),
with moto_fit's patches, and what a desk left running for a week needs that moto has not:

- **state that survives.** Every request that changes state is written to a journal before its answer
  goes back (one fsync serves every request waiting at that moment), and the whole state is written as
  a snapshot at a clean stop, after a start that replayed a long journal, and when the journal grows
  long. A start loads the last snapshot and replays the journal after it, each change under the seed it
  first ran with, so it makes the same identifiers again. A ``kill -9`` therefore loses nothing moto
  had answered.
- **an outbox.** Every mail SES is asked to send is written to the outbox folder (a file per mail, on
  disk before SES answers); moto keeps only the last few in memory.
- **due schedules.** Scheduler's one-time schedules, kept in a heap of their due times; the stack
  asks ``GET /_postdesk/due?until=<ISO time>`` for those due by its clock (moto never fires them).
- **TTL.** Items whose TTL attribute has passed, by the stack's clock, are deleted (through the
  journal) as DynamoDB's TTL deletes them; moto never does.

``python -m postdesk_tools.moto_server --state-dir .postdesk/aws --port 4566 --outbox .postdesk/outbox``
"""

from __future__ import annotations

import argparse
import copyreg
import gc
import heapq
import importlib
import io
import json
import logging
import os
import pickle
import random
import re
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from postdesk.clock import Clock, from_iso, to_iso, utc_now
from postdesk_tools import moto_fit
from postdesk_tools.local_clock import local_clock
from postdesk_tools.serving import serve_in_thread

SNAPSHOT = "snapshot.pickle"
JOURNAL_PREFIX = "journal-"
# Past this many journal records, a snapshot is taken (a start replays at most about this many).
SNAPSHOT_EVERY = 20_000
# Mails SES keeps in memory once they are in the outbox (moto's own list would grow for ever).
SENT_KEPT = 100
TTL_SWEEP_SECONDS = 30.0
# Operations that only read, by the start of their name (JSON and query protocols alike).
_READS = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "TransactGet", "Head")
# Sending mail is a side effect, not state: replayed, it would send again. The outbox holds it.
_SENDS = frozenset({"SendRawEmail", "SendEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail"})
_SESV2_SEND = re.compile(r"^/v2/email/outbound-(bulk-)?emails/?$")

log = logging.getLogger("postdesk.moto")


def _moto(module: str, name: str) -> Any:
    """A piece of moto's internals, untyped: this module patches and reads them as moto 5.2.5 has them."""
    return getattr(importlib.import_module(module), name)


# -- what a request does ------------------------------------------------------------------------------


def _operation(environ: dict[str, Any], body: bytes) -> str:
    """The API operation of a request, where its protocol names one (else '')."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    if "Action" in query:
        return query["Action"][0]
    if str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", errors="replace"))
        if "Action" in form:
            return form["Action"][0]
    return ""


def changes_state(environ: dict[str, Any], body: bytes) -> bool:
    """Whether a request to moto changes its state (and so belongs in the journal)."""
    path = str(environ.get("PATH_INFO", ""))
    if path.startswith(("/moto-api/", "/_postdesk/")):
        return False
    operation = _operation(environ, body)
    if operation in _SENDS or _SESV2_SEND.match(path):
        return False
    if operation:
        return not operation.startswith(_READS)
    return environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "OPTIONS")


# -- the journal ----------------------------------------------------------------------------------------


class Journal:
    """Requests that changed state, appended in the order moto applied them, durable before their
    answers go back. Records are numbered; a file holds those after the snapshot it starts from."""

    def __init__(self, folder: Path, next_seq: int) -> None:
        self._folder = folder
        self._condition = threading.Condition()
        # Held while the file is synced, rotated or closed (never while a record is appended).
        self._io = threading.Lock()
        self._written = self._durable = next_seq - 1
        self._file = (folder / f"{JOURNAL_PREFIX}{next_seq:012d}").open("ab")
        self._stopping = False
        self._flusher = threading.Thread(target=self._flush_forever, name="journal", daemon=True)
        self._flusher.start()

    @property
    def last(self) -> int:
        return self._written

    def append(self, record: dict[str, Any]) -> int:
        """Write one record (the caller holds the state lock); its number, to wait for."""
        with self._condition:
            self._written += 1
            data = pickle.dumps((self._written, record), protocol=pickle.HIGHEST_PROTOCOL)
            self._file.write(struct.pack(">I", len(data)) + data)
            self._condition.notify_all()
            return self._written

    def wait_durable(self, seq: int) -> None:
        with self._condition:
            while self._durable < seq and not self._stopping:
                self._condition.wait(1.0)

    def _flush_forever(self) -> None:
        while True:
            with self._condition:
                while self._written == self._durable and not self._stopping:
                    self._condition.wait(1.0)
                if self._stopping and self._written == self._durable:
                    return
                target = self._written
            with self._io:
                self._file.flush()
                os.fsync(self._file.fileno())
            with self._condition:
                self._durable = max(self._durable, target)
                self._condition.notify_all()

    def rotate(self, next_seq: int) -> None:
        """Start a new file for the records from ``next_seq`` on (the caller holds the state lock)."""
        with self._io, self._condition:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._durable = self._written
            self._file.close()
            self._file = (self._folder / f"{JOURNAL_PREFIX}{next_seq:012d}").open("ab")
            self._condition.notify_all()

    def close(self) -> None:
        with self._io, self._condition:
            self._stopping = True
            self._file.flush()
            os.fsync(self._file.fileno())
            self._durable = self._written
            self._condition.notify_all()
        self._flusher.join(timeout=5)
        with self._io:
            self._file.close()


def read_journal(folder: Path, after: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records after number ``after``, in order; a record cut short by a crash ends a file."""
    for path in sorted(folder.glob(f"{JOURNAL_PREFIX}*")):
        with path.open("rb") as stream:
            while True:
                head = stream.read(4)
                if len(head) < 4:
                    break
                data = stream.read(struct.unpack(">I", head)[0])
                try:
                    seq, record = pickle.loads(data)  # noqa: S301 - the stack's own journal
                except (EOFError, pickle.UnpicklingError, ValueError):
                    log.warning("journal record cut short; the rest of %s is ignored", path.name)
                    break
                if seq > after:
                    yield seq, record


# -- snapshots ------------------------------------------------------------------------------------------


def _reduce_lock(lock: Any) -> tuple[Callable[[], Any], tuple[()]]:
    # Some backends hold locks (SQS queues): a snapshot holds a fresh, unlocked one in their place.
    return (threading.RLock if "RLock" in type(lock).__name__ else threading.Lock), ()


copyreg.pickle(type(threading.RLock()), _reduce_lock)
copyreg.pickle(type(threading.Lock()), _reduce_lock)


def _reduce_rsa_private_key(key: rsa.RSAPrivateKey) -> tuple[Callable[[bytes], Any], tuple[bytes]]:
    # A user pool's signing key (its json_web_key) holds cryptography's RSA key, which does not
    # pickle, once the pool signed its first token (a sign-in): a snapshot holds its DER bytes.
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return moto_fit.rsa_private_key_from_der, (der,)


def _reduce_rsa_public_key(key: rsa.RSAPublicKey) -> tuple[Callable[[bytes], Any], tuple[bytes]]:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return moto_fit.rsa_public_key_from_der, (der,)


# cryptography's key classes are not importable by name: their types are taken from a key.
_SAMPLE_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
copyreg.pickle(type(_SAMPLE_RSA_KEY), _reduce_rsa_private_key)
copyreg.pickle(type(_SAMPLE_RSA_KEY.public_key()), _reduce_rsa_public_key)


def _backend_dicts() -> list[Any]:
    return list(_moto("moto.core.base_backend", "BackendDict")._instances)


def snapshot_state() -> dict[str, Any]:
    """Every backend moto made so far: service -> account -> region -> backend."""
    state: dict[str, Any] = {}
    for backends in _backend_dicts():
        accounts = {account: dict(regions.items()) for account, regions in backends.items()}
        if accounts:
            state[backends.service_name] = accounts
    return state


def restore_state(state: dict[str, Any]) -> None:
    get_backend = _moto("moto.backends", "get_backend")
    for service, accounts in state.items():
        backends = get_backend(service)
        for account, regions in accounts.items():
            for region, backend in regions.items():
                backends[account][region] = backend


def write_snapshot(folder: Path, seq: int) -> int:
    """Write the whole state, as of journal record ``seq``, atomically; its size in bytes."""
    temporary = folder / (SNAPSHOT + ".tmp")
    with temporary.open("wb") as stream:
        pickle.dump({"seq": seq, "state": snapshot_state()}, stream, protocol=pickle.HIGHEST_PROTOCOL)
        stream.flush()
        os.fsync(stream.fileno())
    temporary.replace(folder / SNAPSHOT)
    size = (folder / SNAPSHOT).stat().st_size
    for old in folder.glob(f"{JOURNAL_PREFIX}*"):
        if int(old.name.removeprefix(JOURNAL_PREFIX)) <= seq:
            old.unlink()
    return size


def read_snapshot(folder: Path) -> int:
    """Load the last snapshot into moto; the number of the last journal record it holds (0: none)."""
    path = folder / SNAPSHOT
    if not path.exists():
        return 0
    with path.open("rb") as stream:
        loaded = pickle.load(stream)  # noqa: S301 - the stack's own file, in its own folder
    restore_state(loaded["state"])
    return int(loaded["seq"])


# -- replaying the same identifiers ------------------------------------------------------------------

# Moto draws every identifier it makes (a secret's ARN suffix, an SES message id) from one seeded
# generator. Each change is journaled with the seed it ran under, so its replay makes the same ones:
# the desk's settings name its secret by ARN.
_FRESH_SEEDS = random.SystemRandom()


def _draw_as_before(seed: int | None) -> None:
    if seed is not None:
        _moto("moto.moto_api._internal", "mock_random").seed(seed)


# -- due schedules ------------------------------------------------------------------------------------


class DueSchedules:
    """The one-time schedules by due time. Fed by moto's Scheduler backend as schedules are made; a
    schedule deleted or changed since is dropped when it comes up."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, str, str, str, str]] = []
        self._lock = threading.Lock()

    def add(self, account: str, region: str, group: str, name: str, expression: str) -> None:
        from postdesk.aws.scheduler import InvalidSchedule, validate_at_expression

        try:
            at = validate_at_expression(expression)
        except InvalidSchedule:
            return
        with self._lock:
            heapq.heappush(self._heap, (at, account, region, group, name))

    def due(self, until: datetime, limit: int = 100) -> list[dict[str, Any]]:
        """The schedules due by ``until`` that still exist, oldest first (they stay until deleted)."""
        scheduler_backends = _moto("moto.scheduler.models", "scheduler_backends")
        found: list[dict[str, Any]] = []
        with self._lock:
            kept: list[tuple[datetime, str, str, str, str]] = []
            while self._heap and self._heap[0][0] <= until and len(found) < limit:
                entry = heapq.heappop(self._heap)
                at, account, region, group, name = entry
                schedule = scheduler_backends[account][region].schedule_groups.get(group)
                current = schedule.schedules.get(name) if schedule is not None else None
                if current is None or current.schedule_expression != f"at({at:%Y-%m-%dT%H:%M:%S})":
                    continue
                kept.append(entry)
                found.append(
                    {
                        "name": name,
                        "group": group,
                        "at": to_iso(at),
                        "target_arn": current.target["Arn"],
                        "input": current.target.get("Input") or "{}",
                    }
                )
            for entry in kept:
                heapq.heappush(self._heap, entry)
        return found

    def watch(self) -> None:
        """Feed the heap from moto's Scheduler: what exists now, and every schedule made from now on."""
        backend_class = _moto("moto.scheduler.models", "EventBridgeSchedulerBackend")
        scheduler_backends = _moto("moto.scheduler.models", "scheduler_backends")
        for account, region, backend in scheduler_backends.iter_backends():
            for group in backend.schedule_groups.values():
                for schedule in group.schedules.values():
                    self.add(account, region, group.name, schedule.name, schedule.schedule_expression)
        due = self

        def adding_the_schedule(write: Callable[..., Any]) -> Callable[..., Any]:
            def write_and_add(backend: Any, *args: Any, **kwargs: Any) -> Any:
                schedule = write(backend, *args, **kwargs)
                due.add(
                    backend.account_id,
                    backend.region_name,
                    schedule.group_name,
                    schedule.name,
                    schedule.schedule_expression,
                )
                return schedule

            return write_and_add

        backend_class.create_schedule = adding_the_schedule(backend_class.create_schedule)
        backend_class.update_schedule = adding_the_schedule(backend_class.update_schedule)


# -- the outbox ------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "mail"


def write_to_outbox(outbox: Path) -> None:
    """Every mail SES sends is written to ``outbox`` (on disk before SES answers); moto keeps the last
    ``SENT_KEPT`` in memory."""
    from email.parser import Parser

    ses_backend = _moto("moto.ses.models", "SESBackend")
    outbox.mkdir(parents=True, exist_ok=True)
    send = ses_backend.send_raw_email
    # The outbox outlives a restart: its numbers go on from the mails already in it, so that they
    # keep telling the order mails were sent in.
    counter = {"n": sum(1 for _ in outbox.glob("*.eml"))}
    lock = threading.Lock()

    def send_raw_email(backend: Any, source: str, destinations: list[str], raw_data: str) -> Any:
        message = send(backend, source, destinations, raw_data)
        subject = str(Parser().parsestr(raw_data, headersonly=True).get("Subject", ""))
        with lock:
            counter["n"] += 1
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{counter['n']:04d}-{_slug(subject)}.eml"
        path = outbox / name
        with path.open("wb") as stream:
            stream.write(raw_data.encode("utf-8", errors="surrogateescape"))
            stream.flush()
            os.fsync(stream.fileno())
        del backend.sent_messages[:-SENT_KEPT]
        return message

    ses_backend.send_raw_email = send_raw_email


# -- the server ------------------------------------------------------------------------------------------


class PersistentMoto:
    """Moto's WSGI application behind the journal (a WSGI middleware) and the stack's own endpoints."""

    def __init__(self, state_dir: Path, clock: Clock, outbox: Path | None = None) -> None:
        dispatcher = _moto("moto.moto_server.werkzeug_app", "DomainDispatcherApplication")
        create_backend_app = _moto("moto.moto_server.werkzeug_app", "create_backend_app")
        self.state_dir = state_dir
        self.clock = clock
        self.app = dispatcher(create_backend_app)
        self.state_lock = threading.Lock()
        self.due = DueSchedules()
        started = time.monotonic()
        # Loading makes millions of objects and frees none: a collection meanwhile only walks them.
        # Frozen afterwards, they are left out of every later collection too.
        gc.disable()
        try:
            self.snapshot_seq = read_snapshot(state_dir)
            replayed = self._replay(read_journal(state_dir, self.snapshot_seq))
        finally:
            gc.freeze()
            gc.enable()
        self.journal = Journal(state_dir, self.snapshot_seq + replayed + 1)
        self.due.watch()
        # After the replay: a mail sent before the restart is in the outbox already.
        if outbox is not None:
            write_to_outbox(outbox)
        if replayed > SNAPSHOT_EVERY // 10:
            self.snapshot()
        log.info(
            "moto state loaded",
            extra={"replayed": replayed, "seconds": round(time.monotonic() - started, 2)},
        )

    def _replay(self, records: Iterable[tuple[int, dict[str, Any]]]) -> int:
        from werkzeug.test import EnvironBuilder

        count = 0
        for _, record in records:
            builder = EnvironBuilder(
                path=record["path"],
                method=record["method"],
                query_string=record["query"],
                headers=list(record["headers"].items()),
                data=record["body"],
            )
            environ = builder.get_environ()
            builder.close()
            _draw_as_before(record.get("seed"))
            # Each was answered with success once, at "at"; a TOTP code in it has expired since.
            with moto_fit.replaying(record.get("at")):
                for _ in self.app(environ, lambda status, headers, exc_info=None: lambda data: None):
                    pass
            count += 1
        return count

    def snapshot(self) -> int:
        """Write the whole state now (mutations wait meanwhile); the snapshot's size in bytes."""
        with self.state_lock:
            seq = self.journal.last
            self.journal.rotate(seq + 1)
            size = write_snapshot(self.state_dir, seq)
            self.snapshot_seq = seq
        return size

    def sweep_expired(self) -> int:
        """Delete the items whose TTL passed by the stack's clock; how many."""
        dynamodb_backends = _moto("moto.dynamodb.models", "dynamodb_backends")
        now = int(self.clock().timestamp())
        with self.state_lock:
            doomed = list(_expired_items(dynamodb_backends, now))
        for entry in doomed:
            body = json.dumps(
                {
                    "TableName": entry["table"],
                    "Key": entry["key"],
                    "ConditionExpression": "#ttl <= :now",
                    "ExpressionAttributeNames": {"#ttl": entry["attribute"]},
                    "ExpressionAttributeValues": {":now": {"N": str(now)}},
                }
            ).encode()
            self.call_self(
                "POST",
                "/",
                body,
                {
                    "Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": "DynamoDB_20120810.DeleteItem",
                    "Authorization": _authorization("dynamodb", entry["region"]),
                },
            )
        return len(doomed)

    def call_self(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> int:
        """A request of the stack's own (a TTL deletion) through the journal, as a client's would go."""
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(path=path, method=method, headers=list(headers.items()), data=body)
        environ = builder.get_environ()
        builder.close()
        statuses: list[str] = []

        def start(
            status: str, _headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            statuses.append(status)
            return lambda data: None

        for _ in self(environ, start):
            pass
        return int(statuses[0].split()[0]) if statuses else 500

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/_postdesk/"):
            return self._own(environ, start_response)
        body = _read_body(environ)
        if not changes_state(environ, body):
            # Moto's backends are not safe against a change made while they are read: one at a time.
            with self.state_lock:
                status, headers, chunks = _run(self.app, environ)
            start_response(status, headers)
            return chunks
        record = {
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": str(environ.get("QUERY_STRING", "")),
            "headers": _headers(environ),
            "body": body,
            "seed": _FRESH_SEEDS.getrandbits(64),
            # When it was answered: a replay reissues Cognito's tokens with the same times.
            "at": time.time(),
        }
        with self.state_lock:
            _draw_as_before(record["seed"])
            status, headers, chunks = _run(self.app, environ)
            seq = self.journal.append(record) if int(status.split()[0]) < 400 else 0
        if seq:
            self.journal.wait_durable(seq)
            if seq - self.snapshot_seq >= SNAPSHOT_EVERY:
                threading.Thread(target=self.snapshot, name="snapshot", daemon=True).start()
        start_response(status, headers)
        return chunks

    def _own(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        if path == "/_postdesk/due":
            until = from_iso(query.get("until", [to_iso(self.clock())])[0])
            with self.state_lock:
                document: Any = {"due": self.due.due(until, int(query.get("limit", ["100"])[0]))}
        elif path == "/_postdesk/snapshot" and environ.get("REQUEST_METHOD") == "POST":
            document = {"bytes": self.snapshot(), "seq": self.snapshot_seq}
        elif path == "/_postdesk/sweep" and environ.get("REQUEST_METHOD") == "POST":
            document = {"deleted": self.sweep_expired()}
        elif path == "/_postdesk/health":
            document = {"seq": self.journal.last, "snapshot_seq": self.snapshot_seq}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "NotFound"}']
        data = json.dumps(document).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def _expired_items(backends: Any, now: int) -> Iterator[dict[str, Any]]:
    """Every item of a table with TTL on whose TTL attribute is at or before ``now``."""
    for _, region, backend in backends.iter_backends():
        for table in list(backend.tables.values()):
            ttl = getattr(table, "ttl", None) or {}
            attribute = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None
            if not attribute:
                continue
            for item in table.all_items():
                value = item.attrs.get(attribute)
                if value is None or value.type != "N" or float(value.value) > now:
                    continue
                key = {table.hash_key_attr: item.hash_key.to_json()}
                if table.range_key_attr:
                    key[table.range_key_attr] = item.range_key.to_json()
                yield {"region": region, "table": table.name, "key": key, "attribute": attribute}


def _authorization(service: str, region: str) -> str:
    # Moto reads the service and region from the credential scope; the signature is not checked.
    day = datetime.now(UTC).strftime("%Y%m%d")
    return (
        f"AWS4-HMAC-SHA256 Credential=local/{day}/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        body: bytes = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        # A chunked body, which the server undoes: read to its end.
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True
    return body


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = str(environ["CONTENT_TYPE"])
    return headers


def _run(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """Run ``app`` to the end (its answer is sent only once the journal holds the request)."""
    answer: dict[str, Any] = {}

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        answer["status"], answer["headers"] = status, headers
        return lambda data: None

    result = app(environ, start)
    try:
        chunks = [bytes(chunk) for chunk in result]
    finally:
        if hasattr(result, "close"):
            result.close()
    return answer["status"], answer["headers"], chunks


def serve(state_dir: Path, host: str, port: int, outbox: Path | None) -> int:
    """Load the state, serve until SIGTERM or SIGINT, write a snapshot, stop."""
    from werkzeug.serving import make_server

    moto_fit.apply()
    state_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    clock = local_clock() or utc_now
    desk = PersistentMoto(state_dir, clock, outbox)
    server = make_server(host, port, desk, threaded=True)
    stopping = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = serve_in_thread(server, "moto")
    sys.stdout.write(f"moto listening on http://{host}:{server.server_address[1]}\n")
    sys.stdout.flush()
    while not stopping.wait(TTL_SWEEP_SECONDS):
        try:
            desk.sweep_expired()
        except Exception:
            log.exception("TTL sweep failed")
    server.shutdown()
    thread.join(timeout=10)
    desk.snapshot()
    desk.journal.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m postdesk_tools.moto_server")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--outbox")
    arguments = parser.parse_args(argv)
    return serve(
        Path(arguments.state_dir),
        arguments.host,
        arguments.port,
        Path(arguments.outbox) if arguments.outbox else None,
    )


if __name__ == "__main__":
    raise SystemExit(main())
