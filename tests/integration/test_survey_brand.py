"""The survey page says whose survey it is: the brand of the address the customer wrote to (a desk
answers for several), in the page's title and above the question, the thanks and the "expired" page."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from chalice.test import Client

from tests.integration import test_mailboxes
from tests.integration.conftest import Desk
from tests.integration.test_mailboxes import OTHER, _last_sent, _mail_to
from tests.integration.test_survey import _fire, _resolve
from tests.integration.test_survey_page import FORM, _html

# The desk of tests/integration/test_mailboxes.py: support@ (Example Support), billing@ (Example
# Billing) and help@other.example (Other Brand).
desk = test_mailboxes.desk


def _survey_link(desk: Desk, client: Client, token: str, address: str) -> tuple[str, str]:
    ref = _mail_to(desk, address, subject="Where is my parcel?")
    _resolve(client, token, ref)
    assert _fire(desk, ref, 1) == "sent"
    text = _last_sent(desk).get_body(preferencelist=("plain",))
    assert text is not None
    link = re.findall(r"https?://\S+/survey/\S+", text.get_content())[0]
    return ref, urlsplit(link).path


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page)
    assert found is not None
    return found.group(1)


def test_the_survey_page_names_the_brand_the_customer_wrote_to(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a resolved ticket of the other brand and its survey link
    _, path = _survey_link(desk, client, token, OTHER)

    # When the customer opens it, then the page says whose survey it is, and no other brand
    page = _html(client.http.get(path))
    assert "Other Brand" in _title(page)
    assert '<p class="brand">Other Brand</p>' in page
    assert "Example Support" not in page and "Example Billing" not in page

    # And so does the thanks page after answering
    thanks = client.http.post(path, headers=FORM, body=urlencode({"rating": "5"}))
    assert thanks.status_code == 200
    assert '<p class="brand">Other Brand</p>' in _html(thanks) and "Other Brand" in _title(_html(thanks))


def test_the_page_of_a_survey_that_is_over_names_the_brand_too(
    desk: Desk, client: Client, token: str
) -> None:
    # Given a survey link of a billing ticket that was reopened since (its resolution is over)
    ref, path = _survey_link(desk, client, token, test_mailboxes.BILLING)
    _resolve(client, token, ref, status="open")

    # When the customer opens it, then the page says so under the brand they wrote to
    shown = client.http.get(path)
    assert shown.status_code == 410
    assert '<p class="brand">Example Billing</p>' in _html(shown)


def test_a_forged_link_names_no_brand(desk: Desk, client: Client) -> None:
    # A link that is not ours says nothing of whose it might be
    page = client.http.get("/survey/not-a-token")
    assert page.status_code == 403
    assert 'class="brand"' not in _html(page)
