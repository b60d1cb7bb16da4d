"""Ticket references and signed reply addresses."""

from __future__ import annotations

import pytest

from postdesk.mail.addressing import ReplyAddressCheck, reply_address
from postdesk.signing import sign, verify
from postdesk.tickets.refs import ALPHABET, new_ref, normalize_ref, refs_in_subject, subject_of_matter

KEY = b"k" * 32


def test_refs_are_short_unambiguous_and_not_sequential() -> None:
    refs = [new_ref() for _ in range(2000)]
    assert len(set(refs)) == 2000
    assert all(len(ref) == 9 and ref[4] == "-" for ref in refs)
    assert not set("".join(refs).replace("-", "")) & set("01OI")
    assert set(ALPHABET) >= set("".join(refs).replace("-", ""))
    assert sorted(refs) != refs


def test_refs_are_read_back_in_any_case_and_with_or_without_the_dash() -> None:
    assert normalize_ref("k7q2-m9xd") == "K7Q2-M9XD"
    assert normalize_ref("K7Q2M9XD") == "K7Q2-M9XD"
    assert normalize_ref("K7Q2-M9X0") is None  # 0 is never in a reference
    assert refs_in_subject("Re: [#k7q2-m9xd] order and [#AAAA-BBBB]") == ["K7Q2-M9XD", "AAAA-BBBB"]


def test_signatures_verify_only_for_the_same_key_purpose_and_parts() -> None:
    signature = sign(KEY, "reply-to", "k7q2m9xd")
    assert verify(KEY, signature, "reply-to", "k7q2m9xd")
    assert verify(KEY, signature.upper(), "reply-to", "k7q2m9xd")
    assert not verify(b"other", signature, "reply-to", "k7q2m9xd")
    assert not verify(KEY, signature, "survey", "k7q2m9xd")
    assert not verify(KEY, signature, "reply-to", "k7q2m9xe")
    assert not verify(KEY, "é" * 10, "reply-to", "k7q2m9xd")


def test_reply_address_round_trip_and_forgery() -> None:
    address = reply_address("support@example.com", "K7Q2-M9XD", KEY)
    local, domain = address.split("@")
    assert domain == "example.com" and local.startswith("support+k7q2m9xd.")
    check = ReplyAddressCheck("Support@Example.com", KEY)
    assert check.find(["someone@else.example", address.upper()]) == ("K7Q2-M9XD", False)
    assert check.find(["support+k7q2m9xd.aaaaaaaaaa@example.com"]) == (None, True)
    assert check.find(["support@example.com"]) == (None, False)
    assert check.find(["sales+k7q2m9xd.aaaaaaaaaa@example.com"]) == (None, False)


@pytest.mark.parametrize(
    ("subject", "matter"),
    [
        ("Re: [#SZK4-SEEY] Wrong size", "Wrong size"),
        ("AW: RE: [#SZK4-SEEY] Re:  Wrong  size", "Wrong size"),
        ("Fwd: [#K7Q2-M9XD] Order 5521", "Order 5521"),
        ("Re[2]: Invoice", "Invoice"),
        ("Recycling and refunds", "Recycling and refunds"),
        ("[#SZK4-SEEY]", ""),
    ],
)
def test_the_subject_of_a_matter_leaves_out_what_its_thread_put_there(subject: str, matter: str) -> None:
    assert subject_of_matter(subject) == matter
