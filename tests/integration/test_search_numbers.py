"""A word finds its other grammatical number ("invoices" finds "invoice", "Rechnung" finds
"Rechnungen"), in the languages the desk hears most, without making short words or phrases find more."""

from __future__ import annotations

from chalice.test import Client

from postdesk.search.query import parse_query
from tests.integration.conftest import Desk
from tests.integration.test_search_spellings import _refs
from tests.mails import build_mail


def test_singular_and_plural_find_each_other(desk: Desk, client: Client, token: str) -> None:
    english = desk.deliver(build_mail(subject="Invoice charged twice", body="The city office sent it.")).ref
    plural = desk.deliver(build_mail(subject="Two refunds missing", body="Both invoices are wrong.")).ref
    german = desk.deliver(build_mail(subject="Rechnungen doppelt", body="Die Pakete kamen nie an.")).ref
    french = desk.deliver(build_mail(subject="Remboursement", body="Le colis et les deux autres.")).ref
    assert desk.index_changes() > 0

    assert _refs(client, token, "invoices ") == {english, plural}
    assert _refs(client, token, "invoice ") == {english, plural}
    assert _refs(client, token, "invoices") == {english, plural}  # still being typed
    assert _refs(client, token, "refund ") == {plural}
    assert _refs(client, token, "cities ") == {english}
    assert _refs(client, token, "Rechnung ") == {german}
    assert _refs(client, token, "paket ") == {german}
    assert _refs(client, token, "remboursements ") == {french}
    # Short words and phrases stay as typed.
    assert _refs(client, token, "les ") == {french}
    assert _refs(client, token, '"invoices are"') == {plural}
    assert _refs(client, token, '"invoice are"') == set()


def test_only_words_of_letters_take_other_forms() -> None:
    parsed = parse_query("K7Q2-M9XD less 4711 ")
    assert parsed is not None
    assert '"K7Q2 M9XD"' in parsed.match and "K7Q2 M9XDs" not in parsed.match
    assert '"4711"' in parsed.match and "4711s" not in parsed.match
    assert '"les"' not in parsed.match  # the s of a double s is no plural's
