"""Event attendee lists (CSV exports from Eventbrite, Luma, Hopin, a spreadsheet...) as attendance.

Each file yields a :class:`ContactRecord` per attendee (carrying title and company,
so the ingest service can add WORKS_AT) and, at the end of the file, one
:class:`AttendanceRecord` per event listing every attendee. A list normally holds
one event; when it has an ``Event`` column, rows are grouped by event name and date.

Because the attendance is only complete at the end of the file, attendee lists get
no intermediate row checkpoints: a file is the unit of resumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING

from tellgraph.extractors.contacts import (
    MAX_NOTE_CHARS,
    CsvBadRow,
    CsvRow,
    CsvTable,
    SourceFile,
    clean_name,
    clean_value,
    extract_emails,
    header_key,
    iter_source_files,
    midnight_utc,
    parse_datetime,
    read_csv_table,
    resumable,
    row_warnings,
    safe_record,
)
from tellgraph.schema.model import Participant, Role, as_utc, stable_id
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

__all__ = ["AttendeesConnector", "event_key", "normalise_status"]

_COLUMNS: dict[str, str] = {
    **dict.fromkeys(
        ("name", "fullname", "attendeename", "attendee", "registrantname", "guestname", "contactname"), "name"
    ),
    **dict.fromkeys(("firstname", "first", "givenname"), "first_name"),
    **dict.fromkeys(("lastname", "last", "surname", "familyname"), "last_name"),
    **dict.fromkeys(
        ("email", "emailaddress", "attendeeemail", "registrantemail", "guestemail", "workemail", "mail"),
        "email",
    ),
    **dict.fromkeys(
        ("company", "companyname", "organization", "organisation", "org", "employer", "affiliation"),
        "company",
    ),
    **dict.fromkeys(("title", "jobtitle", "position", "role"), "title"),
    **dict.fromkeys(
        (
            "status",
            "registrationstatus",
            "attendeestatus",
            "rsvp",
            "rsvpstatus",
            "response",
            "approvalstatus",
            "ticketstatus",
        ),
        "status",
    ),
    **dict.fromkeys(
        ("checkin", "checkedin", "checkinstatus", "attended", "attendance", "checkedintime", "checkintime"),
        "checked_in",
    ),
    **dict.fromkeys(("event", "eventname", "eventtitle", "session", "sessionname"), "event"),
    **dict.fromkeys(("date", "eventdate", "startdate", "start", "eventstart", "starttime"), "date"),
    **dict.fromkeys(("location", "venue", "eventlocation"), "location"),
}

# Many export vocabularies → a few responses, so "Checked In", "attended" and "Yes" agree.
_STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("checkedin", "checkin", "attended", "present", "yes", "y", "true", "1", "scanned", "arrived"),
        "attended",
    ),
    **dict.fromkeys(
        (
            "registered",
            "attending",
            "confirmed",
            "going",
            "approved",
            "accepted",
            "booked",
            "ticketed",
            "active",
        ),
        "registered",
    ),
    **dict.fromkeys(("invited", "pending", "needsaction", "awaitingresponse"), "invited"),
    **dict.fromkeys(("maybe", "tentative", "interested"), "tentative"),
    **dict.fromkeys(("declined", "notgoing", "cancelled", "canceled", "refunded", "rejected", "withdrawn"), "declined"),
    **dict.fromkeys(("noshow", "absent", "didnotattend", "no", "n", "false", "0"), "no-show"),
    **dict.fromkeys(("waitlist", "waitlisted", "waiting", "waitinglist"), "waitlisted"),
}
_RANK = {
    "attended": 6,
    "registered": 5,
    "tentative": 4,
    "invited": 3,
    "waitlisted": 2,
    "declined": 1,
    "no-show": 0,
}


def normalise_status(status: str | None, checked_in: str | None = None) -> str | None:
    """One response word from a registration status and a check-in cell.

    ``attended``, ``registered``, ``invited``, ``tentative``, ``declined``,
    ``no-show`` or ``waitlisted``; an unknown status is kept lower-cased. A check-in
    cell that says yes (or holds a check-in time) wins over the registration status.
    """
    if checked_in and checked_in.strip():
        word = _STATUS_WORDS.get(header_key(checked_in))
        if word == "attended" or (word is None and parse_datetime(checked_in) is not None):
            return "attended"
    if not status or not status.strip():
        return None
    return _STATUS_WORDS.get(header_key(status), clean_name(status.lower(), limit=40))


def _normalise_event_name(name: str) -> str:
    return " ".join(name.casefold().split())


def event_key(name: str, day: date | None) -> str:
    """The event's identity: its normalised name and date, so every list of the same event agrees."""
    return stable_id("e", _normalise_event_name(name), day.isoformat() if day else "")


@dataclass
class _Event:
    name: str
    day: date | None
    starts_at: datetime | None
    location: str | None = None
    attendees: dict[str, Participant] = field(default_factory=dict)

    def add(self, person: Participant) -> None:
        identity = person.email or f"name:{(person.name or '').casefold()}"
        known = self.attendees.get(identity)
        if known is None or _RANK.get(person.response or "", -1) > _RANK.get(known.response or "", -1):
            # The same person listed twice (registered, then checked in): keep the strongest response.
            self.attendees[identity] = person


class AttendeesConnector:
    """Reads event attendee lists (CSV) as attendance plus one contact per attendee.

    The event comes from the constructor, else from ``Event``/``Date`` columns,
    else from the file name (``summit-2024-attendees.csv`` → ``summit 2024
    attendees``). ``event_key`` is ``stable_id("e", normalised name, date iso)``.
    Attendees are :attr:`Role.ATTENDEE` participants whose ``response`` is the
    normalised status (see :func:`normalise_status`); declined and no-show rows
    are kept with that response so the ingest service can decide what they mean.
    A row with neither a name nor a valid e-mail is rejected.
    """

    kind = "attendees"

    def __init__(self, *, path: Path, event_name: str | None = None, event_date: date | None = None) -> None:
        """Args:
        path: a CSV file or a folder of them.
        event_name: the event every row belongs to (overrides an Event column).
        event_date: its date (overrides a Date column); a datetime also sets the start time.
        """
        self._path = path
        self._event_name = clean_name(event_name)
        self._event_date = event_date

    @property
    def location(self) -> str:
        """The resolved path being read."""
        return str(self._path.resolve())

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield attendee contacts and rejections as rows are read, then the file's attendance records."""
        for item in iter_source_files(
            root=self._path, kind=self.kind, suffixes={".csv", ".tsv"}, checkpoints=checkpoints
        ):
            if isinstance(item, SourceFile):
                yield from self._read_file(item)
                yield item.done_mark()
            else:
                yield item

    def _read_file(self, file: SourceFile) -> Iterator[SourceRecord]:
        table = read_csv_table(file.text)
        if isinstance(table, str):
            yield Rejected(source=self.kind, source_key=file.where(), reason=file.explain(table))
            return
        columns = {key: _COLUMNS[key.partition("#")[0]] for key in table.keys if key.partition("#")[0] in _COLUMNS}
        if not {"name", "first_name", "last_name", "email"} & set(columns.values()):
            yield Rejected(
                source=self.kind,
                source_key=file.where(),
                reason=file.explain(
                    f"no attendee name or e-mail column in the header ({', '.join(table.columns)[:300]})"
                ),
            )
            return
        events: dict[str, _Event] = {}
        for item in resumable(table.rows, file=file, every=None):
            if isinstance(item, CheckpointMark):
                continue  # never produced with every=None; the file is the unit of resumption
            if isinstance(item, CsvBadRow):
                yield Rejected(source=self.kind, source_key=file.where(item.line), reason=item.reason)
                continue
            yield self._row(item, table=table, columns=columns, file=file, events=events)
        for key, event in events.items():
            if not event.attendees:
                continue
            yield safe_record(
                partial(
                    AttendanceRecord,
                    source=self.kind,
                    source_key=f"{file.stream}#{key}",
                    event_key=key,
                    event_name=event.name,
                    starts_at=event.starts_at,
                    location=event.location,
                    attendees=list(event.attendees.values()),
                ),
                source=self.kind,
                source_key=file.where(),
            )

    def _event_for(self, row_event: str | None, row_date: str | None, file: SourceFile) -> tuple[str, _Event]:
        name = self._event_name or clean_name(row_event) or _name_from_file(file)
        starts_at: datetime | None = None
        day: date | None = None
        if self._event_date is not None:
            if isinstance(self._event_date, datetime):
                starts_at = as_utc(self._event_date)
                day = starts_at.date()
            else:
                day = self._event_date
                starts_at = midnight_utc(day)
        elif row_date and (parsed := parse_datetime(row_date)) is not None:
            starts_at, day = parsed, parsed.date()
        return event_key(name, day), _Event(name=name, day=day, starts_at=starts_at)

    def _row(
        self,
        row: CsvRow,
        *,
        table: CsvTable,
        columns: Mapping[str, str],
        file: SourceFile,
        events: dict[str, _Event],
    ) -> ContactRecord | Rejected:
        where = file.where(row.line)
        cells: dict[str, str] = {}
        for key, target in columns.items():
            value = clean_value(row.get(key))
            if value and target not in cells:
                cells[target] = value
        warnings: list[str] = []
        name = clean_name(cells.get("name")) or clean_name(
            " ".join(part for part in (cells.get("first_name"), cells.get("last_name")) if part)
        )
        emails, invalid = extract_emails(cells.get("email"))
        warnings.extend(f"invalid email {bad[:100]!r} dropped" for bad in invalid)
        if not name and not emails:
            return Rejected(
                source=self.kind,
                source_key=where,
                reason=f"line {row.line}: no attendee name and no valid e-mail"
                + (f" ({'; '.join(warnings)})" if warnings else ""),
            )
        if cells.get("date") and self._event_date is None and parse_datetime(cells["date"]) is None:
            warnings.append(f"unreadable event date {cells['date'][:40]!r}; event keyed without a date")
        key, fresh = self._event_for(cells.get("event"), cells.get("date"), file)
        event = events.setdefault(key, fresh)
        if event.location is None and cells.get("location"):
            event.location = clean_name(cells["location"])
        response = normalise_status(cells.get("status"), cells.get("checked_in"))
        participant = safe_record(
            lambda: Participant(role=Role.ATTENDEE, email=emails[0] if emails else None, name=name, response=response),
            source=self.kind,
            source_key=where,
        )
        if isinstance(participant, Rejected):
            return participant
        event.add(participant)
        warnings.extend(row_warnings(row, table, file))
        metadata = {"file": file.stream, "line": str(row.line), "event_key": key, "event_name": event.name}
        if response:
            metadata["response"] = response
        if warnings:
            metadata["warnings"] = "; ".join(warnings)[:MAX_NOTE_CHARS]
        company = clean_name(cells.get("company"))
        identity = emails[0] if emails else f"{name}|{company or ''}".casefold()
        return safe_record(
            lambda: ContactRecord(
                source=self.kind,
                source_key=f"{file.stream}#{stable_id('a', identity)}",
                name=name,
                emails=emails,
                title=clean_name(cells.get("title")),
                company_name=company,
                metadata=metadata,
            ),
            source=self.kind,
            source_key=where,
        )


def _name_from_file(file: SourceFile) -> str:
    stem = file.path.stem.replace("_", " ").replace("-", " ")
    return clean_name(stem) or "untitled event"
