"""Quote containers in HTML mail: the client's own markup says where the history starts."""

from __future__ import annotations

import pytest

from postdesk.mail.html_text import html_to_text
from postdesk.mail.quotes import visible_reply

REPLY = "<div>Hi. I am fine.</div><div>Thanks,<br>Alex</div>"
HISTORY = "Hello! How are you?"

CONTAINERS = {
    "gmail": f'<div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:</div><blockquote>{HISTORY}'
    "</blockquote></div>",
    "apple": f'<div>On 1 Jan 2024, at 10:00, Bob wrote:</div><blockquote type="cite">{HISTORY}</blockquote>',
    "outlook_rply_fwd": f'<div id="divRplyFwdMsg"><b>From:</b> Bob</div><div>{HISTORY}</div>',
    "outlook_border": '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
    f"<p><b>From:</b> Bob</p></div><p>{HISTORY}</p>",
    "outlook_2007_border": '<div style="border:none;border-top:solid #B5C4DF 1.0pt">'
    f"<p><b>From:</b> Bob</p></div><p>{HISTORY}</p>",
    "outlook_mac": f'<div id="OLK_SRC_BODY_SECTION"><div>From: Bob</div><div>{HISTORY}</div></div>',
    "outlook_rule": f'<hr style="color:#000080" size="2"><b>From:</b> Bob<br>{HISTORY}',
    "thunderbird": '<div class="moz-cite-prefix">On 01/01/2024 10:00, Bob wrote:<br></div>'
    f"<blockquote>{HISTORY}</blockquote>",
    "yahoo": f'<div class="yahoo_quoted"><div>On Monday, Bob wrote:</div><div>{HISTORY}</div></div>',
    "hotmail": '<hr id="stopSpelling">Date: Mon, 1 Jan 2024 10:00:00 +0000<br>'
    f"From: bob@example.com<br>{HISTORY}",
}


@pytest.mark.parametrize("client", sorted(CONTAINERS))
def test_given_a_client_quote_container_when_read_then_the_reply_before_it_is_left(client: str) -> None:
    # Given an HTML reply and its plain conversion, as parse_message gives them
    html = f"<html><body>{REPLY}{CONTAINERS[client]}</body></html>"
    # When
    reply = visible_reply(html_to_text(html), html)
    # Then
    assert reply.text == "Hi. I am fine.\nThanks,\nAlex"
    assert reply.quoted is not None
    assert HISTORY in reply.quoted


def test_given_a_reply_separated_by_a_plain_rule_and_a_header_block_when_read_then_it_is_cut() -> None:
    # Given
    html = (
        "<div>Hi<div>there</div><hr><b>From: </b>bob@example.com<br><b>To: </b>x@example.net<br>"
        "<b>Sent: </b>Friday, July 22, 2011 6:20:01 PM<br><p>Hello</p></div>"
    )
    # When
    reply = visible_reply(html_to_text(html), html)
    # Then
    assert reply.text == "Hi\nthere"


def test_given_a_rule_that_separates_two_parts_of_the_reply_when_read_then_nothing_is_cut() -> None:
    # Given an <hr> that is only decoration inside the customer's own text
    html = "<p>Order 1234 is missing.</p><hr><p>Order 5678 arrived fine.</p>"
    # When
    reply = visible_reply(html_to_text(html), html)
    # Then
    assert reply.text == "Order 1234 is missing.\n\nOrder 5678 arrived fine."
    assert reply.quoted is None


def test_given_a_generic_blockquote_after_an_attribution_when_read_then_the_text_rules_cut_it() -> None:
    # Given a webmail that quotes with a bare <blockquote>, which html_to_text marks with "> "
    attribution = "01.01.2024, 10:00, Bob &lt;bob@example.com&gt;:"
    html = f"<div>{REPLY}</div><div>{attribution}</div><blockquote>{HISTORY}</blockquote>"
    # When
    reply = visible_reply(html_to_text(html), html)
    # Then
    assert reply.text == "Hi. I am fine.\nThanks,\nAlex"
