"""iCalendar (``.ics``) files as meeting activities, via the ``icalendar`` library.

Decisions, and why:

* **Recurrence is not expanded.** A recurring series yields one activity for its
  first occurrence (the master's DTSTART) with the RRULE in ``metadata["recurrence"]``,
  plus one activity per overridden instance (an event with a RECURRENCE-ID) that the
  file holds. Expanding would invent meetings: the file says a weekly meeting was
  scheduled, not that each occurrence happened or who attended it; an open-ended rule
  has no end; and the output would depend on the day the import ran, which breaks
  "a repeated run adds nothing". Scoring can weigh the rule from metadata.
* **Cancelled events are rejected** with the reason ``cancelled``: a meeting that
  did not take place is not an interaction and must not raise relationship strength.
  ``STATUS:CANCELLED`` and events inside a ``METHOD:CANCEL`` calendar count as cancelled.
* **Re-exports collapse.** ``key = stable_id("m", "meeting", UID, RECURRENCE-ID or
  DTSTART in UTC ISO)``: the same event exported twice, or updated with a higher
  SEQUENCE, has the same key. Within one file only the highest SEQUENCE of a key is
  kept (so a later cancellation wins over the earlier invitation). An event moved to
  another start time gets a new key: the old key cannot be found again from the file.
* **Time zones.** DTSTART with a TZID (IANA, Windows names such as ``Pacific Standard
  Time``, or a VTIMEZONE in the file) is converted to UTC; all-day dates become UTC
  midnight; floating times and unknown TZIDs are taken as UTC (with a warning).
* **Participants.** ORGANIZER is :attr:`Role.ORGANIZER`; each ATTENDEE is
  :attr:`Role.ATTENDEE` with ``response`` from PARTSTAT lower-cased (``accepted``,
  ``declined``, ``tentative``, ``needs-action``, ``delegated``), names from CN
  (dropped when CN is just the address), ``mailto:`` stripped. Rooms, resources and
  groups (CUTYPE, Google's ``resource.calendar.google.com``) are not people and are
  left out. A person listed as organiser and attendee appears once, as organiser.
  Events with no DTSTART, or no organiser and no attendee, are rejected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from icalendar import Calendar

from tellgraph.extractors.contacts import (
    MAX_NOTE_CHARS,
    SourceFile,
    clean_name,
    clean_value,
    is_valid_email,
    iter_source_files,
    safe_record,
)
from tellgraph.schema.model import MAX_TEXT_LENGTH, Activity, Channel, Participant, Role, stable_id
from tellgraph.schema.records import Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

__all__ = ["IcsConnector", "meeting_key"]

_NOT_PEOPLE = frozenset({"ROOM", "RESOURCE", "GROUP"})
_MAX_SUBJECT = 1000


def meeting_key(uid: str, when: datetime) -> str:
    """The content identity of one meeting occurrence: its UID and its RECURRENCE-ID (or start) in UTC."""
    return stable_id("m", "meeting", uid, when.astimezone(UTC).isoformat())


@dataclass(frozen=True)
class _Parsed:
    key: str
    sequence: int
    record: Activity | Rejected


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(event: Any, name: str) -> str:
    """A text property's value (the first when it is repeated), ``""`` when absent."""
    value = _first(event.get(name))
    return "" if value is None else str(value)


def _time(event: Any, name: str, warnings: list[str]) -> datetime | None:
    """A DATE or DATE-TIME property as an aware UTC datetime, or ``None`` with a warning."""
    if name not in event:
        return None
    prop = event.get(name)
    if isinstance(prop, list):
        warnings.append(f"{name} given {len(prop)} times; the first is used")
        prop = prop[0] if prop else None
    try:
        value = _first(event.decoded(name))
    except (ValueError, KeyError, TypeError) as exc:
        warnings.append(f"unreadable {name}: {exc}")
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            tzid = getattr(prop, "params", {}).get("TZID")
            if tzid:
                warnings.append(f"unknown time zone {str(tzid)[:80]!r} in {name}; time taken as UTC")
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    warnings.append(f"{name} {str(value)[:80]!r} is not a date")
    return None


def _address(prop: Any) -> tuple[str | None, str | None, dict[str, str]]:
    """(e-mail, display name, upper-cased parameters) of a CAL-ADDRESS property."""
    params = {str(k).upper(): str(v) for k, v in dict(getattr(prop, "params", {}) or {}).items()}
    raw = clean_value(str(prop))
    if raw.lower().startswith("mailto:"):
        raw = raw[len("mailto:") :].strip()
    cn = clean_value(params.get("CN", "")).strip("\"'")
    email = raw.lower() if is_valid_email(raw) else None
    if email is None and is_valid_email(cn):
        email = cn.lower()  # Outlook sometimes leaves the address only in CN
    name = None if not cn or is_valid_email(cn) else clean_name(cn)
    return email, name, params


class IcsConnector:
    """Reads iCalendar files (Outlook, Google Calendar, Apple exports) as meeting activities.

    See the module docstring for how recurrence, cancellations, re-exports, time
    zones and participants are handled. Metadata per activity: ``uid``, ``location``,
    ``dtend``, ``status``, ``sequence``, ``recurrence`` (the RRULE text),
    ``recurrence_id``, ``file``, and ``warnings`` when something was dropped.
    """

    kind = "ics"

    def __init__(self, *, path: Path) -> None:
        """Args:
        path: an ``.ics`` file or a folder of them.
        """
        self._path = path

    @property
    def location(self) -> str:
        """The resolved path being read."""
        return str(self._path.resolve())

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield an Activity per usable event, a Rejected per bad event or file, and a checkpoint per file."""
        for item in iter_source_files(
            root=self._path, kind=self.kind, suffixes={".ics", ".ical", ".icalendar"}, checkpoints=checkpoints
        ):
            if isinstance(item, SourceFile):
                yield from self._read_file(item)
                yield item.done_mark()
            else:
                yield item

    def _read_file(self, file: SourceFile) -> Iterator[SourceRecord]:
        broken: list[str] = []
        try:
            calendars = Calendar.from_ical(file.text, multiple=True)
        except Exception as exc:
            # icalendar raises assorted errors (ValueError, KeyError, IndexError...) on malformed input,
            # and one bad line anywhere fails the whole file: parse its events one by one instead.
            calendars, broken = _salvage(file.text)
            if not calendars and not broken:
                yield Rejected(
                    source=self.kind,
                    source_key=file.where(),
                    reason=file.explain(f"not a valid iCalendar file: {str(exc)[:200]}"),
                )
                return
        else:
            # A lenient parse can still lose events (an unclosed VEVENT swallows what follows it).
            found = sum(len(calendar.walk("VEVENT")) for calendar in calendars)
            if found < _event_markers(file.text):
                salvaged, salvage_broken = _salvage(file.text)
                if len(salvaged) > found:
                    calendars, broken = salvaged, salvage_broken
        chosen: dict[str, _Parsed] = {}
        count = 0
        for reason in broken:
            count += 1
            yield Rejected(source=self.kind, source_key=file.where(f"event {count}"), reason=reason)
        for calendar in calendars:
            cancelled_calendar = _text(calendar, "METHOD").upper() == "CANCEL"
            for event in calendar.walk("VEVENT"):
                count += 1
                where = file.where(f"event {count}")
                try:
                    parsed = self._event(event, file=file, where=where, cancelled_calendar=cancelled_calendar)
                except Exception as exc:
                    # One odd event (a property icalendar cannot decode) must not stop the file.
                    parsed = Rejected(source=self.kind, source_key=where, reason=f"unreadable event: {exc}"[:300])
                if isinstance(parsed, Rejected):
                    yield parsed
                    continue
                known = chosen.get(parsed.key)
                if known is None or parsed.sequence >= known.sequence:
                    # A later SEQUENCE (or a later copy of the same one) is the current version.
                    chosen[parsed.key] = parsed
        if count == 0:
            yield Rejected(source=self.kind, source_key=file.where(), reason=file.explain("no VEVENT in the calendar"))
        for parsed in chosen.values():
            yield parsed.record

    def _event(self, event: Any, *, file: SourceFile, where: str, cancelled_calendar: bool) -> _Parsed | Rejected:
        warnings: list[str] = []
        summary = clean_name(_text(event, "SUMMARY"), limit=_MAX_SUBJECT)
        uid = clean_value(_text(event, "UID"), limit=1000)
        label = f"event {summary[:80]!r}" if summary else "untitled event"
        start = _time(event, "DTSTART", warnings)
        if start is None:
            detail = f" ({'; '.join(warnings)})" if warnings else ""
            return Rejected(source=self.kind, source_key=where, reason=f"{label} has no usable DTSTART{detail}")
        participants, skipped = self._participants(event)
        if not participants:
            return Rejected(source=self.kind, source_key=where, reason=f"{label} has no organizer and no attendees")
        if skipped:
            warnings.append(f"{skipped} room/resource/group attendee(s) left out")
        # icalendar drops lines it cannot parse and records them here; say so rather than lose them silently.
        for prop_name, problem in getattr(event, "errors", None) or []:
            warnings.append(f"skipped unreadable {prop_name or 'line'}: {str(problem)[:120]}")
        recurrence_id = _time(event, "RECURRENCE-ID", warnings)
        organizer_email = next((p.email for p in participants if p.role is Role.ORGANIZER), None) or ""
        if not uid:
            warnings.append("no UID; identity derived from summary, organizer and start")
            uid = f"no-uid:{summary or ''}|{organizer_email}"
        key = meeting_key(uid, recurrence_id or start)
        try:
            sequence = int(str(_first(event.get("SEQUENCE")) or 0))
        except ValueError:
            sequence = 0
            warnings.append("unreadable SEQUENCE")
        status = _text(event, "STATUS").strip().upper()
        if status == "CANCELLED" or cancelled_calendar:
            return _Parsed(
                key=key,
                sequence=sequence,
                record=Rejected(
                    source=self.kind,
                    source_key=f"{file.stream}#{key}",
                    reason=f"cancelled: {label} on {start.date().isoformat()} did not take place",
                ),
            )
        end = _time(event, "DTEND", warnings)
        if end is None and "DURATION" in event:
            duration = event.decoded("DURATION")
            if isinstance(duration, timedelta):
                end = start + duration
        metadata = {"uid": uid[:500], "file": file.stream, "sequence": str(sequence)}
        if location := clean_name(_text(event, "LOCATION"), limit=500):
            metadata["location"] = location
        if end is not None:
            metadata["dtend"] = end.isoformat()
        if status:
            metadata["status"] = status.lower()
        if rules := _as_list(event.get("RRULE")):
            metadata["recurrence"] = ";".join(rule.to_ical().decode("utf-8", "replace") for rule in rules)
        if recurrence_id is not None:
            metadata["recurrence_id"] = recurrence_id.isoformat()
        if warnings:
            metadata["warnings"] = "; ".join(warnings)[:MAX_NOTE_CHARS]
        description = clean_value(_text(event, "DESCRIPTION"), limit=MAX_TEXT_LENGTH)
        raw_hash = hashlib.sha256(event.to_ical()).hexdigest()
        record = safe_record(
            lambda: Activity(
                channel=Channel.MEETING,
                source=self.kind,
                source_key=f"{file.stream}#{key}",
                key=key,
                timestamp=start,
                participants=participants,
                subject=summary,
                text=description,
                thread_key=stable_id("mt", uid),
                raw_hash=raw_hash,
                event_name=clean_name(summary),
                metadata=metadata,
            ),
            source=self.kind,
            source_key=where,
        )
        return _Parsed(key=key, sequence=sequence, record=record)

    def _participants(self, event: Any) -> tuple[list[Participant], int]:
        """Organizer first, then attendees, one entry per person; and how many non-people were left out."""
        people: dict[str, Participant] = {}
        skipped = 0
        entries = [(prop, Role.ORGANIZER) for prop in _as_list(event.get("ORGANIZER"))[:1]]
        entries += [(prop, Role.ATTENDEE) for prop in _as_list(event.get("ATTENDEE"))]
        for prop, role in entries:
            email, name, params = _address(prop)
            if params.get("CUTYPE", "").upper() in _NOT_PEOPLE or (
                email and email.endswith("resource.calendar.google.com")
            ):
                skipped += 1
                continue
            if email is None and name is None:
                continue
            identity = email or f"name:{(name or '').casefold()}"
            if identity in people:
                continue
            partstat = params.get("PARTSTAT", "").strip().lower() or None
            people[identity] = Participant(
                role=role,
                email=email,
                name=name,
                response=partstat if role is Role.ATTENDEE else None,
            )
        return list(people.values()), skipped


_CALENDAR_PROPS = ("VERSION:", "PRODID:", "METHOD:", "CALSCALE:")


def _event_markers(text: str) -> int:
    """How many events the file opens (``BEGIN:VEVENT`` lines)."""
    return sum(1 for line in text.split("\n") if line.strip().upper() == "BEGIN:VEVENT")


def _salvage(text: str) -> tuple[list[Any], list[str]]:
    """Each ``VEVENT`` of a calendar that does not parse as a whole, parsed on its own.

    Every event is wrapped in a calendar with the file's calendar properties and time
    zones. Lines outside events are dropped. Returns the calendars that parsed (one
    per event) and a reason for each event that did not (an unclosed event included).
    """
    head: list[str] = []
    zones: list[str] = []
    events: list[list[str]] = []
    broken: list[str] = []
    current: list[str] | None = None
    zone: list[str] | None = None
    for line in text.split("\n"):
        marker = line.strip().upper()
        if marker == "BEGIN:VEVENT":
            if current is not None:
                broken.append("unreadable event: it is never closed (no END:VEVENT before the next event)")
            current = [line]
        elif current is not None:
            current.append(line)
            if marker == "END:VEVENT":
                events.append(current)
                current = None
        elif marker == "BEGIN:VTIMEZONE":
            zone = [line]
        elif zone is not None:
            zone.append(line)
            if marker == "END:VTIMEZONE":
                zones.extend(zone)
                zone = None
        elif marker.startswith(_CALENDAR_PROPS):
            head.append(line)
    if current is not None:
        broken.append("unreadable event: it is never closed (no END:VEVENT)")
    calendars: list[Any] = []
    for lines in events:
        parsed = None
        for context in (head + zones, head):
            wrapped = "\n".join(["BEGIN:VCALENDAR", *context, *lines, "END:VCALENDAR"])
            try:
                parsed = Calendar.from_ical(wrapped)
                break
            except Exception as exc:  # as above: icalendar's errors vary with the input
                problem = str(exc)
        if parsed is None:
            broken.append(f"unreadable event: {problem}"[:300])
        else:
            calendars.append(parsed)
    return calendars, broken
