"""Hostile input for every file parser: good records mixed with bad ones all come through.

Each property builds a source of good records (hostile but valid text: control characters,
Cypher-injection strings, unicode, huge values) with garbage interleaved, reads it with the real
connector and checks that:

* nothing raises; every record is one of the canonical record types;
* every good record comes out as a record (never rejected, never swallowed by its neighbours);
* bad records are Rejected with a reason, or skipped;
* what comes out can be stored: an ingest into the embedded store (raw bodies encrypted)
  and its JSON snapshot round-trip.

Example counts come from the hypothesis profile (``tests/hypothesis_profiles.py``).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from tellgraph.extractors.attendees import AttendeesConnector
from tellgraph.extractors.base import Connector
from tellgraph.extractors.contacts import ContactsConnector
from tellgraph.extractors.ics import IcsConnector
from tellgraph.extractors.linkedin import LinkedInConnector
from tellgraph.extractors.mail import parse_message
from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.extractors.mbox import MboxConnector
from tellgraph.extractors.slack_export import SlackExportConnector
from tellgraph.extractors.transcript import TranscriptConnector
from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Activity
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected, SourceRecord
from tellgraph.settings import Settings

ALLOWED = (Activity, ContactRecord, AttendanceRecord, Rejected, CheckpointMark)
NOW = datetime(2024, 7, 1, tzinfo=UTC)

INJECTIONS = [
    "') MATCH (n) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n //',
    "`Person` {id: $id}",
    "$param",
    "\\u0000",
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE people;--",
    "ﬀ\u202e\u200b\ufeff",
    "\U0001f600\U0001f469\u200d\U0001f4bb",
]

# Text a real record may carry: any character but lone surrogates, with injections mixed in.
_ANY_CHAR = st.characters(exclude_categories=["Cs"])
HOSTILE = st.one_of(
    st.text(_ANY_CHAR, max_size=80),
    st.sampled_from(INJECTIONS),
    st.builds(lambda a, b: a + b, st.sampled_from(INJECTIONS), st.text(_ANY_CHAR, max_size=20)),
)
# Printable text without line breaks (for header values and CSV cells that must stay one line).
_LINE_CHAR = st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"])
ONE_LINE = st.one_of(st.text(_LINE_CHAR, max_size=60), st.sampled_from(INJECTIONS))
NAMES = st.builds(
    lambda first, last: f"{first} {last}",
    st.from_regex(r"[A-Z][a-z]{1,9}", fullmatch=True),
    st.from_regex(r"[A-Z][a-z]{1,11}", fullmatch=True),
)
# Garbage: arbitrary text, with the kinds of lines that confuse parsers over-represented.
GARBAGE_LINES = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=120),
    st.sampled_from(
        [
            '"',
            '"unclosed, quote',
            'a,"b',
            ",,,,,,,,,,,,,,,,,,,",
            "\ufeff",
            "=cmd|' /C calc'!A0",
            "BEGIN:VEVENT",
            "END:VCALENDAR",
            "WEBVTT",
            "00:00:01.000 --> ",
            "-->",
            "<v >",
            "Title: x",
            "From ",
            "From x@y Mon Jun  3 10:00:00 2024",
            "\x1b[31m",
        ]
    ),
)


def _storable(records: Iterable[SourceRecord], tmp: Path) -> None:
    """Everything a parser produced can be ingested (bodies encrypted) and survives a snapshot round trip."""

    class Replay:
        kind = "replay"
        location = "hostile"
        incremental = False

        def read(self, *, checkpoints: Any) -> Any:
            return iter(list(records))

    settings = Settings(
        data_dir=tmp,
        batch_size=7,
        store_raw_bodies=True,
        body_key=SecretStr(Fernet.generate_key().decode()),
    )
    path = tmp / "store.json"
    store = MemoryStore(path=path)
    connector: Connector = Replay()
    summary = IngestRun(store=store, connector=connector, settings=settings).run()
    before = store.counts()
    store.close()
    assert json.loads(path.read_text(encoding="utf-8"))  # strict UTF-8 JSON on disk
    reopened = MemoryStore(path=path)
    assert reopened.counts() == before
    reopened.close()
    assert summary.read >= summary.new


def _of(records: list[SourceRecord], kind: type[Any]) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


def _check_types(records: list[SourceRecord]) -> None:
    assert all(isinstance(r, ALLOWED) for r in records), records
    for rejected in _of(records, Rejected):
        assert rejected.reason.strip(), rejected


# --- e-mail ---------------------------------------------------------------------------------------

_CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "x-unknown", "utf-7", "utf-16", "", 'bogus"q', "koi8-r", "gb2312"]
_ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus"]
_HEADER_NAMES = st.one_of(
    st.sampled_from(["Subject", "To", "Cc", "Bcc", "Reply-To", "Message-ID", "In-Reply-To", "References", "X-Folder"]),
    st.sampled_from(["X-From", "X-To", "Content-Type", "Content-Transfer-Encoding", "MIME-Version", "Received"]),
    st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True),
)


def _header_value(text: str) -> str:
    # A header value cannot hold a bare line break or a NUL (a NUL in the header block is binary input).
    return " ".join(text.replace("\x00", " ").splitlines())


@st.composite
def hostile_header(draw: st.DrawFn) -> str:
    name = draw(_HEADER_NAMES)
    kind = draw(st.sampled_from(["text", "huge", "encoded", "addresses", "folded"]))
    if kind == "huge":
        value = draw(st.sampled_from(["a", "x@y.z, ", "=?utf-8?q?=00?= ", "\t", "(((", '"'])) * draw(
            st.integers(1000, 60_000)
        )
    elif kind == "encoded":
        charset = draw(st.sampled_from(_CHARSETS))
        value = f"=?{charset}?{draw(st.sampled_from(['b', 'q', 'B', 'x']))}?{draw(ONE_LINE)}?="
    elif kind == "addresses":
        value = ", ".join(draw(st.lists(st.sampled_from(['"a, b" <c@d.e>', "<>", "@", "x@", '"', "<a@b.c"]))))
    elif kind == "folded":
        value = "\n\t".join(draw(st.lists(ONE_LINE, min_size=1, max_size=5)))
        return f"{name}: {value}"
    else:
        value = draw(ONE_LINE)
    return f"{name}: {_header_value(value)}"


@st.composite
def good_mail(draw: st.DrawFn, index: int) -> tuple[str, bytes]:
    """A message with a valid sender and date and anything else hostile: it must become an Activity."""
    sender = f"sender{index}@example.com"
    when = NOW - timedelta(days=index + 1, minutes=draw(st.integers(0, 1000)))
    display = draw(st.sampled_from(["", "Ann Example ", "=?utf-8?b?w6k=?= ", '"Evil, (x)" ', "Zoë \x7f "]))
    headers = [
        f"From: {display}<{sender}>",
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Subject: {_header_value(draw(HOSTILE))} #{index}",
    ]
    headers += draw(st.lists(hostile_header(), max_size=4))
    body_text = draw(HOSTILE)
    charset = draw(st.sampled_from(_CHARSETS))
    encoding = draw(st.sampled_from(_ENCODINGS))
    layout = draw(st.sampled_from(["plain", "multipart", "broken-multipart", "nested", "html", "binary"]))
    body_bytes = body_text.encode("utf-8", "surrogatepass")
    if layout == "plain":
        headers += [f'Content-Type: text/plain; charset="{charset}"', f"Content-Transfer-Encoding: {encoding}"]
        body = body_bytes
    elif layout == "html":
        headers += [f"Content-Type: text/html; charset={charset}"]
        body = b"<html><body><p>" + body_bytes + b"<script>x</script><unclosed"
    elif layout == "binary":
        headers += ["Content-Type: application/octet-stream"]
        body = draw(st.binary(max_size=300))
    elif layout == "multipart":
        headers += ['Content-Type: multipart/mixed; boundary="b1"']
        body = (
            b"--b1\nContent-Type: text/plain; charset="
            + charset.encode()
            + b"\n\n"
            + body_bytes
            + b'\n--b1\nContent-Type: application/pdf; name="'
            + _header_value(draw(ONE_LINE)).encode()
            + b'"\nContent-Transfer-Encoding: base64\n\n!!notbase64!!\n--b1--\n'
        )
    elif layout == "broken-multipart":
        boundary = draw(st.sampled_from(["", '"', "x" * 300]))
        headers += [f"Content-Type: multipart/alternative; boundary={boundary}"]
        body = b"--nothing\n" + body_bytes + b"\n--" + draw(st.binary(max_size=50))
    else:
        depth = draw(st.integers(1, 120))
        opening = b"".join(b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (i, i) for i in range(depth))
        body = opening + b"Content-Type: text/plain\n\n" + body_bytes + b"\n"
        headers += ['Content-Type: multipart/mixed; boundary="n-1"']
        body = b"--n-1\n" + body
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    head = newline.join(h.encode("utf-8", "surrogatepass") for h in headers)
    return sender, head + newline + newline + body


@given(data=st.data())
def test_a_valid_sender_and_date_always_make_an_activity(data: st.DataObject) -> None:
    sender, raw = data.draw(good_mail(0))
    started = time.monotonic()
    record = parse_message(raw, source="maildir", source_key="box/1", now=NOW)
    elapsed = time.monotonic() - started
    assert isinstance(record, Activity), record
    assert record.participants[0].email == sender
    assert "\x00" not in record.text and "\x00" not in (record.subject or "")
    assert elapsed < 5.0, f"{elapsed:.1f}s for {len(raw):,} bytes"


GARBAGE_MAIL = st.one_of(
    st.binary(max_size=800),
    st.lists(GARBAGE_LINES, max_size=20).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"\n\n", b"From: nobody\n\nno date", b"Date: yesterday\nFrom: a@b.c\n\n", b"\x00" * 50]),
)


@given(data=st.data(), pattern=st.lists(st.booleans(), min_size=1, max_size=8))
def test_maildir_keeps_every_good_message_among_garbage(data: st.DataObject, pattern: list[bool]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "maildir"
        (root / "cur").mkdir(parents=True)
        senders = []
        for i, good in enumerate(pattern):
            if good:
                sender, raw = data.draw(good_mail(i))
                senders.append(sender)
            else:
                raw = data.draw(GARBAGE_MAIL)
            (root / "cur" / f"{i:03d}.msg").write_bytes(raw)
        records = list(MaildirConnector(path=root).read(checkpoints={}))
        _check_types(records)
        found = {a.participants[0].email for a in _of(records, Activity)}
        assert set(senders) <= found
        assert len(_of(records, Activity)) + len(_of(records, Rejected)) == len(pattern)
        _storable(records, Path(folder))


@given(data=st.data(), pattern=st.lists(st.booleans(), min_size=1, max_size=8))
def test_mbox_keeps_every_good_message_among_garbage(data: st.DataObject, pattern: list[bool]) -> None:
    chunks = []
    senders = []
    for i, good in enumerate(pattern):
        if good:
            sender, raw = data.draw(good_mail(i))
            senders.append(sender)
            # mboxrd: a body line starting with "From " is written with a ">" before it.
            raw = b"\n".join(b">" + line if line.startswith(b"From ") else line for line in raw.split(b"\n"))
        else:
            raw = data.draw(GARBAGE_MAIL)
        chunks.append(b"From sender@example.com Mon Jun  3 10:00:00 2024\n" + raw + b"\n\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "all.mbox"
        path.write_bytes(b"".join(chunks))
        records = list(MboxConnector(path=path).read(checkpoints={}))
        _check_types(records)
        found = {a.participants[0].email for a in _of(records, Activity)}
        assert set(senders) <= found
        _storable(records, Path(folder))


# --- Slack export -------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_BAD_MESSAGE = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["message", "file", 3, None]),
            "user": st.sampled_from(["U1", "", None, 7, ["U1"]]),
            "ts": st.sampled_from(["", "abc", "1e400", "-1", None, 1.5, "99999999999999999999.1"]),
            "text": _JSON,
            "subtype": st.sampled_from(["channel_join", "bot_message", None, 5]),
            "thread_ts": _JSON,
            "files": _JSON,
            "attachments": _JSON,
            "user_profile": _JSON,
        },
    ),
)


@st.composite
def good_slack_message(draw: st.DrawFn, index: int) -> dict[str, Any]:
    text = draw(HOSTILE)
    if draw(st.booleans()):
        text += draw(st.sampled_from([" <@U2>", " <!channel>", " <@U999|ghost>", " <#C1|general>", " <http://x|y>"]))
    message: dict[str, Any] = {
        "type": "message",
        "user": draw(st.sampled_from(["U1", "U2"])),
        "text": text,
        "ts": f"{1_600_000_000 + index * 60}.{index:06d}",
    }
    if draw(st.booleans()):
        message["user_profile"] = {"real_name": draw(HOSTILE), "display_name": draw(_JSON)}
    if draw(st.booleans()):
        message["files"] = draw(st.lists(st.fixed_dictionaries({"name": ONE_LINE}), max_size=3))
    return message


@given(data=st.data(), pattern=st.lists(st.booleans(), min_size=1, max_size=12))
def test_slack_export_keeps_every_good_message_among_garbage(data: st.DataObject, pattern: list[bool]) -> None:
    messages: list[Any] = []
    good_ts = []
    for i, good in enumerate(pattern):
        if good:
            message = data.draw(good_slack_message(i))
            good_ts.append(message["ts"])
            messages.append(message)
        else:
            messages.append(data.draw(_BAD_MESSAGE))
    users = [
        {"id": "U1", "team_id": "T1", "real_name": data.draw(HOSTILE), "profile": {"email": "ann@example.com"}},
        {"id": "U2", "team_id": "T1", "name": data.draw(ONE_LINE)},
        data.draw(_JSON),
    ]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "export"
        (root / "general").mkdir(parents=True)
        (root / "users.json").write_text(json.dumps(users), encoding="utf-8")
        (root / "channels.json").write_text(
            json.dumps([{"id": "C1", "name": "general", "members": ["U1", "U2"]}]), encoding="utf-8"
        )
        (root / "general" / "2020-09-13.json").write_text(json.dumps(messages), encoding="utf-8")
        (root / "general" / "2020-09-14.json").write_text(data.draw(st.text(max_size=100)), encoding="utf-8")
        records = list(SlackExportConnector(path=root).read(checkpoints={}))
        _check_types(records)
        found = {a.metadata["ts"] for a in _of(records, Activity)}
        assert set(good_ts) <= found
        _storable(records, Path(folder))


# --- CSV: contacts, LinkedIn, attendees -------------------------------------------------------------

_EMAIL_LOCAL = st.from_regex(r"[a-z][a-z0-9._+-]{0,15}", fullmatch=True).filter(
    lambda s: ".." not in s and not s.endswith(".")
)


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    # "\r\n" as the terminator makes the writer quote cells holding either character (as Excel does).
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().removesuffix("\r\n")


def _garbage_csv_line(draw: st.DrawFn, width: int) -> str:
    kind = draw(st.sampled_from(["line", "cells", "quote"]))
    if kind == "line":
        return " ".join(draw(GARBAGE_LINES).splitlines())
    if kind == "quote":
        return draw(st.sampled_from(['"', 'x,"y', '"a,b,c', 'a""b,"', ',"']))
    cells = draw(st.lists(st.text(max_size=30), max_size=width + 3))
    return _csv_line(cells)


def _good_csv_cell(draw: st.DrawFn) -> str:
    # Any hostile text, including quotes, commas and line breaks: csv.writer quotes it properly.
    return draw(st.one_of(ONE_LINE, HOSTILE.map(lambda s: s.replace("\x00", ""))))


def _mixed_csv(
    draw: st.DrawFn, *, header: list[str], pattern: list[bool], row: Any, sprinkle_quotes: bool = True
) -> tuple[str, list[str]]:
    lines = [_csv_line(header)]
    emails = []
    for i, good in enumerate(pattern):
        if good:
            email = f"{draw(_EMAIL_LOCAL)}.{i}@example.com"
            emails.append(email)
            lines.append(_csv_line(row(draw, email)))
        else:
            lines.append(_garbage_csv_line(draw, len(header)))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n", "\r\n"])), emails


def _encoded(draw: st.DrawFn, text: str) -> bytes:
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "crlf"]))
    if encoding == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    return text.encode(encoding)


CONTACT_HEADER = ["Full Name", "E-mail", "Organization", "Job Title", "Phone Number", "Notes", "LinkedIn", "Owner"]


def _contact_row(draw: st.DrawFn, email: str) -> list[str]:
    return [
        draw(NAMES),
        email,
        _good_csv_cell(draw),
        _good_csv_cell(draw),
        _good_csv_cell(draw),
        _good_csv_cell(draw),
        draw(st.sampled_from(["", "https://www.linkedin.com/in/x", "not a url", "=1+1"])),
        draw(st.sampled_from(["", "owner@example.com", "-2+3"])),
    ]


@given(data=st.data(), pattern=st.lists(st.booleans(), min_size=1, max_size=15))
def test_contacts_csv_keeps_every_good_row_among_garbage(data: st.DataObject, pattern: list[bool]) -> None:
    text, emails = data.draw(
        st.composite(lambda draw: _mixed_csv(draw, header=CONTACT_HEADER, pattern=pattern, row=_contact_row))()
    )
    raw = data.draw(st.composite(lambda draw: _encoded(draw, text))())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crm.csv"
        path.write_bytes(raw)
        records = list(ContactsConnector(path=path).read(checkpoints={}))
        _check_types(records)
        found = {e for c in _of(records, ContactRecord) for e in c.emails}
        assert set(emails) <= found, [r for r in records if isinstance(r, Rejected)]
        _storable(records, Path(folder))


LINKEDIN_HEADER = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]


def _linkedin_row(draw: st.DrawFn, email: str) -> list[str]:
    first, last = draw(NAMES).split(" ")
    return [
        first,
        last + draw(st.sampled_from(["", ", MBA", ", PhD, CFA"])),
        draw(st.sampled_from(["", "https://www.linkedin.com/in/someone-" + email.split("@")[0], "garbage"])),
        email,
        _good_csv_cell(draw),
        _good_csv_cell(draw),
        draw(st.sampled_from(["01 Jan 2024", "2024-13-45", "", "=NOW()"])),
    ]


@given(data=st.data(), pattern=st.lists(st.booleans(), min_size=1, max_size=15))
def test_linkedin_csv_keeps_every_good_row_among_garbage(data: st.DataObject, pattern: list[bool]) -> None:
    text, emails = data.draw(
        st.composite(lambda draw: _mixed_csv(draw, header=LINKEDIN_HEADER, pattern=pattern, row=_linkedin_row))()
    )
    text = 'Notes:\n"When exporting your connection data, you may notice..."\n\n' + text
    raw = data.draw(st.composite(lambda draw: _encoded(draw, text))())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Connections.csv"
        path.write_bytes(raw)
        records = list(LinkedInConnector(path=path, owner_email="owner@example.com").read(checkpoints={}))
        _check_types(records)
        found = {e for c in _of(records, ContactRecord) for e in c.emails}
        assert set(emails) <= found, [r for r in records if isinstance(r, Rejected)]
        _storable(records, Path(folder))


ATTENDEE_HEADER = ["Event", "Date", "First Name", "Last Name", "Email", "Company", "Status", "Checked In"]


def _attendee_row(draw: st.DrawFn, email: str) -> list[str]:
    first, last = draw(NAMES).split(" ")
    return [
        draw(st.sampled_from(["Summit", "", "=evil()", "Launch party"])),
        draw(st.sampled_from(["2024-06-05", "", "not a date", "31/31/2024"])),
        first,
        last,
        email,
        _good_csv_cell(draw),
        draw(st.sampled_from(["Attending", "Declined", "", "???"])),
        draw(st.sampled_from(["Yes", "No", "", "maybe"])),
    ]


@given(data=st.data(), pattern=st.lists(st.booleans(), min_size=1, max_size=15))
def test_attendees_csv_keeps_every_good_row_among_garbage(data: st.DataObject, pattern: list[bool]) -> None:
    text, emails = data.draw(
        st.composite(lambda draw: _mixed_csv(draw, header=ATTENDEE_HEADER, pattern=pattern, row=_attendee_row))()
    )
    raw = data.draw(st.composite(lambda draw: _encoded(draw, text))())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summit.csv"
        path.write_bytes(raw)
        records = list(AttendeesConnector(path=path).read(checkpoints={}))
        _check_types(records)
        found = {e for c in _of(records, ContactRecord) for e in c.emails}
        assert set(emails) <= found, [r for r in records if isinstance(r, Rejected)]
        attended = {p.email for a in _of(records, AttendanceRecord) for p in a.attendees}
        assert set(emails) <= attended
        _storable(records, Path(folder))


# --- ICS --------------------------------------------------------------------------------------------


def _ics_text(value: str) -> str:
    # RFC 5545 text escaping; line breaks inside a value are written as \n.
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


@st.composite
def good_event(draw: st.DrawFn, index: int) -> tuple[str, str]:
    uid = f"good-{index}@example.com"
    start = datetime(2024, 6, 1, 9, tzinfo=UTC) + timedelta(days=index)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}",
        f"DTEND:{(start + timedelta(hours=1)).strftime('%Y%m%dT%H%M%SZ')}",
        f"SUMMARY:{_ics_text(_header_value(draw(HOSTILE)))}",
        f"DESCRIPTION:{_ics_text(draw(HOSTILE).replace(chr(0), ''))}",
        f"ORGANIZER;CN={draw(NAMES)}:mailto:organiser{index}@example.com",
        f'ATTENDEE;CN="{draw(NAMES)}";PARTSTAT=ACCEPTED:mailto:guest{index}@example.com',
    ]
    lines += draw(
        st.lists(st.sampled_from(['X-WEIRD;FOO="a;b":c', "LOCATION:" + _ics_text("Room; 1, \\2"), "CATEGORIES:a,b"]))
    )
    lines.append("END:VEVENT")
    return uid, "\n".join(lines)


_BAD_EVENT = st.one_of(
    st.lists(GARBAGE_LINES, max_size=8).map(lambda lines: "\n".join(" ".join(x.splitlines()) for x in lines)),
    st.sampled_from(
        [
            "BEGIN:VEVENT\nUID:broken\nDTSTART:garbage\nEND:VEVENT",
            "BEGIN:VEVENT\nSUMMARY:no end",
            "END:VEVENT",
            "BEGIN:VEVENT\nBEGIN:VALARM\nEND:VEVENT",
            "BEGIN:VEVENT\nDTSTART:20240101\nEND:VEVENT",
            "BEGIN:VEVENT\nDTSTART;TZID=Mars/Olympus:20240101T100000\nORGANIZER:mailto:x@y.z\nEND:VEVENT",
            "BEGIN:VTODO\nEND:VEVENT",
            "BEGIN:VEVENT\nRRULE:FREQ=NEVER;COUNT=-1\nDTSTART:20240101T100000Z\nATTENDEE:mailto:a@b.c\nEND:VEVENT",
            "no colon on this line",
            ":empty name",
        ]
    ),
)


@given(data=st.data(), pattern=st.lists(st.booleans(), min_size=1, max_size=8))
def test_ics_keeps_every_good_event_among_garbage(data: st.DataObject, pattern: list[bool]) -> None:
    blocks = []
    uids = []
    for i, good in enumerate(pattern):
        if good:
            uid, block = data.draw(good_event(i))
            uids.append(uid)
        else:
            block = data.draw(_BAD_EVENT)
        blocks.append(block)
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//hostile//EN\n" + "\n".join(blocks) + "\nEND:VCALENDAR\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cal.ics"
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
        records = list(IcsConnector(path=path).read(checkpoints={}))
        _check_types(records)
        found = {a.metadata.get("uid") for a in _of(records, Activity)}
        assert set(uids) <= found, [r for r in records if isinstance(r, Rejected)]
        _storable(records, Path(folder))


# --- transcripts --------------------------------------------------------------------------------------


@st.composite
def transcript_file(draw: st.DrawFn, fmt: str) -> tuple[set[str], str]:
    """A transcript in ``fmt`` with good turns by known speakers and garbage lines or blocks between them."""
    speakers = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    turns = draw(st.lists(st.tuples(st.sampled_from(speakers), ONE_LINE), min_size=len(speakers), max_size=12))
    # Every speaker speaks at least once.
    turns = [(name, "hello") for name in speakers] + turns
    garbage = draw(st.lists(st.tuples(st.integers(0, len(turns)), GARBAGE_LINES), max_size=6))
    pieces: list[str] = []
    for i, (name, said) in enumerate(turns):
        said = said.strip() or "hm"
        if fmt == "txt":
            pieces.append(f"[00:{i // 60:02d}:{i % 60:02d}] {name}: {said}")
        elif fmt == "vtt":
            pieces.append(f"00:00:{i % 60:02d}.000 --> 00:00:{i % 60:02d}.900\n<v {name}>{said}")
        else:
            pieces.append(f"{i + 1}\n00:00:{i % 60:02d},000 --> 00:00:{i % 60:02d},900\n{name}: {said}")
        for at, junk in garbage:
            if at == i:
                junk = " ".join(junk.splitlines())
                pieces.append(junk)
    joiner = "\n" if fmt == "txt" else "\n\n"
    head = {"txt": "Title: Weekly call\nDate: 2024-06-05 10:00\n", "vtt": "WEBVTT\n\n", "srt": ""}[fmt]
    return set(speakers), head + joiner.join(pieces) + "\n"


@pytest.mark.parametrize("fmt", ["txt", "vtt", "srt"])
@given(data=st.data(), files=st.lists(st.booleans(), min_size=1, max_size=4))
def test_transcripts_keep_every_speaker_and_every_good_file(fmt: str, data: st.DataObject, files: list[bool]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "calls"
        root.mkdir()
        expected: dict[str, set[str]] = {}
        for i, good in enumerate(files):
            name = f"call-{i}.{fmt}"
            if good:
                speakers, text = data.draw(transcript_file(fmt))
                expected[name] = speakers
                (root / name).write_text(text, encoding="utf-8")
            else:
                (root / name).write_bytes(data.draw(st.binary(max_size=400)))
        records = list(TranscriptConnector(path=root).read(checkpoints={}))
        _check_types(records)
        by_file = {a.source_key: a for a in _of(records, Activity)}
        for name, speakers in expected.items():
            assert name in by_file, [r for r in records if isinstance(r, Rejected)]
            heard = {p.name for p in by_file[name].participants}
            assert speakers <= heard, (speakers, heard)
        _storable(records, Path(folder))


def test_storable_rejects_nothing_odd_in_a_plain_run(tmp_path: Path) -> None:
    """The storage check itself: a normal maildir message is stored once and reloads from the snapshot."""
    raw = b"From: a@example.com\nTo: b@example.com\nDate: Mon, 03 Jun 2024 10:00:00 +0000\nSubject: hi\n\nbody\n"
    record = parse_message(raw, source="maildir", source_key="x", now=NOW)
    assert isinstance(record, Activity)
    _storable([record], tmp_path)
    store = MemoryStore(path=tmp_path / "store.json")
    assert store.counts().nodes[NodeLabel.COMMUNICATION.value] == 1
    store.close()


def test_a_few_nul_bytes_in_a_small_csv_do_not_cost_its_rows(tmp_path: Path) -> None:
    """Found by the long run: two NULs in a 120-byte file made the whole file 'binary'."""
    path = tmp_path / "crm.csv"
    path.write_bytes(b"Full Name,E-mail,Organization\n\x00,\x00\nAa Aa,a.1@example.com,\n")
    records = list(ContactsConnector(path=path).read(checkpoints={}))
    assert [c.emails for c in _of(records, ContactRecord)] == [["a.1@example.com"]]
    binary = tmp_path / "sheet.csv"
    binary.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    [rejected] = _of(list(ContactsConnector(path=binary).read(checkpoints={})), Rejected)
    assert rejected.reason.startswith("binary file")
