"""postdesk_tools/totp.py computes the codes RFC 6238 says it should, and checks them with a step of
slack either side and no more."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from postdesk_tools.totp import InvalidSecret, code_matches, secret_bytes, time_step, totp_code

# RFC 6238 appendix B: the SHA-1 key is the ASCII text "12345678901234567890", codes of 8 digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("seconds", "expected"), RFC_VECTORS)
def test_rfc_6238_vectors(seconds: int, expected: str) -> None:
    assert totp_code(RFC_SECRET, seconds, digits=8) == expected


def test_a_datetime_is_the_same_moment_as_its_unix_seconds() -> None:
    moment = datetime.fromtimestamp(1111111109, tz=UTC)
    assert totp_code(RFC_SECRET, moment, digits=8) == "07081804"
    # Six digits are the last six of the eight (the same number, modulo 10**6).
    assert totp_code(RFC_SECRET, moment) == "081804"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        totp_code(RFC_SECRET, datetime(2026, 1, 1))


def test_secret_text_is_read_as_authenticator_apps_read_it() -> None:
    spaced = " ".join(RFC_SECRET[i : i + 4] for i in range(0, len(RFC_SECRET), 4)).lower()
    assert secret_bytes(spaced) == b"12345678901234567890"
    # Cognito's secrets are 32 base32 characters without padding; shorter ones get padded.
    assert secret_bytes("MZXW6") == b"foo"
    with pytest.raises(InvalidSecret):
        secret_bytes("not base32 at all!")
    with pytest.raises(InvalidSecret):
        secret_bytes("   ")


def test_the_code_changes_every_thirty_seconds() -> None:
    assert time_step(59) == 1
    assert time_step(60) == 2
    assert totp_code(RFC_SECRET, 60) == totp_code(RFC_SECRET, 89)
    assert totp_code(RFC_SECRET, 60) != totp_code(RFC_SECRET, 90)


def test_a_code_is_accepted_one_step_either_side_and_no_further() -> None:
    now = 1_800_000_015.0
    for offset, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        code = totp_code(RFC_SECRET, now + offset)
        assert code_matches(RFC_SECRET, code, now) is accepted, offset
    assert code_matches(RFC_SECRET, totp_code(RFC_SECRET, now + 60), now, steps_either_side=2)


def test_malformed_codes_never_match() -> None:
    now = 1_800_000_015.0
    code = totp_code(RFC_SECRET, now)
    assert code_matches(RFC_SECRET, f" {code} ", now)
    for wrong in ("", code[:5], code + "0", "abcdef", str((int(code) + 1) % 10**6).zfill(6)):
        assert not code_matches(RFC_SECRET, wrong, now), wrong
