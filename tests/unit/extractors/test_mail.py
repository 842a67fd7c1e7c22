"""parse_message: one raw RFC 822 message to an Activity, or a Rejected saying why."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellgraph.extractors.mail import (
    MAX_MESSAGE_BYTES,
    MAX_TEXT_CHARS,
    decode_bytes,
    decode_rfc2047,
    email_content_key,
    html_to_text,
    normalise_subject,
    parse_message,
    subject_thread_key,
)
from tellgraph.schema.model import Activity, Channel, Role, stable_id
from tellgraph.schema.records import Rejected

NOW = datetime(2024, 6, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def mail_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "mail"


def parse(raw: bytes, **kwargs: object) -> Activity | Rejected:
    kwargs.setdefault("now", NOW)
    return parse_message(raw, source="maildir", source_key="box/1", **kwargs)  # type: ignore[arg-type]


def activity(raw: bytes, **kwargs: object) -> Activity:
    record = parse(raw, **kwargs)
    assert isinstance(record, Activity), record
    return record


def rejected(raw: bytes, **kwargs: object) -> Rejected:
    record = parse(raw, **kwargs)
    assert isinstance(record, Rejected), record
    return record


def roles(record: Activity) -> list[tuple[str, str | None, str | None]]:
    return [(p.role.value, p.email, p.name) for p in record.participants]


def message(
    *,
    sender: str = "alice@example.com",
    date: str = "Mon, 03 Jun 2024 10:00:00 +0000",
    subject: str = "Hello",
    body: str = "Body text\n",
    extra: str = "",
) -> bytes:
    headers = f"From: {sender}\nTo: bob@example.com\nDate: {date}\nSubject: {subject}\n{extra}"
    return f"{headers}\n{body}".encode()


# --- rejections ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.eml", "empty file"),
        ("binary.bin", "not an RFC 822 message"),
        ("no_from.eml", "missing sender"),
        ("garbage_date.eml", "bad date: 'sometime next week, probably'"),
    ],
)
def test_fixture_rejections(mail_dir: Path, name: str, reason: str) -> None:
    record = rejected((mail_dir / name).read_bytes())
    assert record.reason.startswith(reason)
    assert record.source == "maildir"
    assert record.source_key == "box/1"


def test_the_enron_1979_date_is_rejected_with_the_date(mail_dir: Path) -> None:
    record = rejected((mail_dir / "date_1979.eml").read_bytes())
    assert "implausible date" in record.reason
    assert "1979-12-31" in record.reason


def test_missing_date_header() -> None:
    raw = b"From: a@example.com\nTo: b@example.com\nSubject: x\n\nbody\n"
    assert rejected(raw).reason == "bad date: no Date header"


def test_dates_in_the_future_are_rejected_relative_to_now() -> None:
    assert "in the future" in rejected(message(date="Thu, 13 Jun 2024 00:00:00 +0000")).reason
    # within the two days' slack (clock skew, time zones): accepted
    assert activity(message(date="Tue, 11 Jun 2024 20:00:00 +0000"))
    later = datetime(2024, 7, 1, tzinfo=UTC)
    assert isinstance(parse(message(date="Thu, 13 Jun 2024 00:00:00 +0000"), now=later), Activity)


def test_dates_before_1990_are_rejected_but_1990_is_fine() -> None:
    assert "before 1990-01-01" in rejected(message(date="Sun, 31 Dec 1989 12:00:00 +0000")).reason
    assert activity(message(date="Mon, 01 Jan 1990 12:00:00 +0000")).timestamp.year == 1990


def test_sender_without_a_valid_address_is_missing() -> None:
    assert rejected(message(sender="Just A Name")).reason == "missing sender"
    assert rejected(message(sender="undisclosed-recipients:;")).reason == "missing sender"


def test_too_large() -> None:
    raw = message(body="x" * 2000)
    assert rejected(raw, max_bytes=1000).reason.startswith("too large: ")
    huge = b"From: a@example.com\n\n" + b"x" * MAX_MESSAGE_BYTES
    assert rejected(huge).reason.startswith("too large: ")


def test_headerless_text_is_not_a_message() -> None:
    assert rejected(b"just some text\nwithout headers\n").reason == "not an RFC 822 message: no header lines"
    assert rejected(b"   \r\n\t\n").reason == "empty file"


def test_unexpected_exceptions_become_rejections(monkeypatch: pytest.MonkeyPatch) -> None:
    import tellgraph.extractors.mail as mail

    def boom(raw: bytes) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(mail, "_message", boom)
    record = rejected(message())
    assert record.reason == "parse error: RuntimeError: kaboom"


# --- participants ---------------------------------------------------------------------------------


def test_participants_names_lowercase_malformed_and_duplicates(mail_dir: Path) -> None:
    record = activity((mail_dir / "multipart_alternative.eml").read_bytes())
    assert roles(record) == [
        ("from", "anna.mueller@example.org", "Anna Müller"),
        ("to", "bob@example.com", "Bob Stone"),
        ("to", "jane@example.com", "Doe, Jane"),
        ("cc", "joerg@example.net", "Jörg Länge"),
    ]


def test_enron_x_headers_fill_names_only_when_unambiguous(mail_dir: Path) -> None:
    record = activity((mail_dir / "enron_style.eml").read_bytes())
    assert roles(record) == [
        ("from", "eric.letke@enron.com", "Eric Letke"),
        # X-To "Jennifer Medcalf, Bradford, William S <...>" has 3 commas for 2 addresses: no names
        ("to", "jennifer.medcalf@enron.com", None),
        ("to", "william.bradford@enron.com", None),
        ("cc", "james.wood@enron.com", "James M Wood"),
        ("cc", "john.woodman@enron.com", "John Woodman"),
        ("cc", "greg.sharp@enron.com", "Greg Sharp"),
        ("cc", "robert.greer@enron.com", "Robert Greer"),
        # Enron's Bcc repeats the Cc list: each person is listed once, in the visible role
    ]
    assert record.metadata["folder"] == "\\John_Arnold_Nov2001\\Notes Folders\\Sony"
    assert record.timestamp == datetime(2000, 12, 12, 19, 33, tzinfo=UTC)


def test_exchange_style_x_to_lines_up() -> None:
    extra = (
        "Cc: pete.davis@enron.com, kysa.alport@enron.com\n"
        "X-cc: Davis, Pete </O=ENRON/OU=NA/CN=RECIPIENTS/CN=PDAVIS1>, "
        "Alport, Kysa </O=ENRON/OU=NA/CN=RECIPIENTS/CN=KALPORT>\n"
        "X-From: 'Alice Example (E-mail)' <alice@example.com>\n"
    )
    record = activity(message(extra=extra))
    assert roles(record) == [
        ("from", "alice@example.com", "Alice Example"),
        ("to", "bob@example.com", None),
        ("cc", "pete.davis@enron.com", "Davis, Pete"),
        ("cc", "kysa.alport@enron.com", "Alport, Kysa"),
    ]


def test_self_sent_mail_keeps_sender_as_recipient(mail_dir: Path) -> None:
    record = activity((mail_dir / "self_sent.eml").read_bytes())
    assert roles(record) == [
        ("from", "nina@example.com", "Nina"),
        ("to", "nina@example.com", "Nina Again"),
        ("to", "oscar@example.com", None),
    ]


def test_bcc_only_recipient_is_kept() -> None:
    record = activity(message(extra="Bcc: Secret <secret@example.com>\n"))
    assert ("bcc", "secret@example.com", "Secret") in roles(record)


def test_group_syntax_and_comments_in_address_lists() -> None:
    extra = "Cc: team: one@example.com, two@example.com;, three@example.com (Three Person)\n"
    record = activity(message(extra=extra))
    cc = [(p.email, p.name) for p in record.participants if p.role is Role.CC]
    assert cc == [("one@example.com", None), ("two@example.com", None), ("three@example.com", "Three Person")]


# --- text -----------------------------------------------------------------------------------------


def test_multipart_alternative_prefers_plain_text(mail_dir: Path) -> None:
    record = activity((mail_dir / "multipart_alternative.eml").read_bytes())
    assert record.text == "Hallo Bob,\n\nschöne Grüße aus München.\nAnna"
    assert record.subject == "Re: Grüße aus München"
    assert record.channel is Channel.EMAIL
    assert record.attachments == []


def test_html_only_is_converted_to_text(mail_dir: Path) -> None:
    record = activity((mail_dir / "html_only.eml").read_bytes())
    assert record.text == "Weekly digest\n\nFirst item & more\nline one\nline two\n\nalpha\nbeta"
    assert "secret" not in record.text
    assert "color" not in record.text
    assert "Digest title" not in record.text


def test_quoted_printable_body(mail_dir: Path) -> None:
    record = activity((mail_dir / "quoted_printable.eml").read_bytes())
    assert record.text.startswith("Café meeting moved to 3pm. This is a long line that has been wrapped by")
    assert "Price: 10 €" in record.text
    assert "=C3" not in record.text


def test_base64_body_and_iso_2022_jp_subject(mail_dir: Path) -> None:
    record = activity((mail_dir / "base64.eml").read_bytes())
    assert record.text == "Base64 body: naïve résumé — 日本語\n"
    assert record.subject == "日本語"
    assert record.timestamp == datetime(2024, 3, 8, 1, 30, tzinfo=UTC)


def test_latin1_body_and_raw_8bit_headers(mail_dir: Path) -> None:
    record = activity((mail_dir / "latin1.eml").read_bytes())
    # declared iso-8859-1, but 0x93/0x94/0x96/0x80 are cp1252 punctuation and the euro sign
    assert record.text == "Voilà le résumé – “cité” coût 5 €.\n"
    assert record.subject == "Réunion “budget”"
    assert roles(record)[0] == ("from", "francois@example.fr", "François")


def test_wrong_and_unknown_declared_charsets_fall_back(mail_dir: Path) -> None:
    record = activity((mail_dir / "wrong_charset.eml").read_bytes())
    assert "Declared utf-8, really cp1252: “smart quotes” and café." in record.text
    assert "Declared ascii, really utf-8: naïve." in record.text
    assert "Unknown charset: été." in record.text
    assert "\ufffd" not in record.text


def test_attachments_are_noted_not_read(mail_dir: Path) -> None:
    record = activity((mail_dir / "attachment.eml").read_bytes())
    assert record.text == "Please find the contract attached."
    assert record.attachments == ["contract.pdf", "notes été.txt", "image/png"]
    assert "notes are an attachment" not in record.text


def test_long_text_is_truncated_and_marked() -> None:
    body = ("0123456789" * 99 + "\n") * 300  # 300,000 characters
    record = activity(message(body=body))
    assert len(record.text) == MAX_TEXT_CHARS
    assert record.metadata["truncated"] == "true"
    assert "truncated" not in activity(message()).metadata


def test_control_characters_are_stripped() -> None:
    record = activity(message(body="a\x00b\x07c\td\r\ne\n"))
    assert record.text == "abc\td\ne\n"


# --- identity, threads, metadata ---------------------------------------------------------------


def test_key_ignores_copies_line_endings_and_trailing_whitespace() -> None:
    lf = message(body="line one   \nline two\n\n\n", extra="Message-ID: <a@x>\n")
    crlf = message(body="line one\nline two", extra="Message-ID: <b@y>\n").replace(b"\n", b"\r\n")
    first, second = activity(lf), activity(crlf)
    assert first.key == second.key
    assert first.raw_hash != second.raw_hash
    assert activity(lf, folder="inbox").key == activity(lf, folder="sent").key


def test_key_changes_with_sender_time_subject_or_body() -> None:
    base = activity(message()).key
    assert activity(message(sender="ALICE@example.com")).key == base
    assert activity(message(date="Mon, 03 Jun 2024 12:00:00 +0200")).key == base  # same instant
    assert activity(message(sender="carol@example.com")).key != base
    assert activity(message(date="Mon, 03 Jun 2024 10:00:01 +0000")).key != base
    assert activity(message(subject="Re: Hello")).key != base
    assert activity(message(body="Other text\n")).key != base


def test_key_and_raw_hash_formats() -> None:
    record = activity(message())
    expected = email_content_key(
        sender="alice@example.com",
        timestamp=datetime(2024, 6, 3, 10, tzinfo=UTC),
        subject="Hello",
        body="Body text\n",
    )
    assert record.key == expected
    assert record.key.startswith("m_")
    assert record.raw_hash is not None and len(record.raw_hash) == 64


def test_thread_key_prefers_the_subject_and_keeps_the_references_root(mail_dir: Path) -> None:
    record = activity((mail_dir / "multipart_alternative.eml").read_bytes())
    # replies and the first message (which has no References) must share one thread
    assert record.thread_key == subject_thread_key(record.subject)
    assert record.metadata["thread_root"] == "<root-0@example.org>"
    assert record.metadata["in_reply_to"] == "<root-0@example.org>"
    assert record.metadata["message_id"] == "<alt-1@example.org>"
    no_subject = activity(message(subject="", extra="In-Reply-To: <parent@example.org>\n"))
    assert no_subject.thread_key == stable_id("t", "<parent@example.org>")


def test_thread_key_from_normalised_subject() -> None:
    first = activity(message(subject="Gas deal"))
    reply = activity(message(subject="RE: Fw: [ops]  GAS   Deal", sender="bob@example.com"))
    assert first.thread_key == reply.thread_key == stable_id("t", "gas deal")
    assert activity(message(subject="")).thread_key is None
    assert activity(message(subject="RE: FW:")).thread_key is None


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("RE: Fw: [ops] Gas  Deal", "gas deal"),
        ("Re[2]: AW: WG: Angebot", "angebot"),
        ("FWD: fwd:re:hello", "hello"),
        ("RE (3): [EXTERNAL] [list] Budget 2001", "budget 2001"),
        ("Réf : Sv: VS: tarif", "tarif"),
        ("Regarding: the plan", "regarding: the plan"),
        ("[tag]", ""),
        ("", ""),
    ],
)
def test_normalise_subject(subject: str, expected: str) -> None:
    assert normalise_subject(subject) == expected
    assert subject_thread_key(subject) == (stable_id("t", expected) if expected else None)


def test_takeout_gmail_headers_become_metadata() -> None:
    extra = "X-GM-THRID: 1234567890123456789\nX-Gmail-Labels: Inbox,Important,=?UTF-8?Q?Caf=C3=A9?=\n"
    record = activity(message(extra=extra))
    assert record.metadata["gmail_thread_id"] == format(1234567890123456789, "x")
    assert record.metadata["gmail_labels"] == "Inbox,Important,Café"


def test_folder_argument_wins_over_x_folder() -> None:
    record = activity(message(extra="X-Folder: \\Notes\\Inbox\n"), folder="arnold-j/inbox")
    assert record.metadata["folder"] == "arnold-j/inbox"
    assert record.metadata["x_folder"] == "\\Notes\\Inbox"


# --- helpers ---------------------------------------------------------------------------------------


def test_decode_bytes_fallbacks() -> None:
    assert decode_bytes("café".encode(), "iso-8859-1") == "café"  # mislabelled utf-8
    assert decode_bytes(b"caf\xe9", "utf-8") == "café"
    assert decode_bytes(b"\x93q\x94", None) == "“q”"
    assert decode_bytes(b"\x81\x8d", "utf-8") == "\x81\x8d"  # undefined in cp1252: Latin-1
    assert decode_bytes("日本".encode("shift_jis"), "shift_jis") == "日本"
    assert decode_bytes("日本".encode("iso-2022-jp"), "iso-2022-jp") == "日本"  # ASCII bytes, not ASCII
    assert decode_bytes(b"plain", "no-such-charset") == "plain"
    assert decode_bytes(b"x", "base64") == "x"  # a bytes codec is not a text charset


def test_decode_rfc2047_joins_split_multibyte_words() -> None:
    # "é" is c3 a9 in UTF-8; an encoder split it across two encoded words
    assert decode_rfc2047("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?= time") == "café time"
    assert decode_rfc2047("=?utf-8?b?w6k=?= and =?iso-8859-1?q?=E9?=") == "é and é"
    assert decode_rfc2047("=?utf-8?b?!!!?=") != ""
    assert decode_rfc2047("no encoded words") == "no encoded words"


def test_html_to_text_keeps_structure() -> None:
    html = "<div>One</div><div>Two<br>Three</div><pre>  keep\n    spacing</pre><table><tr><td>a</td></tr></table>"
    assert html_to_text(html) == "One\n\nTwo\nThree\n\n  keep\n    spacing\n\na"
    assert html_to_text("<script>alert(1)</script>x &lt;y&gt;") == "x <y>"
    assert html_to_text("<p>unclosed <b>tags") == "unclosed tags"


def test_a_real_enron_file(shared_data: Path) -> None:
    raw = (shared_data / "enron" / "maildir" / "arnold-j" / "sony" / "1").read_bytes()
    record = activity(raw, folder="arnold-j/sony")
    assert roles(record)[:3] == [
        ("from", "eric.letke@enron.com", "Eric Letke"),
        ("to", "jennifer.medcalf@enron.com", "Jennifer Medcalf"),
        ("to", "william.bradford@enron.com", "William S Bradford"),
    ]
    assert [p.role for p in record.participants].count(Role.BCC) == 0
    assert record.subject == "Urgent - Sony"
    assert record.text.startswith("Bill, were you able to talk with Sony's Treasurer today?")
    assert record.metadata["folder"] == "arnold-j/sony"


# --- properties -----------------------------------------------------------------------------------

_header_names = st.sampled_from(
    ["From", "To", "Cc", "Bcc", "Date", "Subject", "Content-Type", "Content-Transfer-Encoding",
     "References", "In-Reply-To", "X-From", "X-To", "X-cc", "Message-ID", "MIME-Version", "X-GM-THRID"]
)  # fmt: skip
_header_values = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "a@b.com",
            '"x, y" <X@Y.org>, , bad',
            "Mon, 03 Jun 2024 10:00:00 +0000",
            "Mon, 31 Dec 1979 16:00:00 -0800",
            "Fri, 31 Dec 9999 23:59:59 -1200",
            "multipart/alternative; boundary=b",
            "multipart/mixed",
            "text/html; charset=utf-16",
            "base64",
            "quoted-printable",
            "=?utf-8?b?w6k=?=",
            "=?bogus?q?=FF?=",
            "<a@b> <c@d>",
        ]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    record = parse(raw)
    assert isinstance(record, Activity | Rejected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_header_names, _header_values), max_size=12),
    st.binary(max_size=500),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_random_headers_never_raise(headers: list[tuple[str, str]], body: bytes, newline: bytes) -> None:
    head = newline.join(f"{name}: {value}".encode("utf-8", "surrogatepass") for name, value in headers)
    raw = b"From: sender@example.com" + newline + head + newline + newline + body
    record = parse(raw)
    assert isinstance(record, Activity | Rejected)
    if isinstance(record, Activity):
        assert record.participants[0].role is Role.FROM
        assert len(record.text) <= MAX_TEXT_CHARS


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
def test_key_is_stable_across_line_endings(body: str) -> None:
    lf = message(body=body.replace("\r", ""))
    crlf = lf.replace(b"\n", b"\r\n")
    first, second = parse(lf), parse(crlf)
    assert isinstance(first, Activity) and isinstance(second, Activity)
    assert first.key == second.key
