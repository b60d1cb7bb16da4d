"""Small, realistic inbound mails built in code, for tests that need one exact header or body."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

CUSTOMER = "Jane Doe <jane.doe@customer.example>"
SUPPORT = "support@example.com"


def build_mail(
    *,
    subject: str = "My order has not arrived",
    body: str = "Hello,\n\nmy order 4711 has not arrived yet. Can you check?\n\nJane",
    sender: str = CUSTOMER,
    to: str = SUPPORT,
    cc: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    # Real clients never encode a long Message-ID; at 78 columns the email package would.
    message = EmailMessage(policy=SMTP.clone(max_line_length=256))
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    # After set_content, which drops any Content-* header set before it (Content-Language).
    for name, value in (headers or {}).items():
        message[name] = value
    return message.as_bytes()


def mail_with_attachments(
    names: list[str],
    *,
    subject: str = "The files",
    body: str = "Hello, the files are attached.\n",
    message_id: str = "<files.1@customer.example>",
) -> bytes:
    """A mail from Jane with one small PDF attachment per name (each holding its own name)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = "Jane Doe <jane.doe@customer.example>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    for name in names:
        message.add_attachment(name.encode(), maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()
