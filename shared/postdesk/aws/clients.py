"""boto3 clients made on first use and kept for the life of the process (a Lambda container)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling, which SES and S3 do under load.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def client(service: str, region: str) -> Any:
    """A client for ``service``; AWS_ENDPOINT_URL (the local stack, moto) is honoured by boto3."""
    return boto3.session.Session().client(service, region_name=region, config=_CONFIG)


def reset_clients() -> None:
    """Forget every client, DynamoDB's shared connection included (tests start a new moto context
    per test; the local stack a new moto server)."""
    from postdesk.aws.dynamodb import forget_connections

    client.cache_clear()
    forget_connections()
