"""The one Logger and the one Metrics of the desk. Log lines never carry message bodies, subjects,
names or full addresses: code logs only references, ids, counts and masked addresses, and the
formatter masks any address that slips through. The libraries the desk calls AWS with log every
request they send at DEBUG, item and mail text included, so theirs never go below INFO, whatever
level the function's log is set to."""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
import warnings
from typing import Any, TextIO

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

SERVICE = "postdesk"
NAMESPACE = "Postdesk"

# botocore's request bodies, PynamoDB's "Calling PutItem with arguments", urllib3's and s3transfer's
# traces: all at DEBUG, all with whatever the request carries.
QUIET_LIBRARIES = ("boto3", "botocore", "charset_normalizer", "pynamodb", "s3transfer", "urllib3")
for _name in QUIET_LIBRARIES:
    _library = logging.getLogger(_name)
    _library.setLevel(max(_library.level, logging.INFO))

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def mask_address(address: str | None) -> str:
    """``***@example.com``: enough to see which domain, not who."""
    if not address:
        return ""
    return "***@" + address.rpartition("@")[2].lower()[:100]


def mask_addresses_in(text: str) -> str:
    return _ADDRESS.sub(lambda match: "***@" + match.group(1).lower(), text)


# A quoted value ('...' or "...", as repr() quotes it), and one that is a bare token: a charset, a
# transfer encoding, a header name. Only tokens are worth an operator's eye and safe to show.
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_TOKEN = re.compile(r"[A-Za-z0-9._+/-]{1,40}")


def mask_quoted_values(text: str) -> str:
    """``text`` with every quoted value that is not a bare token shown as ``'…'``: descriptions of
    broken mail (parse.py's defects) quote what the sender wrote, which may be a name or a filename."""
    return _QUOTED.sub(
        lambda match: match.group(0) if _TOKEN.fullmatch(match.group(0)[1:-1]) else "'…'", text
    )


def masked_exception(error: BaseException) -> BaseException:
    """``error`` (and the errors it was raised from) with the addresses in their messages masked.
    An exception that leaves a Lambda handler is printed by the Lambda runtime, not through the
    desk's formatter; SES's refusals name the recipients, for one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.args and all(isinstance(arg, str) for arg in current.args):
            masked = tuple(mask_addresses_in(arg) for arg in current.args)
            if masked != current.args:
                current.args = masked
        current = current.__cause__ or current.__context__
    return error


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Masks every email address in the serialized line, whatever field it hides in."""

    def serialize(self, log: Any) -> str:
        return mask_addresses_in(super().serialize(log))


class WholeLines(io.TextIOBase):
    """Standard output that reaches the stream under it in whole lines, one line at a time. The log
    handler writes a record in one call, but Powertools prints each metrics line with ``print``,
    which writes the text and its line end apart: with threads (the local stack ingests mail on
    several) lines ran into each other, and a log reader needs one JSON object per line. Each
    thread's text waits here until its line ends."""

    def __init__(self, under: TextIO) -> None:
        self._under = under
        # Re-entrant: a signal handler runs on the thread it interrupts, maybe inside write(), and
        # may print (a stop during start-up does); a plain lock would wait for itself forever.
        self._lock = threading.RLock()
        self._pending = threading.local()

    def write(self, text: str) -> int:
        pending: str = getattr(self._pending, "text", "") + text
        complete, newline, rest = pending.rpartition("\n")
        self._pending.text = rest
        if newline:
            with self._lock:
                self._under.write(complete + newline)
                self._under.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._under.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._under.isatty()

    def fileno(self) -> int:
        return self._under.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._under, "encoding", "utf-8")


if not isinstance(sys.stdout, WholeLines):
    # Before the Logger: its handler keeps the stream it is given.
    sys.stdout = WholeLines(sys.stdout)

logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())


class _OneAtATimeEMF(AmazonCloudWatchEMFProvider):
    """Powertools' EMF metrics, counted and flushed one thread at a time. A Lambda runs one
    invocation at a time; the local stack runs the ingest function on several threads of one
    process, and a flush that serialised the metrics while another thread added one cleared that
    one unprinted."""

    _lock = threading.RLock()

    def add_metric(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            super().add_metric(*args, **kwargs)

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        with self._lock:
            super().flush_metrics(raise_on_empty_metrics)

    def clear_metrics(self) -> None:
        with self._lock:
            super().clear_metrics()


metrics = Metrics(
    namespace=NAMESPACE, service=SERVICE, provider=_OneAtATimeEMF(namespace=NAMESPACE, service=SERVICE)
)
# Every invocation flushes the metrics (functions/app.py); one that counted nothing (a page view, a
# stale timer) is normal here, and the warning would be a log line per request, paid for.
warnings.filterwarnings("ignore", message="No application metrics to publish")


class PowertoolsMetrics:
    """The MetricsRecorder port over Powertools: a metric with dimensions goes out on its own, so
    its dimension (for example the reason of a suppressed acknowledgement) does not leak onto others."""

    def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None:
        with single_metric(name=name, unit=MetricUnit.Seconds, value=seconds, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            for key, value in (dimensions or {}).items():
                metric.add_dimension(name=key, value=value)

    def count(self, name: str, dimensions: dict[str, str] | None = None) -> None:
        if not dimensions:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
            return
        with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            for key, value in dimensions.items():
                metric.add_dimension(name=key, value=value)
