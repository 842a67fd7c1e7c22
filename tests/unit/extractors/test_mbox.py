"""MboxConnector: Takeout-style mbox files read as a stream, with byte-offset resume."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest

from tellgraph.errors import ConnectorError
from tellgraph.extractors.base import Connector
from tellgraph.extractors.mail import parse_message, subject_thread_key
from tellgraph.extractors.mbox import MboxConnector, _split
from tellgraph.schema.model import Activity
from tellgraph.schema.records import CheckpointMark, Rejected, SourceRecord

_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def mboxrd(messages: list[bytes], *, newline: bytes = b"\n") -> bytes:
    """What an mboxrd writer (Takeout, Thunderbird) produces for these raw messages."""
    out = []
    for number, raw in enumerate(messages):
        out.append(b"From sender%d@example.com Mon Jun 03 10:00:00 +0000 2024" % number + newline)
        body = _FROM_LINE.sub(rb">\1", raw)
        out.append(body if body.endswith(b"\n") else body + newline)
        out.append(newline)
    return b"".join(out)


def read_all(connector: MboxConnector, checkpoints: dict[str, str] | None = None) -> list[SourceRecord]:
    return list(connector.read(checkpoints=checkpoints or {}))


def records_only(records: list[SourceRecord]) -> list[Activity | Rejected]:
    return [r for r in records if isinstance(r, Activity | Rejected)]


@pytest.fixture(scope="module")
def takeout(fixtures_dir: Path) -> Path:
    return fixtures_dir / "mail" / "takeout.mbox"


@pytest.fixture(scope="module")
def arnold_files(shared_data: Path) -> list[Path]:
    root = shared_data / "enron" / "maildir" / "arnold-j"
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def arnold_mbox(tmp_path: Path, arnold_files: list[Path]) -> Path:
    path = tmp_path / "arnold.mbox"
    path.write_bytes(mboxrd([p.read_bytes() for p in arnold_files]))
    return path


def test_is_a_connector(takeout: Path) -> None:
    connector = MboxConnector(path=takeout)
    assert isinstance(connector, Connector)
    assert connector.kind == "mbox"
    assert connector.location == str(takeout.resolve())


def test_takeout_fixture(takeout: Path) -> None:
    records = read_all(MboxConnector(path=takeout))
    first, second, third, mark = records
    assert isinstance(first, Activity) and isinstance(second, Activity)
    assert [first.source_key, second.source_key] == ["takeout.mbox#0", "takeout.mbox#1"]
    assert first.source == "mbox"
    assert first.text == (
        "Are you free for lunch?\n"
        "From the cafe on the corner, maybe.\n"  # mboxrd: one ">" removed
        ">From here it's a short walk.\n"
        "From what I hear it's good.\n"  # an unquoted body line is not a new message
    )
    assert first.metadata["gmail_labels"] == "Inbox,Important,Opened"
    assert first.metadata["gmail_thread_id"] == format(1668523456789012345, "x")
    assert second.thread_key == subject_thread_key(second.subject)
    assert second.metadata["thread_root"] == "<t1@mail.gmail.com>"
    assert isinstance(third, Rejected)
    assert (third.source_key, third.reason) == ("takeout.mbox#2", "missing sender")
    assert mark == CheckpointMark(stream="takeout.mbox", cursor=f"{takeout.stat().st_size}:3")


def test_same_mail_as_maildir_gets_the_same_key_and_raw_hash(arnold_mbox: Path, arnold_files: list[Path]) -> None:
    from_mbox = records_only(read_all(MboxConnector(path=arnold_mbox)))
    assert len(from_mbox) == len(arnold_files) == 46
    exact = 0
    for record, path in zip(from_mbox, arnold_files, strict=True):
        raw = path.read_bytes()
        direct = parse_message(raw, source="maildir", source_key=path.name)
        assert isinstance(record, Activity) and isinstance(direct, Activity)
        assert record.key == direct.key
        assert record.participants == direct.participants
        # An mbox cannot hold a message without a final newline (the writer adds one), so
        # only messages that had one come back byte for byte, escaping undone exactly.
        if raw.endswith(b"\n"):
            assert record.raw_hash == direct.raw_hash
            exact += 1
    assert exact >= 10


def test_crlf_mbox(tmp_path: Path, fixtures_dir: Path) -> None:
    raws = [
        (fixtures_dir / "mail" / name).read_bytes().replace(b"\n", b"\r\n")
        for name in ("quoted_printable.eml", "self_sent.eml")
    ]
    path = tmp_path / "crlf.mbox"
    path.write_bytes(mboxrd(raws, newline=b"\r\n"))
    records = records_only(read_all(MboxConnector(path=path)))
    assert [type(r) for r in records] == [Activity, Activity]
    for record, raw in zip(records, raws, strict=True):
        direct = parse_message(raw, source="mbox", source_key="x")
        assert isinstance(direct, Activity) and isinstance(record, Activity)
        assert record.key == direct.key
        assert record.raw_hash == direct.raw_hash


def test_folder_of_mbox_files(tmp_path: Path, takeout: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b.mbox").write_bytes(takeout.read_bytes())
    (tmp_path / "sub" / "All mail.MBOX").write_bytes(takeout.read_bytes())
    (tmp_path / ".hidden" / "c.mbox").write_bytes(takeout.read_bytes())
    (tmp_path / "notes.txt").write_bytes(b"not mail")
    records = read_all(MboxConnector(path=tmp_path))
    marks = [r for r in records if isinstance(r, CheckpointMark)]
    assert [m.stream for m in marks] == ["b.mbox", "sub/All mail.MBOX"]
    assert [r.source_key for r in records_only(records)][:4] == [
        "b.mbox#0",
        "b.mbox#1",
        "b.mbox#2",
        "sub/All mail.MBOX#0",
    ]


def test_missing_path_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError):
        read_all(MboxConnector(path=tmp_path / "nope.mbox"))


def test_empty_and_blank_files(tmp_path: Path) -> None:
    (tmp_path / "empty.mbox").write_bytes(b"")
    (tmp_path / "blank.mbox").write_bytes(b"\n\n\r\n")
    assert read_all(MboxConnector(path=tmp_path)) == []


def test_a_single_bare_message_is_read(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "one.mbox"
    path.write_bytes((fixtures_dir / "mail" / "latin1.eml").read_bytes())
    records = records_only(read_all(MboxConnector(path=path)))
    assert [type(r) for r in records] == [Activity]


def test_resume_from_a_checkpoint(arnold_mbox: Path) -> None:
    connector = MboxConnector(path=arnold_mbox, checkpoint_every=7)
    full = [r.source_key for r in records_only(read_all(connector))]
    assert full == [f"arnold.mbox#{i}" for i in range(46)]
    seen: list[str] = []
    cursor = None
    for record in connector.read(checkpoints={}):
        if isinstance(record, CheckpointMark):
            cursor = record.cursor
            if len(seen) >= 20:
                break
        else:
            seen.append(record.source_key)
    assert cursor is not None and cursor.endswith(":21")
    rest = [r.source_key for r in records_only(read_all(connector, {"arnold.mbox": cursor}))]
    assert seen + rest == full
    # a bare byte offset works too: the index is recounted
    offset = cursor.split(":")[0]
    assert [r.source_key for r in records_only(read_all(connector, {"arnold.mbox": offset}))] == rest
    # resuming at the end reads nothing
    end = f"{arnold_mbox.stat().st_size}:46"
    assert read_all(connector, {"arnold.mbox": end}) == []


def test_cursor_inside_a_message_skips_to_the_next(arnold_mbox: Path) -> None:
    records = read_all(MboxConnector(path=arnold_mbox, checkpoint_every=1), {"arnold.mbox": "100:0"})
    first = records[0]
    assert isinstance(first, Rejected)
    assert "not a message start" in first.reason
    activities = [r for r in records if isinstance(r, Activity)]
    assert len(activities) == 45


def test_bad_cursor_is_an_error(takeout: Path) -> None:
    with pytest.raises(ConnectorError):
        read_all(MboxConnector(path=takeout), {"takeout.mbox": "not-a-number"})


def test_too_large_message_is_rejected_and_not_kept(tmp_path: Path, fixtures_dir: Path) -> None:
    small = (fixtures_dir / "mail" / "self_sent.eml").read_bytes()
    big = small + b"x" * 3_000_000 + b"\n"
    path = tmp_path / "big.mbox"
    path.write_bytes(mboxrd([small, big, small]))
    tracemalloc.start()
    try:
        records = records_only(read_all(MboxConnector(path=path, max_bytes=100_000)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [type(r) for r in records] == [Activity, Rejected, Activity]
    assert records[1].source_key == "big.mbox#1"
    assert isinstance(records[1], Rejected) and records[1].reason.startswith("too large")
    assert peak < 2_500_000  # the 3 MB message was never held


def test_binary_file_without_newlines(tmp_path: Path) -> None:
    path = tmp_path / "noise.mbox"
    path.write_bytes(bytes(range(256)).replace(b"\n", b"") * 12_000)  # 3 MB, no line breaks
    records = records_only(read_all(MboxConnector(path=path)))
    assert len(records) == 1
    assert isinstance(records[0], Rejected)


def test_splitting_streams_with_flat_memory(tmp_path: Path) -> None:
    message = b"From: a@example.com\nSubject: s\n\n" + (b"y" * 999 + b"\n") * 100  # 100 kB
    path = tmp_path / "large.mbox"
    with path.open("wb") as handle:
        for _ in range(200):  # 20 MB
            handle.write(mboxrd([message]))
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            count = sum(1 for m in _split(handle, start=0, until=None, max_bytes=10_000_000) if m.raw == message)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200
    assert peak < 1_000_000  # one 100 kB message at a time, not 20 MB
