"""One RFC 822 message (raw bytes) to one :class:`Activity`, or a :class:`Rejected` saying why not.

Shared by the ``maildir`` and ``mbox`` connectors and by the Gmail connector (which
fetches ``format=raw``), so every e-mail source gets the same participants, text,
content key and thread key for the same message.

Parsing uses the stdlib ``email`` package with the ``compat32`` policy. Measured on
the 13,148 Enron files, ``compat32`` parses about 5,300 files/s against about 320
with ``policy.default``: the modern policy builds a full header parse tree for every
header. ``compat32`` hands back raw header strings, so this module decodes what it
needs itself (unfolding, raw 8-bit bytes, RFC 2047 encoded words, address lists)
and leaves the other headers untouched.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.quoprimime import header_decode
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from tellgraph.schema.model import (
    MAX_NAME_LENGTH,
    Activity,
    Channel,
    Participant,
    Role,
    as_utc,
    stable_id,
    utcnow,
)
from tellgraph.schema.records import Rejected

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
"""Messages larger than this are rejected unread (Gmail's own limit is 25 MB)."""

MAX_TEXT_CHARS = 200_000
"""The body text kept per message; longer text is cut and marked ``truncated``."""

EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
"""Dates before this are bogus (Lotus Notes wrote 1979-12-31 for "no date")."""

FUTURE_SLACK = timedelta(days=2)
"""How far past ``now`` a Date may lie (clock skew, time zones) before it is bogus."""

_MAX_SUBJECT_CHARS = 2_000
_MAX_METADATA_CHARS = 1_000
_MAX_ATTACHMENTS = 200
_MAX_PART_DEPTH = 40
_MAX_HTML_CHARS = 2_000_000

# A header field line: printable ASCII name, optional blanks, colon (RFC 5322 section 2.2).
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_HEADER_END = re.compile(rb"\n\r?\n")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])
_BLANK_RUNS = re.compile(r"\n{3,}")
_UNCLOSED_TAG = re.compile(r"<(?![^<>]*>)")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BARE_ADDRESS = re.compile(r"\s*<?([^\s\"<>(),;:]+)>?\s*")
# No two adjacent parts can match the same blanks: overlapping "\s*" made this quadratic.
_NAMED_ADDRESS = re.compile(r'(?:\s*"((?:[^"\\]|\\.)*)"\s*|([^"<>()]*))<([^<>\s]*)>\s*')
_UNESCAPE = re.compile(r"\\(.)")
_BAD_ADDRESS_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
_MSG_ID = re.compile(r"<[^<>\s]+>")
_EMAIL_NOTE = re.compile(r"\(e-mail\)", re.IGNORECASE)
# Reply/forward markers in many mail clients' languages, with optional counters
# ("Re[2]:", "RE (3):"), and bracketed list tags ("[team]"), repeated in any order.
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|rif|antw|ref|réf|odp|vb|enc|res)\s*"
    r"(?:(?:\[\d+\]|\(\d+\))\s*)?[:：]|\[[^\]]*\])\s*",
    re.IGNORECASE,
)
# Codecs that encode text as (mostly) ASCII bytes, so "all bytes are ASCII" does not mean ASCII text.
_ASCII_LOOKALIKES = ("iso2022", "utf-7", "utf-16", "utf-32", "hz")
_SINGLE_BYTE_WESTERN = frozenset(
    {
        "us-ascii",
        "ascii",
        "ansi_x3.4-1968",
        "iso-8859-1",
        "iso8859-1",
        "latin-1",
        "latin1",
        "windows-1252",
        "cp1252",
    }
)


def parse_message(
    raw: bytes,
    *,
    source: str,
    source_key: str,
    folder: str | None = None,
    now: datetime | None = None,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> Activity | Rejected:
    """Parse one raw RFC 822 message into an e-mail :class:`Activity`.

    Never raises on bad input: anything unusable comes back as :class:`Rejected`
    with a reason ("empty file", "missing sender", "bad date: ...", "too large", ...).

    Args:
        raw: the message bytes exactly as stored.
        source: the connector kind (``maildir``, ``mbox``, ``gmail``).
        source_key: where the message came from within the source (a relative path).
        folder: the folder the source filed it in; defaults to the ``X-Folder`` header.
        now: the reference time for "date in the future" (defaults to the current time).
        max_bytes: messages larger than this are rejected as too large.
    """
    try:
        problem = _precheck(raw, max_bytes=max_bytes)
        if problem:
            return Rejected(source=source, source_key=source_key, reason=problem)
        return _parse(raw, source=source, source_key=source_key, folder=folder, now=now or utcnow())
    except Exception as exc:  # any parser surprise is a bad record, never a crashed run
        reason = f"parse error: {type(exc).__name__}: {exc}"
        return Rejected(source=source, source_key=source_key, reason=reason[:300])


def normalise_subject(subject: str | None) -> str:
    """The subject a thread shares: reply/forward prefixes and ``[tags]`` removed, lower case.

    ``"RE: Fw: [ops] Gas  Deal"`` and ``"gas deal"`` both give ``"gas deal"``.
    """
    if not subject:
        return ""
    text = subject
    while True:
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return " ".join(text.split()).lower()


def email_content_key(*, sender: str, timestamp: datetime, subject: str | None, body: str) -> str:
    """The content identity of an e-mail: one key however many folders or sources hold a copy.

    Built from the sender, the instant it was sent, the subject and a hash of the body
    with line endings and trailing whitespace normalised away. Message-IDs are not
    used: Enron's copies of one mail each carry their own.
    """
    subject_norm = " ".join((subject or "").split()).lower()
    body_hash = hashlib.sha256(_normalise_body(body).encode("utf-8", "surrogatepass")).hexdigest()
    return stable_id("m", "email", sender.strip().lower(), as_utc(timestamp).isoformat(), subject_norm, body_hash)


def subject_thread_key(subject: str | None) -> str | None:
    """The thread key of a message without reply headers: its normalised subject, hashed."""
    normalised = normalise_subject(subject)
    return stable_id("t", normalised) if normalised else None


def html_to_text(html: str) -> str:
    """Readable text from HTML: scripts and styles dropped, block elements become line breaks."""
    # html.parser rescans from every "<" that never closes ("<a<a<a..." took minutes for
    # 200 kB on Python 3.11), so such a "<" is escaped first; and more HTML than this
    # cannot add text that survives MAX_TEXT_CHARS anyway.
    html = _UNCLOSED_TAG.sub("&lt;", html[:_MAX_HTML_CHARS])
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return parser.text()


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode text whose declared charset may be missing, unknown or wrong.

    Tries the declared charset, then UTF-8, then cp1252, then Latin-1 with replacement.
    Text declared as ASCII or Latin-1 that is valid UTF-8 is read as UTF-8 (a common
    mislabelling; genuine Latin-1 text is almost never valid multi-byte UTF-8), and
    Latin-1 is read as cp1252, as browsers do.
    """
    declared = _codec_name(charset)
    if data.isascii() and not (declared and declared.startswith(_ASCII_LOOKALIKES)):
        return data.decode("ascii")
    candidates: list[str] = []
    if declared is None or declared in _SINGLE_BYTE_WESTERN:
        candidates = ["utf-8", "cp1252"]
    else:
        candidates = [declared, "utf-8", "cp1252"]
    for name in candidates:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1", errors="replace")


# --- internals ---------------------------------------------------------------------------------


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)


def _precheck(raw: bytes, *, max_bytes: int) -> str | None:
    if len(raw) > max_bytes:
        return f"too large: {len(raw):,} bytes (limit {max_bytes:,})"
    if not raw.strip():
        return "empty file"
    head = raw[:65536]
    end = head.find(b"\n\n")
    end_crlf = head.find(b"\r\n\r\n")
    cut = min(x for x in (end, end_crlf, len(head)) if x >= 0)
    header_block = head[:cut]
    if b"\x00" in header_block:
        return "not an RFC 822 message: binary content (NUL bytes in the header)"
    first = header_block.lstrip(b"\r\n")
    if first.startswith(b"From "):
        # An mbox envelope line ("From sender date") may precede the headers.
        newline = first.find(b"\n")
        first = first[newline + 1 :] if newline >= 0 else b""
    if not _HEADER_LINE.match(first):
        return "not an RFC 822 message: no header lines"
    return None


def _parse(raw: bytes, *, source: str, source_key: str, folder: str | None, now: datetime) -> Activity | Rejected:
    msg = _message(raw)
    headers = _header_map(msg)

    from_pairs = _address_pairs(headers, "from")
    senders = _participants(from_pairs, Role.FROM, seen=set())
    if not senders:
        return Rejected(source=source, source_key=source_key, reason="missing sender")

    date_value = _first(headers, "date")
    if date_value is None:
        return Rejected(source=source, source_key=source_key, reason="bad date: no Date header")
    try:
        parsed = parsedate_to_datetime(date_value)
        timestamp = as_utc(parsed)
    except Exception:  # ValueError, TypeError or OverflowError, depending on how it is garbled
        return Rejected(source=source, source_key=source_key, reason=f"bad date: {date_value[:80]!r}")
    if timestamp < EARLIEST_DATE:
        reason = f"implausible date: {parsed.isoformat()} is before {EARLIEST_DATE.date().isoformat()}"
        return Rejected(source=source, source_key=source_key, reason=reason)
    if timestamp > as_utc(now) + FUTURE_SLACK:
        reason = f"implausible date: {parsed.isoformat()} is in the future"
        return Rejected(source=source, source_key=source_key, reason=reason)

    participants = _all_participants(headers, senders)
    subject_raw = _first(headers, "subject")
    subject = _clean_line(decode_rfc2047(subject_raw))[:_MAX_SUBJECT_CHARS] if subject_raw else ""

    body = _Body()
    _walk(msg, body, depth=0)
    pieces = body.plain or body.html
    text = "\n\n".join(piece for piece in pieces if piece.strip())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    key = email_content_key(sender=senders[0].email or "", timestamp=timestamp, subject=subject, body=text)

    metadata: dict[str, str] = {}
    text = _strip_controls(text)
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        metadata["truncated"] = "true"
    _fill_metadata(metadata, headers, folder=folder)

    return Activity(
        channel=Channel.EMAIL,
        source=source,
        source_key=source_key,
        key=key,
        timestamp=timestamp,
        participants=participants,
        subject=subject or None,
        text=text,
        thread_key=_thread_key(headers, subject),
        raw_hash=hashlib.sha256(raw).hexdigest(),
        attachments=body.attachments[:_MAX_ATTACHMENTS],
        metadata=metadata,
    )


def _message(raw: bytes) -> Message:
    """The parsed message; single-part bodies skip the parser's line-by-line body loop.

    The feed parser walks every body line in Python, about half of its time on Enron.
    A single-part body needs no walking: parsing the header block alone and attaching
    the body text exactly as the parser would store it gives the same message.
    """
    match = _HEADER_END.search(raw)
    if match is None:
        return message_from_bytes(raw, policy=compat32)
    msg = message_from_bytes(raw[: match.start() + 1], policy=compat32)
    if msg.defects or msg.get_payload() or msg.get_content_maintype() in ("multipart", "message"):
        return message_from_bytes(raw, policy=compat32)
    msg.set_payload(raw[match.end() :].decode("ascii", "surrogateescape"))
    return msg


def _header_map(msg: Message) -> dict[str, list[str]]:
    # raw_items() gives the stored strings; get()/items() under compat32 would turn any
    # header holding raw 8-bit bytes into a Header object instead of a string.
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        if isinstance(value, str):
            headers.setdefault(name.lower(), []).append(value)
    return headers


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    if not values:
        return None
    return _unfold(values[0])


def _unfold(value: str) -> str:
    value = _FOLD.sub("", value) if "\n" in value else value
    return _fix_8bit(value).strip()


def _fix_8bit(value: str) -> str:
    # The bytes parser keeps undecodable header bytes as lone surrogates; raw UTF-8 in
    # headers is common (RFC 6532), raw cp1252 less so but real.
    if value.isascii():
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), None)


def decode_rfc2047(value: str) -> str:
    """Decode RFC 2047 encoded words (``=?utf-8?q?...?=``) in an unfolded header value.

    Adjacent encoded words in the same charset are joined before decoding (encoders
    split multi-byte characters across words) and the blanks between encoded words
    are dropped, as the RFC says. Unknown charsets and bad encodings fall back like
    :func:`decode_bytes`; this never raises.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: bytearray = bytearray()
    pending_charset: str | None = None
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if between and (pending_charset is None or between.strip()):
            if pending_charset is not None:
                out.append(decode_bytes(bytes(pending), pending_charset))
                pending, pending_charset = bytearray(), None
            out.append(between)
        charset = match.group(1).split("*", 1)[0].lower()
        data = _decode_word(match.group(2), match.group(3))
        if data is None:
            if pending_charset is not None:
                out.append(decode_bytes(bytes(pending), pending_charset))
                pending, pending_charset = bytearray(), None
            out.append(match.group(0))
            position = match.end()
            continue
        if pending_charset is not None and charset != pending_charset:
            out.append(decode_bytes(bytes(pending), pending_charset))
            pending = bytearray()
        pending_charset = charset
        pending += data
        position = match.end()
    if pending_charset is not None:
        out.append(decode_bytes(bytes(pending), pending_charset))
    out.append(value[position:])
    return "".join(out)


def _decode_word(encoding: str, payload: str) -> bytes | None:
    if encoding in "qQ":
        return header_decode(payload).encode("latin-1", "replace")
    try:
        return base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None  # not base64 after all: keep the word as written


@functools.lru_cache(maxsize=256)
def _codec_name(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None


def _clean_line(value: str) -> str:
    if not value.isprintable():
        value = _CONTROL.sub(" ", value)
    return " ".join(value.split())


# --- participants --------------------------------------------------------------------------------


def _address_pairs(headers: dict[str, list[str]], name: str) -> list[tuple[str, str]]:
    """``(display name, address)`` per entry of an address header, in order, garbage included."""
    pairs: list[tuple[str, str]] = []
    for raw in headers.get(name, ()):
        value = _unfold(raw)
        if ":" in value or ";" in value:
            pairs.extend(_getaddresses(value))  # groups ("undisclosed-recipients:;") need the full parser
            continue
        pairs.extend(_address_entry(entry) for entry in _split_addresses(value) if not entry.isspace() and entry)
    return pairs


def _split_addresses(value: str) -> list[str]:
    # getaddresses() walks the header one character at a time in Python and was half of
    # the parse time on Enron's long recipient lists; most headers need no such care.
    if '"' not in value and "(" not in value:
        return value.split(",")
    entries: list[str] = []
    start = 0
    quoted = escaped = False
    depth = 0
    for index, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            entries.append(value[start:index])
            start = index + 1
    entries.append(value[start:])
    return entries


def _address_entry(entry: str) -> tuple[str, str]:
    match = _BARE_ADDRESS.fullmatch(entry)
    if match:
        return "", match.group(1)
    match = _NAMED_ADDRESS.fullmatch(entry)
    if match:
        quoted, plain, address = match.groups()
        name = _UNESCAPE.sub(r"\1", quoted) if quoted is not None else plain.strip()
        return name, address
    parsed = _getaddresses(entry)  # comments, odd quoting: let the stdlib decide
    return parsed[0] if parsed else ("", "")


def _getaddresses(value: str) -> list[tuple[str, str]]:
    try:
        return getaddresses([value])
    except RecursionError:  # thousands of nested "(" comments: a garbage header, not a lost message
        return []


def _valid_address(address: str) -> str | None:
    address = address.strip().strip("'\"<>").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(address) > 320 or _BAD_ADDRESS_CHAR.search(address):
        return None
    return address


def _display_name(name: str) -> str | None:
    cleaned = _clean_line(decode_rfc2047(name)).strip("'\" ")
    if not cleaned or "@" in cleaned:
        return None  # an address repeated as the "name" tells nothing new
    return cleaned[:MAX_NAME_LENGTH]


def _participants(
    pairs: list[tuple[str, str]], role: Role, *, seen: set[str], x_pieces: list[str] | None = None
) -> list[Participant]:
    """Valid, not yet ``seen`` addresses as participants; names from the header, else from ``x_pieces``."""
    result: list[Participant] = []
    position: dict[str, int] = {}
    for index, (name, address) in enumerate(pairs):
        person = _participant(role, address, name, x_pieces[index] if x_pieces is not None else None)
        if person is None or not person.email:
            continue
        if person.email in position:
            # listed twice in this role: keep one entry, with a name if either copy had one
            kept = position[person.email]
            if result[kept].name is None and person.name is not None:
                result[kept] = person
            continue
        if person.email in seen:
            continue
        seen.add(person.email)
        position[person.email] = len(result)
        result.append(person)
    return result


@functools.lru_cache(maxsize=8192)
def _participant(role: Role, address: str, name: str, x_piece: str | None) -> Participant | None:
    # Cached: the same people recur in message after message, and building and validating
    # a Participant was a third of the parse time on Enron's long recipient lists. The
    # models are frozen, so sharing one instance between activities is safe.
    email = _valid_address(address)
    if email is None:
        return None
    display = _display_name(name) if name else None
    if display is None and x_piece is not None:
        display = _x_name(x_piece)
    return Participant(role=role, email=email, name=display)


def _all_participants(headers: dict[str, list[str]], senders: list[Participant]) -> list[Participant]:
    if senders[0].name is None:
        x_from = _first(headers, "x-from")
        name = _x_name(x_from) if x_from else None
        if name:
            senders = [senders[0].model_copy(update={"name": name}), *senders[1:]]
    participants = list(senders)
    # A recipient is listed once, in the most visible role: Enron's files repeat the whole
    # Cc list as Bcc, and a person in both To and Cc was simply addressed. The sender keeps
    # a recipient role too when they mailed themselves.
    addressed: set[str] = set()
    for header, x_header, role in (
        ("to", "x-to", Role.TO),
        ("cc", "x-cc", Role.CC),
        ("bcc", "x-bcc", Role.BCC),
    ):
        pairs = _address_pairs(headers, header)
        if not pairs:
            continue
        x_value = _first(headers, x_header)
        x_pieces = _x_pieces(x_value, len(pairs)) if x_value else None
        participants.extend(_participants(pairs, role, seen=addressed, x_pieces=x_pieces))
    return participants


def _x_name(piece: str) -> str | None:
    """A display name from one Enron ``X-From``/``X-To`` entry such as ``Davis, Pete </O=ENRON/...>``."""
    text = piece.strip()
    bracket = text.find("<")
    if bracket == 0:
        return None
    if bracket > 0:
        text = text[:bracket]
    text = _clean_line(_EMAIL_NOTE.sub("", text)).strip("'\" ")
    if not text or "@" in text:
        return None
    return text[:MAX_NAME_LENGTH]


def _x_pieces(value: str, count: int) -> list[str] | None:
    """The entries of an Enron ``X-To``/``X-cc`` header, only when they line up one to one with the addresses."""
    pieces = _split_x_list(value)
    if len(pieces) != count:
        return None  # "Skilling, Jeff" or a missing entry: no way to tell who is who
    return pieces


def _split_x_list(value: str) -> list[str]:
    if not value.strip():
        return []
    if "<" in value and value.count("<") == value.count(">"):
        # Exchange style "Last, First </O=ENRON/...>, Other, Name <...>": the commas
        # inside names are unquoted, so only "> ," ends an entry.
        pieces = re.split(r">\s*,", value)
        if all("<" in piece for piece in pieces):
            return pieces
    if '"' not in value:
        return [piece for piece in value.split(",") if piece.strip()]
    pieces = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return [piece for piece in pieces if piece.strip()]


# --- body ------------------------------------------------------------------------------------------


def _walk(part: Message, body: _Body, *, depth: int) -> None:
    if depth > _MAX_PART_DEPTH:
        return
    content_type = part.get_content_type()  # each header lookup scans every header: ask once
    maintype = content_type.partition("/")[0]
    if depth > 0 and _is_attachment(part, maintype):
        body.attachments.append(_attachment_name(part, content_type))
        return
    if part.is_multipart():
        payload = part.get_payload()
        children = [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []
        if content_type == "multipart/alternative":
            _walk_alternative(children, body, depth=depth)
        else:
            for child in children:
                _walk(child, body, depth=depth + 1)
        return
    if maintype not in ("text", "multipart"):
        # only reached at the top: the whole message is one non-text part (a bare PDF)
        body.attachments.append(_attachment_name(part, content_type))
        return
    text = _part_text(part)
    if content_type == "text/html":
        converted = html_to_text(text)
        if converted.strip():
            body.html.append(converted)
    elif content_type in ("text/plain", "text/enriched") or maintype == "multipart":
        # a "multipart" without parts (no boundary) is read as the plain text it holds
        if text.strip():
            body.plain.append(text)
    else:
        # text/calendar, text/csv and friends are content, but not the message's body
        body.attachments.append(_attachment_name(part, content_type))


def _walk_alternative(children: list[Message], body: _Body, *, depth: int) -> None:
    # Alternatives carry the same content: keep the plain-text one, else the richest other.
    chosen: _Body | None = None
    for child in children:
        candidate = _Body()
        _walk(child, candidate, depth=depth + 1)
        body.attachments.extend(candidate.attachments)
        if (candidate.plain and (chosen is None or not chosen.plain)) or (
            candidate.html and (chosen is None or not chosen.plain)
        ):
            chosen = candidate
    if chosen is not None:
        body.plain.extend(chosen.plain)
        if not chosen.plain:
            body.html.extend(chosen.html)


def _is_attachment(part: Message, maintype: str) -> bool:
    disposition = part.get("Content-Disposition")
    if isinstance(disposition, str) and disposition.strip().lower().startswith("attachment"):
        return True
    if maintype == "message":
        return True  # an attached e-mail: noted, not merged into this message's text
    if maintype in ("text", "multipart"):
        return part.get_param("filename", header="content-disposition") is not None or (
            maintype == "text" and part.get_param("name") is not None
        )
    return True


def _attachment_name(part: Message, content_type: str) -> str:
    try:
        filename = part.get_filename()
    except Exception:  # a malformed RFC 2231 parameter is not worth losing the message over
        filename = None
    if isinstance(filename, str) and filename.strip():
        return _clean_line(decode_rfc2047(_fix_8bit(filename)))[:300] or content_type
    return content_type


def _part_text(part: Message) -> str:
    # decode=True hands back the stored bytes (undoing any transfer encoding); the
    # decode=False form would already have decoded them with the declared charset only.
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return decode_bytes(payload, part.get_content_charset())
    if isinstance(payload, str):
        return _fix_8bit(payload)
    return ""


def _strip_controls(text: str) -> str:
    if text.isascii():
        # bytes.translate deletes in C, several times faster than the regex on long bodies
        return text.encode("ascii").translate(None, _CONTROL_BYTES).decode("ascii")
    return _CONTROL.sub("", text)


def _normalise_body(text: str) -> str:
    # str.rstrip per line is about 7x faster than a multiline regex and drops a stray "\r" too.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join([line.rstrip() for line in text.split("\n")]).strip()


class _HTMLText(HTMLParser):
    _SKIP = frozenset({"script", "style", "title", "noscript", "template"})
    # Closing these leaves a blank line after them.
    _PARAGRAPH = frozenset(["blockquote", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"])
    # These (and paragraphs) start a new line: list items, cells, rows, breaks.
    _BLOCK = (
        _PARAGRAPH
        | frozenset(["address", "article", "aside", "br", "dd", "dl", "dt", "footer", "form", "header", "hr"])
        | frozenset(["li", "main", "nav", "section", "tbody", "td", "tfoot", "th", "thead", "tr"])
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self._parts.append("\n")
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._PARAGRAPH:
            self._parts.append("\n")
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            self._parts.append(data)
            return
        text = _WS.sub(" ", data)
        if not self._parts or self._parts[-1].endswith("\n"):
            text = text.lstrip(" ")  # source indentation is not content; <pre> keeps its own
        if text:
            self._parts.append(text)

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self._parts).split("\n")]
        return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


# --- threads and metadata ------------------------------------------------------------------------


def _thread_key(headers: dict[str, list[str]], subject: str) -> str | None:
    # The normalised subject comes first: a thread's first message has no References, so
    # keying replies on their root id would split every thread in two. The root id is kept
    # in metadata (thread_root) and used only when there is no subject.
    by_subject = subject_thread_key(subject)
    if by_subject:
        return by_subject
    root = _root_message_id(headers)
    return stable_id("t", root) if root else None


def _root_message_id(headers: dict[str, list[str]]) -> str | None:
    for name in ("references", "in-reply-to"):
        value = _first(headers, name)
        if value:
            ids = _MSG_ID.findall(value)
            if ids:
                return str(ids[0])
    return None


def _fill_metadata(metadata: dict[str, str], headers: dict[str, list[str]], *, folder: str | None) -> None:
    message_id = _first(headers, "message-id")
    if message_id:
        metadata["message_id"] = message_id[:_MAX_METADATA_CHARS]
    root = _root_message_id(headers)
    if root:
        metadata["thread_root"] = root[:_MAX_METADATA_CHARS]
    in_reply_to = _first(headers, "in-reply-to")
    if in_reply_to:
        ids = _MSG_ID.findall(in_reply_to)
        metadata["in_reply_to"] = (ids[0] if ids else in_reply_to)[:_MAX_METADATA_CHARS]
    x_folder = _first(headers, "x-folder")
    if folder or x_folder:
        metadata["folder"] = _clean_line(folder or x_folder or "")[:_MAX_METADATA_CHARS]
    if x_folder and folder:
        metadata["x_folder"] = _clean_line(x_folder)[:_MAX_METADATA_CHARS]
    # Google Takeout exports: same metadata names as the Gmail API connector writes.
    labels = _first(headers, "x-gmail-labels")
    if labels:
        metadata["gmail_labels"] = _clean_line(decode_rfc2047(labels))[:_MAX_METADATA_CHARS]
    gmail_thread = _first(headers, "x-gm-thrid")
    if gmail_thread:
        # Takeout writes the thread id in decimal; the API (and Gmail's web URLs) in hex.
        decimal = gmail_thread.isascii() and gmail_thread.isdigit() and len(gmail_thread) <= 20
        thread_id = format(int(gmail_thread), "x") if decimal else gmail_thread
        metadata["gmail_thread_id"] = thread_id[:_MAX_METADATA_CHARS]
