"""The visible reply of a mail: what the customer just wrote, apart from quoted history and signature.

A false cut loses customer text, a missed cut only shows some history twice, so every rule here errs
towards keeping: text is only cut at a recognisable quote header, an Outlook header block, an
"original message" separator, ``>``-quoted lines or a known HTML quote container, and a mail that would
be left empty by the cut is returned whole. Every pattern runs on one line or on a window of at most a
few short lines, so the work grows linearly with the size of the mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

from postdesk.mail.html_text import html_to_text


@dataclass(frozen=True, slots=True)
class VisibleReply:
    """One mail split into the new text, the quoted history and the signature that were removed, and,
    for a forward, the forwarded part (kept: it is often the actual request) with its marker line."""

    text: str
    quoted: str | None = None
    signature: str | None = None
    forwarded: str | None = None
    forward_marker: str | None = None

    @property
    def text_with_forward(self) -> str:
        """The new text followed by the forward marker and the forwarded part, as a reader sees them."""
        if self.forwarded is None:
            return self.text
        forward = "\n".join(part for part in (self.forward_marker, self.forwarded) if part)
        return f"{self.text}\n\n{forward}" if self.text else forward


# -- vocabulary ---------------------------------------------------------------------------------

# Words that open an attribution line ("On <date>, <name> wrote:") in the supported languages.
_ATTRIBUTION_START: Final = re.compile(
    r"(?:on|am|le|el|il(?: giorno)?|op|em|no|den|på|pe|w dniu|dnia|в|у|vào|quoting|zitat von|citando"
    r"|在|於)(?=[\s\d])",
    re.IGNORECASE,
)
# Verbs that close it.
_ATTRIBUTION_VERB: Final = (
    r"(?:wrote|sent|writes|schrieb|schrieben|a écrit|a ecrit|écrit|escribió|escribio|ha escrito"
    r"|ha scritto|scrisse|schreef|het volgende geschreven|geschreven|escreveu|napisał\(a\)|napisała"
    r"|napisał|skrev følgende|skrev|kirjoitti|написал\(а\)|написала|написал|пишет|написав|пише"
    r"|đã viết|写道|寫道|書きました|のメッセージ)"
)
_ENDS_WITH_VERB: Final = re.compile(_ATTRIBUTION_VERB + r"\s*[:：]?[\s\-]*$", re.IGNORECASE)
_HAS_VERB: Final = re.compile(r"(?:^|\s)" + _ATTRIBUTION_VERB + r"(?=\s|$|[:：])", re.IGNORECASE)
_ENDS_WITH_ADDRESS_COLON: Final = re.compile(r"[>)\]]\s*[:：]$")
_TIME_OR_YEAR: Final = re.compile(r"\d{1,2}\s*[:.h]\s*\d{2}|\b(?:19|20)\d{2}\b|\d{4}\s*年")
_DIGIT: Final = re.compile(r"\d")
_LEADING_DECORATION: Final = re.compile(r"^[\s\-*_]+")
_STARTS_WITH_DASHES: Final = re.compile(r"^\s*-{2,}")

# Longest attribution that is still a header and not a paragraph that happens to end in "wrote:".
_MAX_ATTRIBUTION_CHARS: Final = 320
_MAX_ATTRIBUTION_LINES: Final = 5

# Header names of a forwarded or quoted message block, by what they say.
_FROM_NAMES: Final = (
    "from", "von", "de", "da", "van", "od", "från", "fra", "lähettäjä", "от", "від", "差出人",
    "发件人", "發件人", "寄件者", "寄件人", "từ", "afzender",
)  # fmt: skip
_DATE_NAMES: Final = (
    "sent", "date", "gesendet", "datum", "envoyé", "envoye", "enviado", "enviada", "fecha", "inviato",
    "data", "verzonden", "verstuurd", "wysłano", "wysłane", "skickat", "sendt", "dato", "lähetetty",
    "päivämäärä", "отправлено", "дата", "надіслано", "送信日時", "日付", "发送时间", "發送時間",
    "日期", "时间", "已发送", "đã gửi", "ngày",
)  # fmt: skip
_TO_NAMES: Final = (
    "to", "an", "à", "a", "para", "aan", "do", "till", "til", "vastaanottaja", "кому", "宛先",
    "收件人", "收件者", "đến", "cc", "kopie", "kopia", "kopi", "kopio", "копия", "копія", "抄送", "dw",
)  # fmt: skip
_SUBJECT_NAMES: Final = (
    "subject", "betreff", "objet", "asunto", "oggetto", "onderwerp", "assunto", "temat", "ämne",
    "emne", "aihe", "тема", "件名", "主题", "主題", "chủ đề",
)  # fmt: skip


def _names(names: tuple[str, ...]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


_HEADER_FIELD: Final = re.compile(
    r"^\s*[*_]{0,2}(?:(?P<from>"
    + _names(_FROM_NAMES)
    + r")|(?P<date>"
    + _names(_DATE_NAMES)
    + r")|(?P<to>"
    + _names(_TO_NAMES)
    + r")|(?P<subject>"
    + _names(_SUBJECT_NAMES)
    + r"))\s*[*_]{0,2}\s*[:：]",
    re.IGNORECASE,
)
_EMAIL_OR_TIME: Final = re.compile(r"@|\d{1,2}\s*:\s*\d{2}")
_INVISIBLE_MARKS: Final = dict.fromkeys(map(ord, "\u200e\u200f\u200b\u2060\ufeff"))

# "-----Original Message-----" and its translations.
_ORIGINAL_MESSAGE: Final = re.compile(
    r"^\s*[-=_*]{2,}\s*(?:original message|reply message|original|ursprüngliche nachricht"
    r"|antwort nachricht|originalnachricht|message d'origine|message original|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht|origineel bericht|oorspronkelijk bericht"
    r"|mensagem original|wiadomość oryginalna|oryginalna wiadomość|ursprungligt meddelande"
    r"|originalmeddelande|oprindelig meddelelse|opprinnelig melding|original melding"
    r"|alkuperäinen viesti|исходное сообщение|оригинальное сообщение|вихідне повідомлення"
    r"|оригінальне повідомлення|元のメッセージ|原始邮件|原始郵件|原邮件)\s*[-=_*]{2,}\s*$",
    re.IGNORECASE,
)
# A line made only of rule characters, as Outlook and others put above the quoted header block.
_RULE_LINE: Final = re.compile(r"^\s*[-_=*]{5,}\s*$")

_FORWARD_MARKER: Final = re.compile(
    r"^\s*[-=_*]*\s*(?:forwarded message|forwarded message follows|begin forwarded message"
    r"|weitergeleitete nachricht|anfang der weitergeleiteten nachricht|message transféré"
    r"|début du message réexpédié|début du message transféré|mensaje reenviado"
    r"|inicio del mensaje reenviado|messaggio inoltrato|inizio messaggio inoltrato"
    r"|doorgestuurd bericht|begin doorgestuurd bericht|mensagem encaminhada"
    r"|início da mensagem encaminhada|wiadomość przekazana dalej|przekazana wiadomość"
    r"|początek przekazywanej wiadomości|vidarebefordrat meddelande|vidarebefordrat brev"
    r"|videresendt meddelelse|videresendt besked|start på videresendt besked|videresendt melding"
    r"|välitetty viesti|пересылаемое сообщение|пересланное сообщение|пересланий лист"
    r"|переслане повідомлення|転送メッセージ|转发的邮件|轉寄的郵件|转发邮件)\s*[:：]?\s*[-=_*]*\s*$",
    re.IGNORECASE,
)

_QUOTED_LINE: Final = re.compile(r"^[ \t]*>")
# ">>> >>> http://example.com <<<": arrows drawn around a link, not quoted text.
_ARROW_DECORATION: Final = re.compile(r"^[ \t]*>[>\s]*[^>\s].*<<+\s*$")
# A wrapped link inside a quoted block that lost its ">" ("_nonce=3dd518)", "(http://x/c/Yz) >").
_BROKEN_LINK_PIECE: Final = re.compile(r"(?:https?://|www\.)\S*|^\S*[=_/]\S*\)\s*$|>\s*$")

# -- signatures ---------------------------------------------------------------------------------

_SIGNATURE_DELIMITER: Final = re.compile(r"^--\s?$|^-- \S.{0,40}$")
_LIST_FOOTER_RULE: Final = re.compile(r"^_{5,}\s*$")
# "-Abhishek Kona": a name signed with a dash, only when it is among the last lines.
_DASH_NAME: Final = re.compile(r"^-[^\s\-][^\n]{0,40}$")
_DEVICE: Final = r"[\w'’®&.+\- ]{1,50}"
_MOBILE_SIGNATURE: Final = re.compile(
    r"^\s*(?:"
    r"(?:sent|sent from|sent with|sent via|sent using) (?:my )?"
    + _DEVICE
    + r"|get outlook for "
    + _DEVICE
    + r"|von meinem "
    + _DEVICE
    + r" gesendet|gesendet (?:von|mit|aus) (?:meinem |der |dem )?"
    + _DEVICE
    + r"|envoyé (?:de|depuis|à partir de) (?:mon )?"
    + _DEVICE
    + r"|obtenir outlook pour "
    + _DEVICE
    + r"|enviado (?:desde|do|de|a partir do) (?:mi |meu |o meu )?"
    + _DEVICE
    + r"|obtener outlook para "
    + _DEVICE
    + r"|inviato (?:da|dal|dal mio|con) "
    + _DEVICE
    + r"|(?:verzonden|verstuurd) (?:met|vanaf|van) (?:mijn )?"
    + _DEVICE
    + r"|(?:wysłane|wysłano) (?:z|ze) (?:mojego )?"
    + _DEVICE
    + r"|skickat från (?:min )?"
    + _DEVICE
    + r"|sendt fra (?:min )?"
    + _DEVICE
    + r"|lähetetty "
    + _DEVICE
    + r"|(?:отправлено|надіслано|відправлено|послано) (?:с|з|со|із) (?:моего |мого )?"
    + _DEVICE
    + r"|"
    + _DEVICE
    + r"から送信|(?:从|發自|发自|来自)(?:我的)?\s?"
    + _DEVICE
    + r"(?:发送|傳送)?"
    r")(?:\s*[<(]https?://[^\s>)]{1,200}[>)])?\s*$",
    re.IGNORECASE,
)
# A plain "-- " signature longer than this is more likely a separator inside the text.
_MAX_SIGNATURE_LINES: Final = 30
_MAX_MOBILE_TAIL_LINES: Final = 3


@dataclass(slots=True)
class _Header:
    """A recognised quote start: the lines it spans and what follows it."""

    start: int
    end: int
    cuts_to_end: bool
    kept_prefix: str = ""


# -- plain text ---------------------------------------------------------------------------------


def _window(lines: list[str], first: int, last: int) -> str:
    """Lines ``first..last`` joined into one line; quoted-printable soft breaks left in by broken
    mailers ("w=" + "rote:") are joined without a space."""
    pieces: list[str] = []
    for line in lines[first : last + 1]:
        stripped = line.strip()
        if pieces and pieces[-1].endswith("="):
            pieces[-1] = pieces[-1][:-1] + stripped
        elif stripped:
            pieces.append(stripped)
    return " ".join(pieces)


def _ends_like_attribution(line: str) -> bool:
    """A cheap first look, so that the windows are only tried on lines that could close a header."""
    if line.endswith((":", "：", ">", ")", "-")):
        return True
    return _ENDS_WITH_VERB.search(line[-40:]) is not None


def _starts_like_attribution(text: str) -> bool:
    return _ATTRIBUTION_START.match(_LEADING_DECORATION.sub("", text)) is not None


def _is_attribution(window: str, *, before_quote: bool) -> bool:
    """Whether one (joined) window reads as the line a mailer puts above the quoted message."""
    if not window or len(window) > _MAX_ATTRIBUTION_CHARS:
        return False
    has_digit = _DIGIT.search(window) is not None
    dashed = _STARTS_WITH_DASHES.match(window) is not None
    if _ENDS_WITH_VERB.search(window):
        if has_digit and (_starts_like_attribution(window) or dashed or window[0].isdigit() or "@" in window):
            return True
        if before_quote and (dashed or "@" in window or has_digit):
            return True
    attributed = window.endswith((":", "：")) and _HAS_VERB.search(window) is not None
    if attributed and has_digit and _starts_like_attribution(window):
        return True
    if "@" in window and _TIME_OR_YEAR.search(window):
        if _ENDS_WITH_ADDRESS_COLON.search(window):
            return True
        if before_quote and window.endswith((">", ")")):
            return True
    return False


def _next_content_line(lines: list[str], index: int) -> int | None:
    for position in range(index, len(lines)):
        if lines[position].strip():
            return position
    return None


def _attribution_at(lines: list[str], last: int) -> _Header | None:
    """An attribution that ends on line ``last``: the smallest window that reads as one, widened to
    the window that starts with an attribution word when the smallest one does not."""
    line = lines[last].strip()
    if not line or len(line) > _MAX_ATTRIBUTION_CHARS or not _ends_like_attribution(line):
        return None
    following = _next_content_line(lines, last + 1)
    before_quote = following is not None and _QUOTED_LINE.match(lines[following]) is not None
    if before_quote and not _starts_like_attribution(line) and not line[0].isdigit():
        shared_line = _attribution_inside_line(lines[last], last)
        if shared_line is not None:
            return shared_line
    matches: list[int] = []
    first = last
    taken = 0
    while first >= 0 and taken < _MAX_ATTRIBUTION_LINES:
        if lines[first].strip():
            taken += 1
            if first != last and _QUOTED_LINE.match(lines[first]):
                break
            window = _window(lines, first, last)
            if len(window) > _MAX_ATTRIBUTION_CHARS:
                break
            if _is_attribution(window, before_quote=before_quote):
                matches.append(first)
        elif first != last and taken > 1 and not lines[first + 1].strip().startswith("<"):
            # A blank line ends an attribution, except Polymail's, which wraps the address alone.
            break
        first -= 1
    if matches:
        strong = [start for start in matches if _starts_like_attribution(lines[start].strip())]
        smallest_is_strong = _starts_like_attribution(lines[matches[0]].strip())
        start = matches[0] if smallest_is_strong or not strong else strong[0]
        return _Header(start, last + 1, cuts_to_end=not before_quote)
    return None


def _attribution_inside_line(line: str, index: int) -> _Header | None:
    """ "reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:" above a quote: the reply and
    the attribution share a line."""
    if not _ENDS_WITH_VERB.search(line):
        return None
    for match in re.finditer(r"(?<=[\s\-])(?=\S)", line):
        candidate = line[match.start() :].strip()
        if _ATTRIBUTION_START.match(candidate) and _is_attribution(candidate, before_quote=True):
            prefix = line[: match.start()].rstrip(" -")
            if prefix.strip():
                return _Header(index, index + 1, cuts_to_end=False, kept_prefix=prefix)
    return None


def _header_field(line: str) -> str | None:
    match = _HEADER_FIELD.match(line)
    if match is None or match.lastgroup is None:
        return None
    return match.lastgroup


def _header_block_at(lines: list[str], index: int) -> _Header | None:
    """An Outlook-style block ("From: … / Sent: … / To: … / Subject: …", in any supported language)
    starting on line ``index``: at least two kinds of field, one of them a sender or a date, and an
    address or a time among them, so that "From: Berlin" in a sentence is no header."""
    first_field = _header_field(lines[index])
    if first_field not in ("from", "date"):
        return None
    kinds = {first_field}
    evidence = [lines[index]]
    loose_lines = 0
    position = index + 1
    while position < len(lines) and position < index + 10:
        line = lines[position]
        if not line.strip():
            break
        field = _header_field(line)
        if field is None:
            loose_lines += 1
            if loose_lines > 2:
                break
        else:
            kinds.add(field)
            loose_lines = 0
        evidence.append(line)
        position += 1
    joined = " ".join(evidence).translate(_INVISIBLE_MARKS)
    if len(kinds) >= 2 and _EMAIL_OR_TIME.search(joined):
        return _Header(index, position, cuts_to_end=True)
    return None


def _quote_header_at(lines: list[str], index: int) -> _Header | None:
    """The quote header ending (attributions) or starting (blocks, separators) on line ``index``."""
    line = lines[index]
    if _ORIGINAL_MESSAGE.match(line):
        return _Header(index, index + 1, cuts_to_end=True)
    if _QUOTED_LINE.match(line):
        return None
    block = _header_block_at(lines, index)
    if block is not None:
        return block
    return _attribution_at(lines, index)


def _is_quoted(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _QUOTED_LINE.match(line) is None:
        return False
    return not (line.rstrip().endswith("<<") and _ARROW_DECORATION.match(line))


def _quoted_block_end(lines: list[str], index: int) -> int:
    """End of the ``>`` block starting at ``index``: blank lines and wrapped link pieces that lost
    their ``>`` inside it belong to it; a blank run after its last quoted line does not."""
    end = index
    position = index
    while position < len(lines):
        line = lines[position]
        if _is_quoted(lines, position):
            end = position + 1
        elif line.strip():
            following = position + 1
            inside = following < len(lines) and _is_quoted(lines, following)
            if not (inside and _BROKEN_LINK_PIECE.search(line.strip())):
                break
        position += 1
    return end


@dataclass(slots=True)
class _Split:
    kept: list[str]
    quoted: list[str]
    forward_at: int | None


def _ends_attribution(lines: list[str], index: int) -> _Header | None:
    """A ``>`` line that closes an attribution begun above it (Polymail's "> wrote:")."""
    if len(lines[index]) > _MAX_ATTRIBUTION_CHARS or not _ENDS_WITH_VERB.search(lines[index]):
        return None
    header = _attribution_at(lines, index)
    return header if header is not None and header.start < index else None


def _after_blank_lines(lines: list[str], index: int) -> int:
    """The blank lines after a removed quote go with it, so that the reply around it closes up."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _split_quotes(lines: list[str]) -> _Split:
    """Walk the lines once: quote headers with their ``>`` block and stray ``>`` blocks are quoted,
    a header that is not followed by ``>`` lines quotes everything after it, and a forward marker met
    before any such cut stops the walk (the forwarded part is kept whole)."""
    kept: list[tuple[int, str]] = []
    quoted: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() and _FORWARD_MARKER.match(line):
            return _Split([text for _, text in kept], quoted, index)
        header: _Header | None = None
        if _is_quoted(lines, index):
            header = _ends_attribution(lines, index)
            if header is None:
                end = _quoted_block_end(lines, index)
                quoted.extend(lines[index:end])
                index = _after_blank_lines(lines, end)
                continue
        elif line.strip():
            if not any(text.strip() for _, text in kept):
                own_header = _header_block_at(lines, index)
                if own_header is not None:
                    # The message's own pasted header, not a quote: kept whole.
                    kept.extend((position, lines[position]) for position in range(index, own_header.end))
                    index = own_header.end
                    continue
            header = _quote_header_at(lines, index)
        if header is None:
            kept.append((index, line))
            index += 1
            continue
        # A wrapped attribution is recognised on its last line: its first lines were kept already.
        while kept and kept[-1][0] >= header.start:
            kept.pop()
        if header.kept_prefix:
            kept.append((index, header.kept_prefix))
            quoted.append(line[len(header.kept_prefix) :].strip(" -"))
        else:
            quoted.extend(lines[header.start : header.end])
        if header.cuts_to_end:
            while kept and (not kept[-1][1].strip() or _RULE_LINE.match(kept[-1][1])):
                _, separator = kept.pop()
                if separator.strip():
                    quoted.insert(len(quoted) - (header.end - header.start), separator)
            quoted.extend(lines[header.end :])
            return _Split([text for _, text in kept], quoted, None)
        index = _after_blank_lines(lines, header.end)
    return _Split([text for _, text in kept], quoted, None)


def _signature_start(lines: list[str]) -> int | None:
    """Where the signature at the end of ``lines`` starts, or None."""
    last_content = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    if last_content < 0:
        return None
    for index in range(len(lines)):
        line = lines[index].rstrip()
        tail = last_content - index
        if _SIGNATURE_DELIMITER.match(line) and 0 < tail <= _MAX_SIGNATURE_LINES:
            return _with_dash_name_above(lines, index)
        if _LIST_FOOTER_RULE.match(line) and 0 < tail <= _MAX_SIGNATURE_LINES:
            return _with_dash_name_above(lines, index)
        if _MOBILE_SIGNATURE.match(line) and tail <= _MAX_MOBILE_TAIL_LINES:
            return _with_dash_name_above(lines, index)
    last_line = lines[last_content].strip()
    if _DASH_NAME.match(last_line):
        return last_content
    return None


def _with_dash_name_above(lines: list[str], start: int) -> int:
    above = start - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above >= 0 and _DASH_NAME.match(lines[above].strip()):
        return above
    return start


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def _from_text(text: str) -> VisibleReply:
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = normalized.split("\n")
    split = _split_quotes(lines)
    forwarded: str | None = None
    marker: str | None = None
    if split.forward_at is not None:
        marker = lines[split.forward_at].strip()
        forwarded = _join(lines[split.forward_at + 1 :]) or None
    kept = split.kept
    if not _join(kept) and forwarded is None:
        # Nothing of the customer's own would remain: the "quote" was the message itself.
        kept, split.quoted = lines, []
    signature: str | None = None
    signature_at = _signature_start(kept)
    if signature_at is not None and _join(kept[:signature_at]):
        signature = _join(kept[signature_at:]).strip() or None
        kept = kept[:signature_at]
    return VisibleReply(
        text=_join(kept).strip(),
        quoted=_join(split.quoted).strip() or None,
        signature=signature,
        forwarded=forwarded,
        forward_marker=marker,
    )


# -- HTML -----------------------------------------------------------------------------------------

_CONTAINER_CLASSES: Final = frozenset(
    {"gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-cite-prefix", "outlookmessageheader"}
)
_CONTAINER_IDS: Final = frozenset(
    {
        "divrplyfwdmsg",
        "olk_src_body_section",
        "stopspelling",
        "appendonsend",
        "mail-editor-reference-message-container",
    }
)
_OUTLOOK_SEPARATOR_STYLE: Final = re.compile(
    r"border-top\s*:\s*solid\s+#(?:e1e1e1|b5c4df)|border-top\s*:\s*1pt\s+solid\s+#(?:e1e1e1|b5c4df)",
    re.IGNORECASE,
)
_OUTLOOK_RULE_COLOR: Final = re.compile(r"#000080", re.IGNORECASE)
_CONTAINER_HINT: Final = re.compile(
    r"gmail_quote|yahoo_quoted|moz-cite-prefix|type=.?cite|divRplyFwdMsg|OLK_SRC_BODY_SECTION|stopSpelling"
    r"|appendonsend|OutlookMessageHeader|mail-editor-reference|border-top|<hr|#000080",
    re.IGNORECASE,
)
# HTML bigger than this is converted whole: the container search would cost more than it saves.
_MAX_HTML_CHARS: Final = 1_000_000


class _QuoteContainerFinder(HTMLParser):
    """Finds where the first quote container starts: a strong marker (a client's own quote class or
    id, ``blockquote type=cite``, Outlook's separator border) or an ``<hr>`` to be confirmed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strong: tuple[int, int] | None = None
        self.rules: list[tuple[int, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.strong is not None:
            return
        values = {name: (value or "") for name, value in attrs}
        classes = set(values.get("class", "").lower().split())
        element_id = values.get("id", "").lower()
        style = values.get("style", "")
        if (
            classes & _CONTAINER_CLASSES
            or element_id in _CONTAINER_IDS
            or (tag == "blockquote" and values.get("type", "").lower() == "cite")
            or (tag == "div" and _OUTLOOK_SEPARATOR_STYLE.search(style))
            or (tag == "hr" and _OUTLOOK_RULE_COLOR.search(style + values.get("color", "")))
        ):
            self.strong = self.getpos()
        elif tag == "hr":
            self.rules.append(self.getpos())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _offset(html: str, position: tuple[int, int]) -> int:
    line, column = position
    offset = 0
    for _ in range(line - 1):
        offset = html.index("\n", offset) + 1
    return offset + column


def _html_cut(html: str) -> int | None:
    """Offset in ``html`` where the quoted history starts, or None."""
    if len(html) > _MAX_HTML_CHARS or not _CONTAINER_HINT.search(html):
        return None
    finder = _QuoteContainerFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception:  # the stdlib parser has had assertion failures on hostile input
        return None
    if finder.strong is not None:
        return _offset(html, finder.strong)
    for position in finder.rules:
        offset = _offset(html, position)
        after = html_to_text(html[offset:]).split("\n")
        first = _next_content_line(after, 0)
        if first is not None and first < 3 and _quote_header_at(after, first) is not None:
            return offset
    return None


def visible_reply(text: str, html: str | None = None) -> VisibleReply:
    """The part of a mail its sender just wrote; never raises.

    ``text`` is the decoded plain text of the mail. When ``html`` is given and holds a known quote
    container, the HTML before the container is the reply (turned into text). Otherwise quoted history
    is found in ``text``: ``>`` lines, attribution lines ("On … wrote:", "Am … schrieb …:", "Le … a
    écrit :", … with wrapped lines and numeric dates), Outlook header blocks and "original message"
    separators in en, de, fr, es, it, nl, pt, pl, sv, da, no, fi, ru, uk, ja and zh. A trailing ``-- ``
    block, list footer or "Sent from my …" line (also translated) is returned as ``signature``. A
    forward keeps its forwarded part in ``forwarded``. A text with no recognisable quote is returned
    whole, and so is one that the cut would leave empty.
    """
    if html:
        cut = _html_cut(html)
        if cut is not None:
            kept_text = html_to_text(html[:cut])
            if kept_text.strip():
                reply = _from_text(kept_text)
                history = "\n\n".join(part for part in (reply.quoted, html_to_text(html[cut:])) if part)
                return VisibleReply(
                    text=reply.text,
                    quoted=history or None,
                    signature=reply.signature,
                    forwarded=reply.forwarded,
                    forward_marker=reply.forward_marker,
                )
    return _from_text(text)
