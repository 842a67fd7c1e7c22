"""Call and meeting transcripts (``.txt``, WebVTT ``.vtt``, SubRip ``.srt``) as call activities.

Each file is one :class:`Activity` (channel ``call``): the distinct speakers are
:attr:`Role.SPEAKER` participants, the text is the conversation as ``Speaker: text``
lines (consecutive lines of one speaker merged into one turn), and the key is a
hash of the normalised conversation, so the same call imported twice (or as
``.vtt`` and ``.txt``) collapses to one communication.

Recognised layouts:

* ``.txt``: ``Speaker Name: text`` lines, optionally with a timestamp before the name
  (``[00:01:23] Jane: ...``, ``00:01:23 Jane: ...``) or after it (``Jane (00:01:23): ...``),
  continuation lines, and Otter/Zoom-style turn headers (``Jane Example  0:03`` or
  ``[Jane Example] 10:00:12`` on their own line, the text below). Header lines before
  the first turn (``Title:``, ``Subject:``, ``Date:``, ``Time:``, ``Participants:``...) are metadata.
* ``.vtt``: cues with ``<v Speaker>`` voice tags or ``Speaker:`` prefixes; ``NOTE`` blocks may
  hold the same header lines.
* ``.srt``: numbered cues with ``Speaker:`` (or ``[Speaker]``) prefixes.

A cue or line without a speaker continues the previous speaker's turn. Speaker
labels are sanity-checked (capitalised, at most six words, not a label such as
``Note`` or ``Action items``) so that prose containing a colon is not mistaken for one.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import pairwise
from typing import TYPE_CHECKING

from tellgraph.extractors.contacts import (
    MAX_NOTE_CHARS,
    SourceFile,
    clean_name,
    clean_value,
    extract_emails,
    is_valid_email,
    iter_source_files,
    parse_datetime,
    safe_record,
)
from tellgraph.schema.model import MAX_NAME_LENGTH, Activity, Channel, Participant, Role, as_utc, stable_id
from tellgraph.schema.records import Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

__all__ = [
    "SpeakerStats",
    "Transcript",
    "TranscriptConnector",
    "Utterance",
    "detect_format",
    "parse_transcript",
    "read_speaker_stats",
    "speaker_stats",
]

MAX_TRANSCRIPT_CHARS = 1_000_000
"""The activity text is capped here (about 20 hours of speech)."""

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_NAME = r"[^\W\d_][^:\[\]<>{}\n]{0,59}?"
_TXT_TURN = re.compile(
    rf"\s*(?:[\[(]?(?P<ts>{_TS})[\])]?\s*(?:[-–|>]+\s*)?)?(?:>>\s*|-\s+)?"
    rf"(?P<name>{_NAME})\s*(?:[\[(](?P<ts2>{_TS})[\])])?\s*:(?:\s+(?P<text>.*))?"
)
_TXT_TURN_HEADER = re.compile(rf"\s*(?:\[(?P<bracketed>{_NAME})\]|(?P<name>{_NAME}))\s+[\[(]?(?P<ts>{_TS})[\])]?\s*")
_TS_ONLY = re.compile(rf"\s*[\[(]?(?P<ts>{_TS})[\])]?\s*")
_TS_PARTS = re.compile(r"(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?")
_TIMING = re.compile(rf"\s*(?P<start>{_TS})\s*-->\s*(?P<end>{_TS})")
_BRACKET_SPEAKER = re.compile(rf"\s*\[(?P<name>{_NAME})\]\s*(?P<text>.*)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+(?P<name>[^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.]*>")
_HEADER = re.compile(
    r"\s*(?P<key>title|subject|meeting|meeting title|topic|date|time|start|started|start time|"
    r"recorded|recorded on|participants|attendees|speakers|duration|location|host)\s*:\s*(?P<value>.*)",
    re.IGNORECASE,
)
_NOT_SPEAKERS = frozenset(
    {
        "note",
        "notes",
        "nb",
        "action item",
        "action items",
        "agenda",
        "summary",
        "todo",
        "to do",
        "next steps",
        "decision",
        "decisions",
        "reminder",
        "update",
        "question",
        "answer",
        "q",
        "a",
        "fyi",
        "ps",
        "re",
        "fwd",
        "subject",
        "title",
        "date",
        "time",
        "location",
        "participants",
        "attendees",
        "speakers",
        "duration",
        "http",
        "https",
        "ftp",
        "mailto",
        "www",
        "warning",
        "error",
        "info",
        "tip",
        "example",
        "webvtt",
        "kind",
        "language",
    }
)
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "dos", "das", "le", "la", "bin", "al", "y"})
_MAX_SPEAKER_WORDS = 6


@dataclass
class Utterance:
    """One turn: a speaker and what they said.

    Attributes:
        speaker: the name as the transcript writes it.
        text: what was said, on one line.
        start: seconds from the start of the recording, when the transcript says.
        end: when the turn ended (seconds from the start), when the transcript says.
        seconds: talk time, when the transcript's timings allow computing it.
    """

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class SpeakerStats:
    """How much one speaker took part in a call."""

    utterances: int
    words: int
    talk_seconds: float | None

    def as_dict(self) -> dict[str, int | float | None]:
        """A JSON-ready form."""
        return {"utterances": self.utterances, "words": self.words, "talk_seconds": self.talk_seconds}


@dataclass
class Transcript:
    """A parsed transcript: its format, header lines and turns."""

    format: str
    headers: dict[str, str] = field(default_factory=dict)
    utterances: list[Utterance] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def speaker_stats(utterances: Sequence[Utterance]) -> dict[str, SpeakerStats]:
    """Per-speaker turn count, word count and talk time (``None`` when the transcript has no timings)."""
    stats: dict[str, SpeakerStats] = {}
    for turn in utterances:
        known = stats.get(turn.speaker, SpeakerStats(utterances=0, words=0, talk_seconds=None))
        seconds = known.talk_seconds
        if turn.seconds is not None:
            seconds = round((seconds or 0.0) + turn.seconds, 3)
        stats[turn.speaker] = SpeakerStats(
            utterances=known.utterances + 1,
            words=known.words + len(turn.text.split()),
            talk_seconds=seconds,
        )
    return stats


def read_speaker_stats(metadata: Mapping[str, str]) -> dict[str, SpeakerStats]:
    """The per-speaker statistics a transcript activity carries in ``metadata["speaker_stats"]``."""
    try:
        raw = json.loads(metadata.get("speaker_stats", "{}"))
    except json.JSONDecodeError:
        return {}
    result: dict[str, SpeakerStats] = {}
    if not isinstance(raw, dict):
        return result
    for speaker, values in raw.items():
        if isinstance(values, dict):
            seconds = values.get("talk_seconds")
            result[str(speaker)] = SpeakerStats(
                utterances=int(values.get("utterances", 0)),
                words=int(values.get("words", 0)),
                talk_seconds=float(seconds) if isinstance(seconds, int | float) else None,
            )
    return result


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    match = _TS_PARTS.fullmatch(value.strip())
    if match is None:
        return None
    hours, minutes, secs, fraction = match.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)
    return total + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def _plausible_speaker(name: str) -> bool:
    words = name.split()
    if not words or len(words) > _MAX_SPEAKER_WORDS or name.casefold().strip(" .") in _NOT_SPEAKERS:
        return False
    if not words[0][0].isupper():
        return False
    return all(
        word[0].isupper() or word[0].isdigit() or word[0] in "(&'-" or word.casefold() in _PARTICLES
        for word in words[1:]
    )


def _one_line(text: str) -> str:
    return " ".join(clean_value(text, limit=MAX_TRANSCRIPT_CHARS).split())


class _Builder:
    """Collects turns, merging consecutive lines of one speaker."""

    def __init__(self) -> None:
        self.turns: list[Utterance] = []

    @property
    def current(self) -> Utterance | None:
        return self.turns[-1] if self.turns else None

    def speak(
        self,
        speaker: str,
        text: str,
        *,
        start: float | None = None,
        end: float | None = None,
        seconds: float | None = None,
    ) -> None:
        name = clean_name(speaker) or speaker
        last = self.current
        if last is not None and last.speaker == name:
            self.cont(text, end=end, seconds=seconds)
            return
        self.turns.append(Utterance(speaker=name, text=_one_line(text), start=start, end=end, seconds=seconds))

    def cont(self, text: str, *, end: float | None = None, seconds: float | None = None) -> bool:
        last = self.current
        if last is None:
            return False
        line = _one_line(text)
        if line:
            last.text = f"{last.text} {line}".strip()
        if end is not None:
            last.end = end
        if seconds is not None:
            last.seconds = (last.seconds or 0.0) + seconds
        return True

    def result(self) -> list[Utterance]:
        return [turn for turn in self.turns if turn.text]


def _parse_txt(text: str) -> Transcript:
    result = Transcript(format="txt")
    builder = _Builder()
    pending: float | None = None
    unattributed = 0
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or set(line) <= set("=-_*#~"):
            continue
        if builder.current is None and (header := _HEADER.fullmatch(line)):
            result.headers.setdefault(header["key"].lower(), clean_value(header["value"], limit=1000))
            continue
        if stamp := _TS_ONLY.fullmatch(line):
            pending = _seconds(stamp["ts"])
            continue
        turn = _TXT_TURN.fullmatch(line)
        if turn and _plausible_speaker(turn["name"].strip()):
            start = _seconds(turn["ts"] or turn["ts2"])
            builder.speak(turn["name"].strip(), turn["text"] or "", start=start if start is not None else pending)
            pending = None
            continue
        head = _TXT_TURN_HEADER.fullmatch(line)
        name = (head["bracketed"] or head["name"]).strip() if head else ""
        if head and _plausible_speaker(name):
            builder.speak(name, "", start=_seconds(head["ts"]))
            continue
        if not builder.cont(line):
            unattributed += 1
    turns = builder.result()
    # Talk time from a plain-text transcript: each turn lasts until the next one starts.
    for this, following in pairwise(turns):
        if this.start is not None and following.start is not None and following.start >= this.start:
            this.end = following.start
            this.seconds = following.start - this.start
    result.utterances = turns
    if unattributed:
        result.warnings.append(f"{unattributed} line(s) before the first speaker ignored")
    return result


def _cue_lines(payload: list[str]) -> list[tuple[str | None, str]]:
    """(speaker or None, text) pieces of one cue, from voice tags or ``Name:`` prefixes."""
    pieces: list[tuple[str | None, str]] = []
    for raw in payload:
        voices = list(_VOICE.finditer(raw))
        if voices:
            before = raw[: voices[0].start()]
            if _TAG.sub("", before).strip():
                pieces.append((None, _TAG.sub("", before)))
            for index, voice in enumerate(voices):
                end = voices[index + 1].start() if index + 1 < len(voices) else len(raw)
                spoken = html.unescape(_TAG.sub("", raw[voice.end() : end]))
                pieces.append((html.unescape(voice["name"]).strip() or None, spoken))
            continue
        line = html.unescape(_TAG.sub("", raw)).strip()
        if not line:
            continue
        turn = _TXT_TURN.fullmatch(line)
        if turn and not turn["ts"] and _plausible_speaker(turn["name"].strip()):
            pieces.append((turn["name"].strip(), turn["text"] or ""))
            continue
        bracket = _BRACKET_SPEAKER.fullmatch(line)
        if bracket and _plausible_speaker(bracket["name"].strip()):
            pieces.append((bracket["name"].strip(), bracket["text"]))
            continue
        pieces.append((None, line))
    return pieces


def _parse_cues(text: str, *, fmt: str) -> Transcript:
    result = Transcript(format=fmt)
    builder = _Builder()
    blocks = re.split(r"\n[ \t]*\n", text.strip("\n\ufeff "))
    skipped = 0
    for number, block in enumerate(blocks):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        head = lines[0].strip()
        if (number == 0 and head.upper().startswith("WEBVTT")) or head.startswith(("NOTE", "STYLE", "REGION")):
            for line in lines[1:] if not head.startswith("NOTE ") else [head[5:], *lines[1:]]:
                if header := _HEADER.fullmatch(line):
                    result.headers.setdefault(header["key"].lower(), clean_value(header["value"], limit=1000))
            continue
        timing_at = next((i for i, line in enumerate(lines) if "-->" in line), None)
        timing = _TIMING.match(lines[timing_at]) if timing_at is not None else None
        if timing_at is None or timing is None:
            skipped += 1
            continue
        start, end = _seconds(timing["start"]), _seconds(timing["end"])
        duration = end - start if start is not None and end is not None and end >= start else None
        pieces = _cue_lines(lines[timing_at + 1 :])
        share = duration / len(pieces) if duration is not None and pieces else None
        for speaker, spoken in pieces:
            if speaker is not None:
                builder.speak(speaker, spoken, start=start, end=end, seconds=share)
            else:
                builder.cont(spoken, end=end, seconds=share)
    result.utterances = builder.result()
    if skipped:
        result.warnings.append(f"{skipped} block(s) without a cue timing ignored")
    return result


def detect_format(text: str, *, suffix: str) -> str:
    """``vtt``, ``srt`` or ``txt``: the content wins over the file name (a WEBVTT header is WebVTT)."""
    head = text.lstrip("\ufeff \n")[:200]
    if head.upper().startswith("WEBVTT"):
        return "vtt"
    if suffix.lower() in {".vtt", ".srt"}:
        return suffix.lower().lstrip(".")
    if re.match(r"\d+\n" + _TIMING.pattern, head):
        return "srt"
    return "txt"


def parse_transcript(text: str, *, fmt: str) -> Transcript:
    """Parse a decoded transcript in the given format (``txt``, ``vtt`` or ``srt``)."""
    if fmt in {"vtt", "srt"}:
        return _parse_cues(text, fmt=fmt)
    return _parse_txt(text)


def _participant_header(value: str) -> dict[str, str | None]:
    """``Jane Example <jane@example.com>, Bob`` → name (casefolded key) → e-mail or None."""
    people: dict[str, str | None] = {}
    for item in re.split(r"[;,](?![^<]*>)", value):
        emails, _ = extract_emails(item) if "@" in item else ([], [])
        name = clean_name(re.sub(r"<[^>]*>|\([^)]*@[^)]*\)|\S+@\S+", " ", item).strip(" \"'"))
        if name or emails:
            people[(name or emails[0]).casefold()] = emails[0] if emails else None
    return people


def _key_name(name: str) -> str:
    return " ".join(name.casefold().split())


class TranscriptConnector:
    """Reads call transcripts as one call :class:`Activity` each.

    The activity's timestamp is ``started_at`` when given, else a ``Date:`` (plus
    ``Time:``) header, else the file's modification time; ``metadata["timestamp_source"]``
    says which (``argument``, ``header``, ``file-mtime``). The subject is a
    ``Title:``/``Subject:``/``Meeting:``/``Topic:`` header or the file name. Speakers get
    e-mails from ``participants`` (name → e-mail, case-insensitive) or from a
    ``Participants:`` header such as ``Jane Example <jane@example.com>``; people listed
    there who never speak are :attr:`Role.ATTENDEE`. Metadata also holds ``format``,
    ``utterances``, ``duration_seconds`` and ``speaker_stats`` (JSON; read it back
    with :func:`read_speaker_stats`). A file with no recognisable speaker is rejected.
    """

    kind = "transcript"

    def __init__(
        self,
        *,
        path: Path,
        participants: Mapping[str, str] | None = None,
        started_at: datetime | None = None,
    ) -> None:
        """Args:
        path: a transcript file or a folder of them (``.txt``, ``.vtt``, ``.srt``).
        participants: speaker name → e-mail address.
        started_at: when the call started (overrides headers and file times).
        """
        self._path = path
        self._emails: dict[str, str] = {}
        for name, address in (participants or {}).items():
            valid, _ = extract_emails(str(address))
            if valid:
                self._emails[_key_name(str(name))] = valid[0]
        self._started_at = as_utc(started_at) if started_at else None

    @property
    def location(self) -> str:
        """The resolved path being read."""
        return str(self._path.resolve())

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield one Activity (or Rejected) and one checkpoint per transcript file."""
        for item in iter_source_files(
            root=self._path, kind=self.kind, suffixes={".txt", ".vtt", ".srt"}, checkpoints=checkpoints
        ):
            if isinstance(item, SourceFile):
                yield safe_record(partial(self._read_file, item), source=self.kind, source_key=item.where())
                yield item.done_mark()
            else:
                yield item

    def _timestamp(self, headers: Mapping[str, str], file: SourceFile, warnings: list[str]) -> tuple[datetime, str]:
        if self._started_at is not None:
            return self._started_at, "argument"
        day = headers.get("date") or headers.get("recorded on") or headers.get("recorded")
        clock = headers.get("time") or headers.get("start time") or headers.get("started") or headers.get("start")
        candidates = [f"{day} {clock}" if day and clock else None, day, clock if clock and not day else None]
        for candidate in candidates:
            if candidate and (parsed := parse_datetime(re.sub(r"\s+at\s+", " ", candidate))) is not None:
                return parsed, "header"
        if day or clock:
            warnings.append(f"unreadable date header {(day or clock or '')[:40]!r}")
        try:
            return datetime.fromtimestamp(file.path.stat().st_mtime, UTC), "file-mtime"
        except OSError:
            return datetime.now(UTC), "import-time"

    def _read_file(self, file: SourceFile) -> Activity | Rejected:
        fmt = detect_format(file.text, suffix=file.path.suffix)
        transcript = parse_transcript(file.text, fmt=fmt)
        if not transcript.utterances:
            return Rejected(
                source=self.kind,
                source_key=file.where(),
                reason=file.explain(
                    f"no speaker lines found in this {fmt} transcript: expected 'Name: text' lines, "
                    "WebVTT <v Name> voices or 'Name:' cue prefixes"
                ),
            )
        warnings = list(transcript.warnings)
        headers = transcript.headers
        listed: dict[str, str | None] = {}
        for key in ("participants", "attendees", "speakers"):
            if key in headers:
                listed.update(_participant_header(headers[key]))
        participants: list[Participant] = []
        speakers: dict[str, None] = {}
        for turn in transcript.utterances:
            speakers.setdefault(turn.speaker, None)
        for speaker in speakers:
            key = _key_name(speaker)
            email = self._emails.get(key) or listed.get(key)
            if email is None and is_valid_email(speaker):
                email = speaker.lower()
            name = None if is_valid_email(speaker) else clean_name(speaker, limit=MAX_NAME_LENGTH)
            participants.append(Participant(role=Role.SPEAKER, email=email, name=name))
        spoken = {_key_name(speaker) for speaker in speakers}
        for key, email in listed.items():
            address = email or self._emails.get(key)
            if key in spoken or (address and any(p.email == address for p in participants)):
                continue
            # Listed in the header but never heard: on the call all the same.
            name = None if is_valid_email(key) else clean_name(key.title())
            participants.append(Participant(role=Role.ATTENDEE, email=address, name=name))

        lines = [f"{turn.speaker}: {turn.text}" for turn in transcript.utterances]
        body = "\n".join(lines)
        if len(body) > MAX_TRANSCRIPT_CHARS:
            warnings.append(f"text truncated from {len(body)} characters")
            body = body[:MAX_TRANSCRIPT_CHARS]
        normalised = "\n".join(" ".join(line.casefold().split()) for line in lines)
        key = stable_id("m", "call", hashlib.sha256(normalised.encode("utf-8")).hexdigest())
        timestamp, timestamp_source = self._timestamp(headers, file, warnings)
        subject = next(
            (headers[k] for k in ("title", "subject", "meeting", "meeting title", "topic") if headers.get(k)),
            None,
        ) or file.path.stem.replace("_", " ")
        stats = speaker_stats(transcript.utterances)
        metadata = {
            "file": file.stream,
            "format": fmt,
            "timestamp_source": timestamp_source,
            "utterances": str(len(transcript.utterances)),
            "speaker_stats": json.dumps({k: v.as_dict() for k, v in stats.items()}, ensure_ascii=False),
        }
        ends = [time for turn in transcript.utterances for time in (turn.end, turn.start) if time is not None]
        if ends:
            metadata["duration_seconds"] = f"{max(ends):.3f}"
        if headers.get("duration"):
            metadata["duration"] = headers["duration"][:100]
        if warnings:
            metadata["warnings"] = "; ".join(warnings)[:MAX_NOTE_CHARS]
        return safe_record(
            lambda: Activity(
                channel=Channel.CALL,
                source=self.kind,
                source_key=file.stream,
                key=key,
                timestamp=timestamp,
                participants=participants,
                subject=clean_name(subject, limit=1000),
                text=body,
                raw_hash=file.digest,
                event_name=clean_name(subject),
                metadata=metadata,
            ),
            source=self.kind,
            source_key=file.where(),
        )
