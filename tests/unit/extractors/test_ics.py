"""iCalendar connector: Outlook and Google exports, time zones, recurrence, updates, bad input."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellgraph.extractors.base import Connector
from tellgraph.extractors.ics import IcsConnector, meeting_key
from tellgraph.schema.model import MAX_TEXT_LENGTH, Activity, Channel, Role
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected, SourceRecord

ALLOWED = (Activity, ContactRecord, AttendanceRecord, Rejected, CheckpointMark)


def read(path: Path, checkpoints: dict[str, str] | None = None) -> list[SourceRecord]:
    return list(IcsConnector(path=path).read(checkpoints=checkpoints or {}))


def activities(records: list[SourceRecord]) -> list[Activity]:
    return [r for r in records if isinstance(r, Activity)]


def rejected(records: list[SourceRecord]) -> list[Rejected]:
    return [r for r in records if isinstance(r, Rejected)]


def marks(records: list[SourceRecord]) -> list[CheckpointMark]:
    return [r for r in records if isinstance(r, CheckpointMark)]


def calendar(*events: str, extra: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\n{event.strip()}\nEND:VEVENT\n" for event in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{extra}{body}END:VCALENDAR\n"


def write(tmp_path: Path, content: str | bytes, name: str = "cal.ics") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content.replace("\n", "\r\n"), encoding="utf-8", newline="")
    return path


MEETING = """
UID:meeting-1@example.com
DTSTART:20240605T170000Z
DTEND:20240605T180000Z
SUMMARY:Pilot review
ORGANIZER;CN=Jane Example:mailto:jane@example.com
ATTENDEE;PARTSTAT=ACCEPTED;CN=Bob Roe:mailto:bob@example.com
"""


# --- fixtures -------------------------------------------------------------------------


def test_outlook_invite(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "ics" / "outlook-invite.ics")
    (meeting,) = activities(records)
    assert meeting.channel is Channel.MEETING
    assert meeting.source == "ics"
    # 10:00 Pacific Daylight Time (Windows zone name, VTIMEZONE in the file) is 17:00 UTC.
    assert meeting.timestamp == datetime(2024, 6, 11, 17, 0, tzinfo=UTC)
    assert meeting.subject == "Northwind pilot – scoping"
    assert meeting.event_name == "Northwind pilot – scoping"
    assert meeting.text.startswith("Agenda:\n1. Pilot scope\n2. Pricing, terms and timeline")
    roles = [(p.role, p.email, p.name, p.response) for p in meeting.participants]
    assert roles == [
        (Role.ORGANIZER, "jane.example@acme.example", "Example, Jane", None),
        (Role.ATTENDEE, "priya.raman@northwind.example", "Priya Raman", "accepted"),
        (Role.ATTENDEE, "tomas.olsen@globex.example", "Tomás Olsen", "tentative"),
        (Role.ATTENDEE, "hal.bright@acme.example", "Hal Bright", "needs-action"),
    ]  # the room is left out; the organiser listed again as attendee appears once
    assert meeting.metadata["sequence"] == "1"
    assert meeting.metadata["status"] == "confirmed"
    assert meeting.metadata["dtend"] == "2024-06-11T18:00:00+00:00"
    assert meeting.metadata["location"] == "Conf Room 4B (8); Microsoft Teams Meeting"
    assert meeting.metadata["uid"].startswith("040000008200E00074C5B7101A82E008")
    assert "room/resource" in meeting.metadata["warnings"]
    assert meeting.key == meeting_key(meeting.metadata["uid"], meeting.timestamp)
    assert [m.cursor.split("@")[0] for m in marks(records)] == ["done"]


def test_google_calendar_export(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "ics" / "google-calendar.ics")
    meetings = {(m.subject, m.timestamp): m for m in activities(records)}
    assert len(meetings) == 4
    reasons = sorted(r.reason for r in rejected(records))
    assert len(reasons) == 2
    assert reasons[0].startswith("cancelled: event 'Globex intro (cancelled)' on 2024-05-22")
    assert reasons[1] == "event 'Focus time' has no organizer and no attendees"

    series = meetings[("Jane / Hal 1:1", datetime(2024, 5, 7, 13, 30, tzinfo=UTC))]
    assert series.metadata["recurrence"] == "FREQ=WEEKLY;BYDAY=TU"
    # CN equal to the address is not a name.
    assert [(p.email, p.name) for p in series.participants] == [
        ("jane.example@acme.example", "Jane Example"),
        ("hal.bright@acme.example", None),
    ]
    moved = meetings[("Jane / Hal 1:1", datetime(2024, 5, 15, 18, 0, tzinfo=UTC))]
    assert moved.metadata["recurrence_id"] == "2024-05-14T13:30:00+00:00"
    assert moved.key == meeting_key("5v3k1q9h7n2m4c6b8x0z@google.com", datetime(2024, 5, 14, 13, 30, tzinfo=UTC))
    assert moved.key != series.key
    assert moved.thread_key == series.thread_key
    assert moved.participants[1].response == "declined"

    qbr = meetings[("Northwind QBR", datetime(2024, 5, 20, 17, 0, tzinfo=UTC))]
    assert qbr.metadata["location"] == "Northwind HQ, 12th floor"
    names = [p.name for p in qbr.participants]
    assert "Robert'); MATCH (n) DETACH DELETE n; //" in names  # injection text is just a name
    assert all("resource.calendar.google.com" not in (p.email or "") for p in qbr.participants)

    offsite = meetings[("Team offsite", datetime(2024, 6, 12, tzinfo=UTC))]  # all-day: UTC midnight
    assert offsite.metadata["dtend"] == "2024-06-14T00:00:00+00:00"


def test_folder_of_calendars(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "ics")
    assert [m.stream for m in marks(records)] == ["google-calendar.ics", "outlook-invite.ics"]
    assert len(activities(records)) == 5


def test_connector_protocol(fixtures_dir: Path) -> None:
    connector = IcsConnector(path=fixtures_dir / "ics")
    assert isinstance(connector, Connector)
    assert connector.kind == "ics"


# --- semantics ------------------------------------------------------------------------


def test_floating_time_and_unknown_zone_are_utc(tmp_path: Path) -> None:
    floating = MEETING.replace("DTSTART:20240605T170000Z", "DTSTART:20240605T090000").replace(
        "DTEND:20240605T180000Z\n", ""
    )
    unknown = MEETING.replace("meeting-1", "meeting-2").replace(
        "DTSTART:20240605T170000Z", "DTSTART;TZID=Mars/Olympus_Mons:20240605T090000"
    )
    meetings = activities(read(write(tmp_path, calendar(floating, unknown))))
    assert [m.timestamp for m in meetings] == [datetime(2024, 6, 5, 9, 0, tzinfo=UTC)] * 2
    assert "unknown time zone 'Mars/Olympus_Mons'" in meetings[1].metadata["warnings"]


def test_iana_zone_is_converted(tmp_path: Path) -> None:
    event = MEETING.replace("DTSTART:20240605T170000Z", "DTSTART;TZID=Europe/Berlin:20240105T090000")
    (meeting,) = activities(read(write(tmp_path, calendar(event))))
    assert meeting.timestamp == datetime(2024, 1, 5, 8, 0, tzinfo=UTC)


def test_recurrence_is_not_expanded(tmp_path: Path) -> None:
    event = MEETING + "RRULE:FREQ=DAILY;COUNT=30\n"
    (meeting,) = activities(read(write(tmp_path, calendar(event))))
    assert meeting.metadata["recurrence"] == "FREQ=DAILY;COUNT=30"


def test_later_sequence_wins_within_a_file(tmp_path: Path) -> None:
    old = MEETING + "SEQUENCE:0\nLOCATION:Room A\n"
    new = MEETING + "SEQUENCE:2\nLOCATION:Room B\n"
    (meeting,) = activities(read(write(tmp_path, calendar(new, old))))
    assert meeting.metadata["location"] == "Room B"
    assert meeting.metadata["sequence"] == "2"


def test_reexport_and_update_keep_the_same_key(tmp_path: Path) -> None:
    write(tmp_path, calendar(MEETING + "SEQUENCE:0\n"), "a-first-export.ics")
    write(tmp_path, calendar(MEETING + "SEQUENCE:3\nDESCRIPTION:updated agenda\n"), "b-later-export.ics")
    first, later = activities(read(tmp_path))
    assert first.key == later.key
    assert later.metadata["sequence"] == "3"
    assert first.source_key != later.source_key


def test_cancellation_after_invitation_is_rejected(tmp_path: Path) -> None:
    records = read(write(tmp_path, calendar(MEETING + "SEQUENCE:0\n", MEETING + "SEQUENCE:1\nSTATUS:CANCELLED\n")))
    assert not activities(records)
    assert rejected(records)[0].reason.startswith("cancelled:")


def test_method_cancel_calendar(tmp_path: Path) -> None:
    records = read(write(tmp_path, calendar(MEETING, extra="METHOD:CANCEL\n")))
    assert not activities(records)
    assert rejected(records)[0].reason.startswith("cancelled:")


def test_event_without_dtstart_is_rejected(tmp_path: Path) -> None:
    event = MEETING.replace("DTSTART:20240605T170000Z\n", "")
    (bad,) = rejected(read(write(tmp_path, calendar(event, MEETING.replace("meeting-1", "meeting-3")))))
    assert bad.reason == "event 'Pilot review' has no usable DTSTART"
    assert bad.source_key == "cal.ics:event 1"


def test_unreadable_dtstart_is_rejected(tmp_path: Path) -> None:
    event = MEETING.replace("DTSTART:20240605T170000Z", "DTSTART:tomorrow-ish")
    (bad,) = rejected(read(write(tmp_path, calendar(event))))
    assert "no usable DTSTART" in bad.reason


def test_event_without_people_is_rejected(tmp_path: Path) -> None:
    event = "UID:x\nDTSTART:20240605T170000Z\nSUMMARY:Solo"
    (bad,) = rejected(read(write(tmp_path, calendar(event))))
    assert bad.reason == "event 'Solo' has no organizer and no attendees"


def test_missing_uid_still_gets_a_stable_key(tmp_path: Path) -> None:
    event = MEETING.replace("UID:meeting-1@example.com\n", "")
    first = activities(read(write(tmp_path, calendar(event), "a.ics")))[0]
    second = activities(read(write(tmp_path, calendar(event), "b.ics")))[0]
    assert first.key == second.key
    assert "no UID" in first.metadata["warnings"]


def test_cn_only_address_and_control_characters(tmp_path: Path) -> None:
    event = (
        MEETING.replace("SUMMARY:Pilot review", "SUMMARY:Pilot\x07 review")
        + "ATTENDEE;CN=carol@example.com:mailto:\n"
        + 'ATTENDEE;CN="Da\x07ve":mailto:dave@example.com\n'
    )
    (meeting,) = activities(read(write(tmp_path, calendar(event))))
    emails = {p.email: p.name for p in meeting.participants}
    assert emails["carol@example.com"] is None
    assert meeting.subject == "Pilot review"
    # icalendar cannot parse a parameter holding a control character: the line is skipped, and said so.
    assert "dave@example.com" not in emails
    assert "skipped unreadable line" in meeting.metadata["warnings"]


def test_huge_description_is_capped(tmp_path: Path) -> None:
    event = MEETING + "DESCRIPTION:" + "a" * 100_000 + "\n"
    (meeting,) = activities(read(write(tmp_path, calendar(event))))
    assert len(meeting.text) == MAX_TEXT_LENGTH


# --- bad files ------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    records = read(write(tmp_path, ""))
    assert [r.reason for r in rejected(records)] == ["empty file"]
    assert len(marks(records)) == 1


def test_binary_file(tmp_path: Path) -> None:
    assert "binary" in rejected(read(write(tmp_path, b"\x00\x01\x02\xff" * 100)))[0].reason


def test_not_icalendar(tmp_path: Path) -> None:
    assert "not a valid iCalendar file" in rejected(read(write(tmp_path, "hello world\n")))[0].reason


def test_calendar_without_events(tmp_path: Path) -> None:
    assert rejected(read(write(tmp_path, calendar())))[0].reason == "no VEVENT in the calendar"


def test_bom_and_cp1252(tmp_path: Path) -> None:
    bom = write(tmp_path, b"\xef\xbb\xbf" + calendar(MEETING).encode(), "bom.ics")
    assert len(activities(read(bom))) == 1
    cp = write(tmp_path, calendar(MEETING.replace("Pilot review", "Café review")).encode("cp1252"), "cp.ics")
    assert activities(read(cp))[0].subject == "Café review"


def test_done_checkpoint_skips_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, calendar(MEETING))
    (mark,) = marks(read(path))
    assert read(path, {mark.stream: mark.cursor}) == []


# --- fuzzing --------------------------------------------------------------------------


def _fuzz(data: bytes) -> list[SourceRecord]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.ics"
        path.write_bytes(data)
        return read(path)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(data))


_PROPERTY = st.tuples(
    st.sampled_from(
        [
            "DTSTART",
            "DTEND",
            "UID",
            "SUMMARY",
            "ORGANIZER",
            "ATTENDEE",
            "RRULE",
            "STATUS",
            "SEQUENCE",
            "DURATION",
        ]
    ),
    st.sampled_from(["", ";TZID=Europe/Paris", ";VALUE=DATE", ";CN=Someone", ";PARTSTAT=ACCEPTED", ';X="a;b"']),
    st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=30),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_PROPERTY, max_size=8), max_size=4))
def test_random_events_never_raise(events: list[list[tuple[str, str, str]]]) -> None:
    text = calendar(*["\n".join(f"{name}{params}:{value}" for name, params, value in props) for props in events])
    assert all(isinstance(r, ALLOWED) for r in _fuzz(text.encode("utf-8")))


@pytest.mark.parametrize("value", ["20240605", "20240605T090000", "20240605T090000Z", "garbage", ""])
def test_dtstart_variants_never_raise(tmp_path: Path, value: str) -> None:
    event = MEETING.replace("DTSTART:20240605T170000Z", f"DTSTART:{value}")
    assert all(isinstance(r, ALLOWED) for r in read(write(tmp_path, calendar(event))))
