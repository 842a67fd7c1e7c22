"""Event attendee-list connector: grouping, statuses, contacts, bad input, fuzzing."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellgraph.extractors.attendees import AttendeesConnector, event_key, normalise_status
from tellgraph.extractors.base import Connector
from tellgraph.schema.model import Activity, Role, stable_id
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected, SourceRecord

ALLOWED = (Activity, ContactRecord, AttendanceRecord, Rejected, CheckpointMark)


def read(
    path: Path,
    *,
    event_name: str | None = None,
    event_date: date | None = None,
    checkpoints: dict[str, str] | None = None,
) -> list[SourceRecord]:
    connector = AttendeesConnector(path=path, event_name=event_name, event_date=event_date)
    return list(connector.read(checkpoints=checkpoints or {}))


def attendance(records: list[SourceRecord]) -> list[AttendanceRecord]:
    return [r for r in records if isinstance(r, AttendanceRecord)]


def contacts(records: list[SourceRecord]) -> list[ContactRecord]:
    return [r for r in records if isinstance(r, ContactRecord)]


def rejected(records: list[SourceRecord]) -> list[Rejected]:
    return [r for r in records if isinstance(r, Rejected)]


def marks(records: list[SourceRecord]) -> list[CheckpointMark]:
    return [r for r in records if isinstance(r, CheckpointMark)]


def write(tmp_path: Path, content: str | bytes, name: str = "list.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --- fixtures -------------------------------------------------------------------------


def test_eventbrite_style_list_with_event_from_constructor(fixtures_dir: Path) -> None:
    records = read(
        fixtures_dir / "attendees" / "summit-2024-attendees.csv",
        event_name="Relationship Summit 2024",
        event_date=date(2024, 5, 14),
    )
    (event,) = attendance(records)
    assert event.event_name == "Relationship Summit 2024"
    assert event.event_key == stable_id("e", "relationship summit 2024", "2024-05-14")
    assert event.starts_at == datetime(2024, 5, 14, tzinfo=UTC)
    people = [(p.role, p.email, p.name, p.response) for p in event.attendees]
    assert people == [
        (Role.ATTENDEE, "priya.raman@northwind.example", "Priya Raman", "attended"),  # duplicate row merged
        (Role.ATTENDEE, "tomas.olsen@globex.example", "Tomás Olsen", "attended"),
        (Role.ATTENDEE, "mei.looper@vintner.example", "Mei Looper", "registered"),
        (Role.ATTENDEE, "chris.nakamura@example.org", "Chris Nakamura", "declined"),
    ]
    cards = contacts(records)
    assert len(cards) == 5
    tomas = next(c for c in cards if c.name == "Tomás Olsen")
    assert (tomas.title, tomas.company_name, tomas.emails) == (
        "VP, Engineering",
        "Globex",
        ["tomas.olsen@globex.example"],
    )
    assert tomas.metadata["event_key"] == event.event_key
    (bad,) = rejected(records)
    assert bad.reason == "line 6: no attendee name and no valid e-mail"
    assert isinstance(records[-1], CheckpointMark)
    assert records[-1].cursor.startswith("done@")
    assert isinstance(records[-2], AttendanceRecord)  # attendance comes once the file is complete


def test_event_name_falls_back_to_file_name(fixtures_dir: Path) -> None:
    (event,) = attendance(read(fixtures_dir / "attendees" / "summit-2024-attendees.csv"))
    assert event.event_name == "summit 2024 attendees"
    assert event.starts_at is None
    assert event.event_key == event_key("Summit 2024  Attendees", None)


def test_event_and_date_columns_group_rows(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "attendees" / "meetups.csv")
    first, second = attendance(records)
    assert (first.event_name, first.starts_at) == ("Data Breakfast #12", datetime(2024, 3, 7, tzinfo=UTC))
    assert first.location == "Cafe Lumen"
    assert [(p.name, p.response) for p in first.attendees] == [
        ("Jane Example", "registered"),
        ("Hal Bright", "tentative"),
    ]
    assert (second.event_name, second.starts_at) == ("Data Breakfast #13", datetime(2024, 4, 7, tzinfo=UTC))
    assert second.event_key == event_key("data breakfast #13", date(2024, 4, 7))
    assert [(p.name, p.response) for p in second.attendees] == [
        ("Jane Example", "declined"),
        ("Dana Whitfield", "registered"),
    ]
    dana = next(c for c in contacts(records) if c.name == "Dana Whitfield")
    assert dana.company_name == "Stark Industries, Ltd."


def test_constructor_overrides_columns(fixtures_dir: Path) -> None:
    records = read(
        fixtures_dir / "attendees" / "meetups.csv", event_name="Breakfast series", event_date=date(2024, 1, 1)
    )
    (event,) = attendance(records)
    assert len(event.attendees) == 3  # Jane appears once, with her strongest response


def test_event_datetime_sets_start_time(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Email\nJane,jane@example.com\n")
    (event,) = attendance(read(path, event_name="Launch", event_date=datetime(2024, 6, 1, 18, 30)))
    assert event.starts_at == datetime(2024, 6, 1, 18, 30, tzinfo=UTC)
    assert event.event_key == event_key("Launch", date(2024, 6, 1))


def test_connector_protocol(fixtures_dir: Path) -> None:
    connector = AttendeesConnector(path=fixtures_dir / "attendees")
    assert isinstance(connector, Connector)
    assert connector.kind == "attendees"


@pytest.mark.parametrize(
    ("status", "checked_in", "expected"),
    [
        ("Attending", "Yes", "attended"),
        ("Attending", "No", "registered"),
        ("Registered", "2024-05-14 09:12", "attended"),
        ("Not going", None, "declined"),
        ("No-show", None, "no-show"),
        ("Waitlisted", "", "waitlisted"),
        ("VIP guest", None, "vip guest"),
        (None, None, None),
    ],
)
def test_normalise_status(status: str | None, checked_in: str | None, expected: str | None) -> None:
    assert normalise_status(status, checked_in) == expected


# --- bad input ------------------------------------------------------------------------


def test_empty_binary_and_headerless(tmp_path: Path) -> None:
    assert rejected(read(write(tmp_path, "", "a.csv")))[0].reason == "empty file"
    assert "binary" in rejected(read(write(tmp_path, b"PK\x03\x04\x00\x00", "b.csv")))[0].reason
    reason = rejected(read(write(tmp_path, "Ticket,Price\nGA,10\n", "c.csv")))[0].reason
    assert "no attendee name or e-mail column" in reason


def test_bom_cp1252_and_semicolons(tmp_path: Path) -> None:
    body = "Name;E-mail;Organisation\nJürgen Müller;j.mueller@example.de;Müller & Söhne\n"
    records = read(write(tmp_path, body.encode("cp1252")), event_name="Messe")
    (card,) = contacts(records)
    assert (card.name, card.company_name) == ("Jürgen Müller", "Müller & Söhne")
    assert "cp1252" in card.metadata["warnings"]
    bom = write(tmp_path, "\ufeffEmail,Name\nann@example.com,Ann\n".encode(), "bom.csv")
    assert attendance(read(bom, event_name="X"))[0].attendees[0].email == "ann@example.com"


def test_broken_quote_and_invalid_email(tmp_path: Path) -> None:
    body = (
        "Name,Email,Company,Title\n"
        'Ann,ann@example.com,"Acme,CEO\n'
        "Bob,bob(at)example.com,Globex,CTO\n"
        "Cat,cat@example.com,Initech,CFO\n"
    )
    records = read(write(tmp_path, body), event_name="Dinner")
    assert "unbalanced quote" in rejected(records)[0].reason
    (event,) = attendance(records)
    assert [(p.name, p.email) for p in event.attendees] == [("Bob", None), ("Cat", "cat@example.com")]
    bob = next(c for c in contacts(records) if c.name == "Bob")
    assert "invalid email" in bob.metadata["warnings"]


def test_formula_and_injection_strings(tmp_path: Path) -> None:
    evil = "Robert'); MATCH (n) DETACH DELETE n; //"
    body = f'Name,Email,Company\n"{evil}",bobby@example.com,"=HYPERLINK(""http://x"")"\n'
    records = read(write(tmp_path, body), event_name="Meetup")
    (card,) = contacts(records)
    assert card.name == evil
    assert card.company_name == '=HYPERLINK("http://x")'
    assert "formula-like" in card.metadata["warnings"]
    assert attendance(records)[0].attendees[0].name == evil


def test_huge_field(tmp_path: Path) -> None:
    body = "Name,Email,Title\nJane,jane@example.com," + "T" * 250_000 + "\n"
    (card,) = contacts(read(write(tmp_path, body), event_name="Big"))
    assert card.title is not None
    assert len(card.title) == 300


def test_no_row_checkpoints_and_done_skips(tmp_path: Path) -> None:
    rows = "".join(f"Person {i},p{i}@example.com\n" for i in range(1500))
    path = write(tmp_path, "Name,Email\n" + rows)
    records = read(path, event_name="Big")
    assert [m.cursor.split("@")[0] for m in marks(records)] == ["done"]
    assert len(attendance(records)[0].attendees) == 1500
    assert read(path, event_name="Big", checkpoints={"list.csv": marks(records)[0].cursor}) == []


# --- fuzzing --------------------------------------------------------------------------


def _fuzz(data: bytes) -> list[SourceRecord]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        return read(path)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(data))


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_random_text_never_raises(text: str) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(text.encode("utf-8", "surrogatepass")))


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=30), max_size=9), max_size=20))
def test_random_rows_under_a_real_header_never_raise(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Event", "Date", "First Name", "Last Name", "Email", "Company", "Job Title", "Status", "Checked In"]
    )
    writer.writerows(rows)
    records = _fuzz(buffer.getvalue().encode("utf-8", "surrogatepass"))
    assert all(isinstance(r, ALLOWED) for r in records)
    assert isinstance(records[-1], CheckpointMark)
