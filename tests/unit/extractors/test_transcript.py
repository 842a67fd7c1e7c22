"""Transcript connector: txt, vtt and srt layouts, speakers, timestamps, stats, bad input."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellgraph.extractors.base import Connector
from tellgraph.extractors.transcript import (
    SpeakerStats,
    TranscriptConnector,
    Utterance,
    parse_transcript,
    read_speaker_stats,
    speaker_stats,
)
from tellgraph.schema.model import Activity, Channel, Role
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected, SourceRecord

ALLOWED = (Activity, ContactRecord, AttendanceRecord, Rejected, CheckpointMark)


def read(
    path: Path,
    *,
    participants: dict[str, str] | None = None,
    started_at: datetime | None = None,
    checkpoints: dict[str, str] | None = None,
) -> list[SourceRecord]:
    connector = TranscriptConnector(path=path, participants=participants, started_at=started_at)
    return list(connector.read(checkpoints=checkpoints or {}))


def activities(records: list[SourceRecord]) -> list[Activity]:
    return [r for r in records if isinstance(r, Activity)]


def rejected(records: list[SourceRecord]) -> list[Rejected]:
    return [r for r in records if isinstance(r, Rejected)]


def marks(records: list[SourceRecord]) -> list[CheckpointMark]:
    return [r for r in records if isinstance(r, CheckpointMark)]


def write(tmp_path: Path, content: str | bytes, name: str = "call.txt") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --- fixtures -------------------------------------------------------------------------


def test_txt_fixture(fixtures_dir: Path) -> None:
    records = read(
        fixtures_dir / "transcript" / "acme-northwind-kickoff.txt",
        participants={"HAL BRIGHT": "hal.bright@acme.example"},
    )
    (call,) = activities(records)
    assert call.channel is Channel.CALL
    assert call.source == "transcript"
    assert call.source_key == "acme-northwind-kickoff.txt"
    assert call.subject == "Acme × Northwind pilot kickoff"
    assert call.timestamp == datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    assert call.metadata["timestamp_source"] == "header"
    assert call.metadata["format"] == "txt"
    people = [(p.role, p.name, p.email) for p in call.participants]
    assert people == [
        (Role.SPEAKER, "Jane Example", "jane.example@acme.example"),
        (Role.SPEAKER, "Priya Raman", "priya.raman@northwind.example"),
        (Role.SPEAKER, "Hal Bright", "hal.bright@acme.example"),  # from the participants map
        (Role.ATTENDEE, "Tomás Olsen", "tomas.olsen@globex.example"),  # listed, never spoke
    ]
    lines = call.text.split("\n")
    assert lines[0] == (
        "Jane Example: Thanks everyone for making the time. The goal today is to agree the pilot scope "
        "and who owns what."
    )
    assert lines[3].startswith("Hal Bright: Yes: I'll have a first version by Friday.")
    assert len(lines) == 7
    stats = read_speaker_stats(call.metadata)
    assert stats["Jane Example"] == SpeakerStats(utterances=3, words=36, talk_seconds=37.0)
    assert stats["Hal Bright"].talk_seconds == 18.0
    assert stats["Priya Raman"].utterances == 3
    assert call.metadata["duration_seconds"] == "100.000"
    assert [m.cursor.split("@")[0] for m in marks(records)] == ["done"]


def test_vtt_fixture(fixtures_dir: Path) -> None:
    (call,) = activities(read(fixtures_dir / "transcript" / "weekly-sync.vtt"))
    assert call.metadata["format"] == "vtt"
    assert call.subject == "Globex weekly sync"
    assert call.timestamp == datetime(2024, 5, 8, 16, 0, tzinfo=UTC)
    assert [p.name for p in call.participants] == ["Tomás Olsen", "Jane Example", "Hal Bright"]
    assert call.text.split("\n") == [
        "Tomás Olsen: Morning all, quick one today. The integration tests are green on staging.",
        "Jane Example: Great news. Any blockers for the production rollout?",
        "Tomás Olsen: Only the DNS change & a sign-off from legal.",
        "Hal Bright: I can chase legal today.",
    ]
    stats = read_speaker_stats(call.metadata)
    assert stats["Tomás Olsen"] == SpeakerStats(utterances=2, words=21, talk_seconds=15.2)
    assert call.metadata["duration_seconds"] == "25.000"


def test_srt_fixture_falls_back_to_file_time(fixtures_dir: Path, tmp_path: Path) -> None:
    source = fixtures_dir / "transcript" / "customer-call.srt"
    copy = write(tmp_path, source.read_bytes(), "customer-call.srt")
    os.utime(copy, (1_714_572_000, 1_714_572_000))
    (call,) = activities(read(copy))
    assert call.metadata["format"] == "srt"
    assert call.metadata["timestamp_source"] == "file-mtime"
    assert call.timestamp == datetime.fromtimestamp(1_714_572_000, UTC)
    assert call.subject == "customer-call"
    assert call.text.split("\n") == [
        "Mei Looper: Hi Jane, can you hear me?",
        "Jane Example: Loud and clear. Thanks for joining on short notice.",
        "Mei Looper: No problem. I wanted to talk about renewing the wine club contract.",
        "Jane Example: Of course, let's do it.",
    ]


def test_folder_yields_one_call_per_file(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "transcript")
    assert len(activities(records)) == 3
    assert [m.stream for m in marks(records)] == [
        "acme-northwind-kickoff.txt",
        "customer-call.srt",
        "weekly-sync.vtt",
    ]


def test_connector_protocol(fixtures_dir: Path) -> None:
    connector = TranscriptConnector(path=fixtures_dir / "transcript")
    assert isinstance(connector, Connector)
    assert connector.kind == "transcript"


# --- semantics ------------------------------------------------------------------------


def test_started_at_wins(tmp_path: Path) -> None:
    path = write(tmp_path, "Date: 2024-05-01 14:00\nJane: hi\nBob: hello\n")
    (call,) = activities(read(path, started_at=datetime(2024, 6, 1, 9, 30)))
    assert call.timestamp == datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
    assert call.metadata["timestamp_source"] == "argument"


def test_date_and_time_headers_combine(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Renewal\nDate: May 1, 2024\nTime: 2:30 PM\n\nJane: hi\n")
    (call,) = activities(read(path))
    assert call.timestamp == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)
    assert call.subject == "Renewal"


def test_same_conversation_in_two_formats_has_one_key(tmp_path: Path) -> None:
    txt = write(tmp_path, "Jane Example: Hello there.\nBob Roe: Hi Jane.\n", "a.txt")
    vtt = write(
        tmp_path,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Jane Example>Hello   there.\n\n"
        "00:00:02.000 --> 00:00:03.000\n<v Bob Roe>hi jane.\n",
        "b.vtt",
    )
    assert activities(read(txt))[0].key == activities(read(vtt))[0].key
    other = write(tmp_path, "Jane Example: Something else.\n", "c.txt")
    assert activities(read(other))[0].key != activities(read(txt))[0].key


def test_txt_timestamp_styles_and_turn_headers(tmp_path: Path) -> None:
    text = (
        "00:00:01 Jane Example: first\n"
        "Bob Roe (00:00:05): second\n"
        "Carol Diaz  0:09\n"
        "third, on its own line\n"
        "[Dan Eve] 00:00:15\n"
        "fourth\n"
        "Note: not a speaker\n"
        "see https://example.com/x for details\n"
    )
    transcript = parse_transcript(text, fmt="txt")
    assert [(u.speaker, u.text, u.start) for u in transcript.utterances] == [
        ("Jane Example", "first", 1.0),
        ("Bob Roe", "second", 5.0),
        ("Carol Diaz", "third, on its own line", 9.0),
        ("Dan Eve", "fourth Note: not a speaker see https://example.com/x for details", 15.0),
    ]


def test_speaker_stats_helper() -> None:
    turns = [
        Utterance(speaker="A", text="one two", seconds=2.0),
        Utterance(speaker="B", text="three"),
        Utterance(speaker="A", text="four", seconds=1.5),
    ]
    assert speaker_stats(turns) == {
        "A": SpeakerStats(utterances=2, words=3, talk_seconds=3.5),
        "B": SpeakerStats(utterances=1, words=1, talk_seconds=None),
    }
    assert read_speaker_stats({"speaker_stats": "not json"}) == {}
    assert read_speaker_stats({}) == {}


def test_vtt_unlabelled_cue_continues_previous_speaker(tmp_path: Path) -> None:
    vtt = (
        "WEBVTT\n\nNOTE recorded by the bot\n\n"
        "00:01.000 --> 00:03.000\nJane Example: Start\n\n"
        "00:03.000 --> 00:04.000\nand continue\n\n"
        "garbage block without timing\n"
    )
    (call,) = activities(read(write(tmp_path, vtt, "x.vtt")))
    assert call.text == "Jane Example: Start and continue"
    assert "without a cue timing" in call.metadata["warnings"]


def test_injection_in_speaker_names_is_plain_data(tmp_path: Path) -> None:
    text = "Robert Tables (DROP): hello\n=Cmd Calc: formula name\n"
    (call,) = activities(read(write(tmp_path, text)))
    assert call.participants[0].name == "Robert Tables (DROP)"
    evil = "Robert'); MATCH (n) DETACH DELETE n; //"
    vtt = write(tmp_path, f"WEBVTT\n\n00:01.000 --> 00:02.000\n<v {evil}>hi\x07 there\n", "x.vtt")
    (call,) = activities(read(vtt))
    assert call.participants[0].name == evil
    assert call.text == f"{evil}: hi there"


def test_speaker_that_is_an_email(tmp_path: Path) -> None:
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v jane@example.com>hello\n"
    (call,) = activities(read(write(tmp_path, vtt, "e.vtt")))
    assert (call.participants[0].email, call.participants[0].name) == ("jane@example.com", None)


# --- bad input ------------------------------------------------------------------------


def test_no_speakers_is_rejected(tmp_path: Path) -> None:
    records = read(write(tmp_path, "just some notes\nwithout any speaker labels\n"))
    (bad,) = rejected(records)
    assert "no speaker lines" in bad.reason
    assert len(marks(records)) == 1


def test_empty_and_binary(tmp_path: Path) -> None:
    assert rejected(read(write(tmp_path, "", "e.txt")))[0].reason == "empty file"
    assert "binary" in rejected(read(write(tmp_path, b"\x00\xff" * 50, "b.srt")))[0].reason


def test_bom_and_cp1252(tmp_path: Path) -> None:
    bom = write(tmp_path, "\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\n<v Zoë>salut\n".encode(), "a.vtt")
    assert activities(read(bom))[0].participants[0].name == "Zoë"
    cp = write(tmp_path, "José Müller: ¿qué tal?\n".encode("cp1252"), "b.txt")
    assert activities(read(cp))[0].text == "José Müller: ¿qué tal?"


def test_huge_line_is_kept_within_cap(tmp_path: Path) -> None:
    path = write(tmp_path, "Jane: " + "word " * 300_000 + "\n")
    (call,) = activities(read(path))
    assert len(call.text) <= 1_000_000
    assert "truncated" in call.metadata["warnings"]


def test_done_checkpoint_skips(tmp_path: Path) -> None:
    path = write(tmp_path, "Jane: hi\n")
    (mark,) = marks(read(path))
    assert read(path, checkpoints={mark.stream: mark.cursor}) == []


# --- fuzzing --------------------------------------------------------------------------


def _fuzz(data: bytes, suffix: str) -> list[SourceRecord]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        return read(path)


@pytest.mark.parametrize("suffix", [".txt", ".vtt", ".srt"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_raise(suffix: str, data: bytes) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(data, suffix))


_LINE = st.one_of(
    st.text(max_size=60),
    st.builds(lambda name, text: f"{name}: {text}", st.text(min_size=1, max_size=20), st.text(max_size=40)),
    st.builds(lambda a, b: f"00:0{a}.000 --> 00:0{b}.500", st.integers(0, 9), st.integers(0, 9)),
    st.builds(lambda name: f"<v {name}>", st.text(max_size=20)),
    st.sampled_from(["WEBVTT", "", "1", "NOTE", "[00:00:01]", "Title: x", "Date: 2024-13-45"]),
)


@pytest.mark.parametrize("suffix", [".txt", ".vtt", ".srt"])
@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_LINE, max_size=30))
def test_random_transcripts_never_raise(suffix: str, lines: list[str]) -> None:
    records = _fuzz("\n".join(lines).encode("utf-8", "surrogatepass"), suffix)
    assert all(isinstance(r, ALLOWED) for r in records)
