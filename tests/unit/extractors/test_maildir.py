"""MaildirConnector: the Enron layout, standard maildirs, ordering, checkpoints and resume."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections import Counter
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import pytest

import tellgraph.extractors.maildir as maildir_module
from tellgraph.errors import ConnectorError
from tellgraph.extractors.base import Connector
from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.schema.model import Activity
from tellgraph.schema.records import CheckpointMark, Rejected, SourceRecord

MAIL = b"From: %s@example.com\nTo: bob@example.com\nDate: Mon, 03 Jun 2024 10:00:00 +0000\nSubject: s\n\n%s\n"


def mail(name: str, body: str = "hi") -> bytes:
    return MAIL % (name.encode(), body.encode())


def read_all(connector: MaildirConnector, checkpoints: dict[str, str] | None = None) -> list[SourceRecord]:
    return list(connector.read(checkpoints=checkpoints or {}))


def keys(records: list[SourceRecord]) -> list[str]:
    return [r.source_key for r in records if isinstance(r, Activity | Rejected)]


@pytest.fixture(scope="module")
def enron(shared_data: Path) -> Path:
    return shared_data / "enron" / "maildir"


def test_is_a_connector(tmp_path: Path) -> None:
    connector = MaildirConnector(path=tmp_path / "." / "")
    assert isinstance(connector, Connector)
    assert connector.kind == "maildir"
    assert connector.location == str(tmp_path.resolve())


def test_missing_folder_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError):
        read_all(MaildirConnector(path=tmp_path / "nope"))


def test_empty_folder_yields_nothing(tmp_path: Path) -> None:
    assert read_all(MaildirConnector(path=tmp_path)) == []


def test_enron_mailbox_slice(enron: Path) -> None:
    records = read_all(MaildirConnector(path=enron / "arnold-j"))
    activities = [r for r in records if isinstance(r, Activity)]
    assert len(activities) == 46
    assert not [r for r in records if isinstance(r, Rejected)]
    assert records[-1] == CheckpointMark(stream="files", cursor=activities[-1].source_key)
    first = activities[0]
    assert first.source == "maildir"
    assert first.source_key == "2000_conference/1"
    assert first.metadata["folder"] == "2000_conference"
    assert first.metadata["x_folder"].startswith("\\")
    assert first.participants[0].name  # X-From filled the sender's name
    assert keys(records) == sorted(keys(records))


def test_sorted_order_and_checkpoint_every(enron: Path) -> None:
    records = read_all(MaildirConnector(path=enron / "arnold-j", checkpoint_every=10))
    marks = [r for r in records if isinstance(r, CheckpointMark)]
    assert len(marks) == 5  # after files 10, 20, 30, 40 and at the end (46)
    for position, record in enumerate(records):
        if isinstance(record, CheckpointMark):
            previous = records[position - 1]
            assert isinstance(previous, Activity | Rejected)
            assert record.cursor == previous.source_key


def test_resume_after_a_checkpoint_gives_the_rest(enron: Path) -> None:
    connector = MaildirConnector(path=enron / "badeer-r", checkpoint_every=100)
    full = keys(read_all(connector))
    first_part: list[str] = []
    cursor = None
    for record in connector.read(checkpoints={}):
        if isinstance(record, CheckpointMark):
            cursor = record.cursor
            if len(first_part) >= 300:
                break
        else:
            first_part.append(record.source_key)
    assert cursor is not None
    rest = keys(read_all(connector, {"files": cursor}))
    assert first_part + rest == full
    assert not set(first_part) & set(rest)


def test_resume_order_matches_cursor_order(tmp_path: Path) -> None:
    # "a.txt" < "a/1" as strings but the walk yields a/1 first: resume must not lose a.txt
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1").write_bytes(mail("one"))
    (tmp_path / "a.txt").write_bytes(mail("two"))
    (tmp_path / "a_b").write_bytes(mail("three"))
    connector = MaildirConnector(path=tmp_path, checkpoint_every=1)
    records = read_all(connector)
    assert keys(records) == ["a/1", "a.txt", "a_b"]
    # a cursor naming a folder (it was a file once) sorts before everything inside it
    resumes: list[tuple[str, list[str]]] = [
        ("a/1", ["a.txt", "a_b"]),
        ("a.txt", ["a_b"]),
        ("a_b", []),
        ("a", ["a/1", "a.txt", "a_b"]),
    ]
    for cursor, expected in resumes:
        assert keys(read_all(connector, {"files": cursor})) == expected


def test_standard_maildir_layout(tmp_path: Path) -> None:
    for folder in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "cur" / "1700000000.M1P1.host:2,S").write_bytes(mail("seen"))
    (tmp_path / "new" / "1700000001.M2P1.host").write_bytes(mail("unseen"))
    (tmp_path / "tmp" / "1700000002.M3P1.host").write_bytes(b"half written")
    (tmp_path / ".Sent" / "cur" / "1700000003.M4P1.host:2,S").write_bytes(mail("sent"))
    (tmp_path / "dovecot-uidlist").write_bytes(b"3 V1 N4\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "cur" / ".hidden").write_bytes(b"x")
    records = read_all(MaildirConnector(path=tmp_path))
    activities = [r for r in records if isinstance(r, Activity)]
    assert [(a.source_key, a.metadata["folder"]) for a in activities] == [
        (".Sent/cur/1700000003.M4P1.host:2,S", "Sent"),
        ("cur/1700000000.M1P1.host:2,S", "INBOX"),
        ("new/1700000001.M2P1.host", "INBOX"),
    ]
    assert not [r for r in records if isinstance(r, Rejected)]


def test_bad_files_are_rejected_and_reading_goes_on(tmp_path: Path, fixtures_dir: Path) -> None:
    for name in ("empty.eml", "binary.bin", "date_1979.eml", "multipart_alternative.eml"):
        (tmp_path / name).write_bytes((fixtures_dir / "mail" / name).read_bytes())
    records = read_all(MaildirConnector(path=tmp_path))
    outcome = {
        r.source_key: (r.reason if isinstance(r, Rejected) else "ok")
        for r in records
        if not isinstance(r, CheckpointMark)
    }
    assert outcome["empty.eml"] == "empty file"
    assert outcome["binary.bin"].startswith("not an RFC 822 message")
    assert "1979" in outcome["date_1979.eml"]
    assert outcome["multipart_alternative.eml"] == "ok"


def test_unreadable_file_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "1").write_bytes(mail("a"))
    (tmp_path / "2").write_bytes(mail("b"))
    real_open = open

    def fake_open(path: str, mode: str = "r") -> object:
        if path.endswith("1"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, mode)

    monkeypatch.setattr(maildir_module, "open", fake_open, raising=False)
    records = read_all(MaildirConnector(path=tmp_path))
    assert isinstance(records[0], Rejected)
    assert records[0].reason == "unreadable: PermissionError: Permission denied"
    assert isinstance(records[1], Activity)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    locked = tmp_path / "1"
    locked.write_bytes(mail("a"))
    locked.chmod(0)
    try:
        records = read_all(MaildirConnector(path=tmp_path))
    finally:
        locked.chmod(0o600)
    assert isinstance(records[0], Rejected)
    assert records[0].reason.startswith("unreadable: PermissionError")


def test_symlinks_are_not_followed_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "secret.eml"
    outside.write_bytes(mail("outside"))
    (root / "inside.eml").write_bytes(mail("inside"))
    (root / "link-in").symlink_to(root / "inside.eml")
    (root / "link-out").symlink_to(outside)
    (root / "dir-link").symlink_to(root)
    (root / "loop-a").symlink_to(root / "loop-b")
    (root / "loop-b").symlink_to(root / "loop-a")
    records = {r.source_key: r for r in read_all(MaildirConnector(path=root)) if not isinstance(r, CheckpointMark)}
    assert isinstance(records["inside.eml"], Activity)
    assert isinstance(records["link-in"], Activity)  # inside the root: read (and deduped by key)
    assert records["link-in"].key == records["inside.eml"].key
    out = records["link-out"]
    assert isinstance(out, Rejected) and "outside the maildir" in out.reason
    folder = records["dir-link"]
    assert isinstance(folder, Rejected) and "not followed" in folder.reason
    loop = records["loop-a"]
    assert isinstance(loop, Rejected) and loop.reason.startswith("unreadable: ")


def test_oversized_file_is_rejected_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maildir_module, "MAX_MESSAGE_BYTES", 100)
    (tmp_path / "big").write_bytes(mail("big", "x" * 500))
    (tmp_path / "small").write_bytes(mail("s"))
    records = read_all(MaildirConnector(path=tmp_path))
    assert isinstance(records[0], Rejected) and records[0].reason.startswith("too large")
    assert isinstance(records[1], Activity)


def test_whole_enron_maildir_distinct_messages(enron: Path) -> None:
    """Every file once; copies filed in several folders collapse to one key.

    The README's 5,847 "distinct" messages compare bodies byte for byte. 10,079 files
    store the body with LF line endings while their copies elsewhere use CRLF (the
    README's "CRLF in every file" holds for the headers only), and 24 messages differ
    from a copy only that way. Content keys ignore line endings, so they find 5,823
    distinct messages: 5,820 accepted and 3 among the 6 files with the bogus 1979 date.
    """
    accepted: Counter[str] = Counter()
    rejected: list[Rejected] = []
    marks = 0
    for record in MaildirConnector(path=enron).read(checkpoints={}):
        if isinstance(record, Activity):
            accepted[record.key] += 1
        elif isinstance(record, Rejected):
            rejected.append(record)
        else:
            marks += 1
    assert sum(accepted.values()) == 13_142
    assert len(accepted) == 5_820
    assert sorted(r.source_key for r in rejected) == [
        "delainey-d/all_documents/160_",
        "delainey-d/all_documents/1_",
        "delainey-d/all_documents/362_",
        "delainey-d/discussion_threads/323_",
        "delainey-d/discussion_threads/490_",
        "delainey-d/discussion_threads/588_",
    ]
    assert all("1979-12-31" in r.reason for r in rejected)
    assert marks == 27  # every 500 files and at the end

    raw_tuples: set[tuple[str, ...]] = set()
    normalised_tuples: set[tuple[str, ...]] = set()
    bogus: set[tuple[str, ...]] = set()
    bogus_keys = {r.source_key for r in rejected}
    for path in enron.rglob("*"):
        if not path.is_file():
            continue
        msg = message_from_bytes(path.read_bytes(), policy=compat32)
        body = str(msg.get_payload())
        head = (str(msg["From"]), str(msg["Date"]), str(msg["Subject"]))
        raw_tuples.add((*head, hashlib.sha256(body.encode("utf-8", "surrogateescape")).hexdigest()))
        normalised = (*head, body.replace("\r\n", "\n").rstrip())
        normalised_tuples.add(normalised)
        if path.relative_to(enron).as_posix() in bogus_keys:
            bogus.add(normalised)
    assert len(raw_tuples) == 5_847  # the README's figure
    assert len(normalised_tuples) == 5_823 == len(accepted) + len(bogus)


def test_memory_stays_flat(enron: Path) -> None:
    tracemalloc.start()
    try:
        count = sum(1 for _ in MaildirConnector(path=enron / "badeer-r").read(checkpoints={}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count > 877
    # one message at a time plus bounded caches; whole-Enron runs peak at about 9 MB
    assert peak < 15_000_000


def test_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(mail("a"))
    with open(os.fsencode(tmp_path) + b"/b\xe9", "wb") as handle:
        handle.write(mail("b"))
    records = read_all(MaildirConnector(path=tmp_path, checkpoint_every=1))
    assert isinstance(records[0], Activity)
    assert records[1] == CheckpointMark(stream="files", cursor="a")
    bad = records[2]
    assert isinstance(bad, Rejected)
    assert (bad.source_key, bad.reason) == ("b\\xe9", "file name is not valid UTF-8")
    assert records[3] == CheckpointMark(stream="files", cursor="a")  # never a cursor it cannot store


def test_unlistable_folder_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "1").write_bytes(mail("a"))
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "1").write_bytes(mail("b"))
    real_scandir = os.scandir

    def fake_scandir(path: Path) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    records = read_all(MaildirConnector(path=tmp_path))
    assert [(r.source_key, getattr(r, "reason", "ok")) for r in records if not isinstance(r, CheckpointMark)] == [
        ("locked", "unreadable folder: PermissionError: Permission denied"),
        ("open/1", "ok"),
    ]
    assert records[-1] == CheckpointMark(stream="files", cursor="open/1")
