"""The HMAC signing key, from Secrets Manager (the stack generates it). Never logged."""

from __future__ import annotations

import time

from postdesk.aws.clients import client

# Long enough to spare a call per message, short enough that a rotated key is picked up soon.
_CACHE_SECONDS = 300


class SecretsManagerKey:
    def __init__(self, secret_id: str, region: str) -> None:
        self._secret_id = secret_id
        self._region = region
        self._value: bytes | None = None
        self._fetched_at = 0.0

    def __call__(self) -> bytes:
        if self._value is None or time.monotonic() - self._fetched_at > _CACHE_SECONDS:
            response = client("secretsmanager", self._region).get_secret_value(SecretId=self._secret_id)
            self._value = str(response["SecretString"]).encode("utf-8")
            self._fetched_at = time.monotonic()
        return self._value

    def __repr__(self) -> str:
        return f"SecretsManagerKey({self._secret_id!r})"
