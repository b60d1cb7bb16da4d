"""The one Logger and the one Metrics of the desk. Log lines never carry message bodies or full
addresses: code logs only masked addresses, and the formatter masks any address that slips through."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "postdesk"
NAMESPACE = "Postdesk"

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def mask_address(address: str | None) -> str:
    """``***@example.com``: enough to see which domain, not who."""
    if not address:
        return ""
    return "***@" + address.rpartition("@")[2].lower()[:100]


def mask_addresses_in(text: str) -> str:
    return _ADDRESS.sub(lambda match: "***@" + match.group(1).lower(), text)


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Masks every email address in the serialized line, whatever field it hides in."""

    def serialize(self, log: Any) -> str:
        return mask_addresses_in(super().serialize(log))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


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
