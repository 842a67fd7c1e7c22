"""SlackExportConnector against the two real exports in the shared data."""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellgraph.errors import ConnectorError
from tellgraph.extractors.base import Connector
from tellgraph.extractors.slack_export import (
    SlackDirectory,
    SlackExportConnector,
    SlackUser,
    message_key,
    normalise_ts,
    ts_to_datetime,
)
from tellgraph.schema.model import Activity, Channel, Role
from tellgraph.schema.records import CheckpointMark, ContactRecord, Rejected, SourceRecord

OLAKE = "olake-community"
ARCHIVE = "slack-export-viewer-testarchive"


def _read(path: Path, checkpoints: dict[str, str] | None = None, **kwargs: Any) -> list[SourceRecord]:
    return list(SlackExportConnector(path=path, **kwargs).read(checkpoints=checkpoints or {}))


T = TypeVar("T")


def _of(records: list[SourceRecord], kind: type[T]) -> list[T]:
    return [r for r in records if isinstance(r, kind)]


def _writable_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    # The shared data is read-only; the copies must be editable.
    for path in [dst, *dst.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return dst


def _zip_folder(folder: Path, target: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(folder).as_posix())
    return target


@pytest.fixture(scope="module")
def olake(shared_data: Path) -> Path:
    return shared_data / "slack-export-sample" / OLAKE


@pytest.fixture(scope="module")
def archive(shared_data: Path) -> Path:
    return shared_data / "slack-export-sample" / ARCHIVE


@pytest.fixture(scope="module")
def olake_records(olake: Path) -> list[SourceRecord]:
    return _read(olake)


def test_is_a_connector(olake: Path) -> None:
    connector = SlackExportConnector(path=olake)
    assert isinstance(connector, Connector)
    assert connector.kind == "slack-export"
    assert connector.location == str(olake.resolve())


def test_olake_counts_match_the_readme(olake_records: list[SourceRecord]) -> None:
    contacts = _of(olake_records, ContactRecord)
    activities = _of(olake_records, Activity)
    rejected = _of(olake_records, Rejected)
    # README: 681 users and 296 messages; 2 of the messages are bot_add/bot_remove notices.
    assert len(contacts) == 681
    assert len(activities) == 294
    assert sorted(r.reason for r in rejected) == ["system message: bot_add", "system message: bot_remove"]
    assert len(activities) + len(rejected) == 296
    assert len({a.key for a in activities}) == 294
    # 40 distinct authors in the README; one of them only removed an integration.
    assert len({a.participants[0].handle for a in activities}) == 39
    # README: 154 messages with <@U...> mentions.
    assert sum(1 for a in activities if any(p.role is Role.MENTIONED for p in a.participants)) == 154


def test_archive_counts_match_the_readme(archive: Path) -> None:
    records = _read(archive)
    activities = _of(records, Activity)
    rejected = _of(records, Rejected)
    assert len(_of(records, ContactRecord)) == 4
    # README: 158 messages of which 94 bot_message; 8 channel_join and 3 bot_add are system notices.
    assert len(activities) == 147
    assert Counter(r.reason for r in rejected) == {
        "system message: channel_join": 8,
        "system message: bot_add": 3,
    }
    bots = [a for a in activities if a.metadata.get("bot") == "true"]
    assert len(bots) == 94
    assert all(a.participants[0].role is Role.AUTHOR for a in bots)
    assert {a.participants[0].handle for a in bots} == {
        "slack:T0BMHLSRH:B0JL6RASU",
        "slack:T0BMHLSRH:B0JL6UFSL",
        "slack:T0BMHLSRH:B0VJZKVHC",
    }


def test_contacts_carry_handle_name_and_title(archive: Path) -> None:
    contacts = {c.handles[0]: c for c in _of(_read(archive), ContactRecord)}
    hermione = contacts["slack:T0BMHLSRH:U0BMS113R"]
    assert hermione.name == "Hermione Granger"
    assert hermione.title == "Eat Monkeys"
    assert hermione.source == "slack-export"
    assert hermione.source_key == "users.json#U0BMS113R"
    assert hermione.metadata["username"] == "doubledeez"
    assert hermione.emails == []  # the export has no email fields


def test_activity_shape_in_a_small_channel(archive: Path) -> None:
    activities = {a.source_key: a for a in _of(_read(archive), Activity)}
    activity = activities["enrique/2016-01-14.json#1452837352.000006"]
    assert activity.channel is Channel.CHAT
    assert activity.source == "slack-export"
    assert activity.key == message_key(team_id="T0BMHLSRH", channel_id="C0JGLMMNX", ts="1452837352.000006")
    assert activity.timestamp == ts_to_datetime("1452837352.000006")
    assert (
        activity.text == "@abilinski: Created an issue for a setup.py so that it can be installed to a standard place"
    )
    roles = [(p.role, p.handle) for p in activity.participants]
    assert roles[0] == (Role.AUTHOR, "slack:T0BMHLSRH:U0BMQB6JE")
    assert activity.participants[0].name == "Hamza Faran"
    # Every other member of the 4-person channel received it; the mentioned one is also MENTIONED.
    assert sorted(str(h) for r, h in roles if r is Role.TO) == [
        "slack:T0BMHLSRH:U0BMM2FEH",
        "slack:T0BMHLSRH:U0BMS113R",
        "slack:T0BMHLSRH:U0BMYT2FL",
    ]
    assert [h for r, h in roles if r is Role.MENTIONED] == ["slack:T0BMHLSRH:U0BMYT2FL"]
    assert activity.metadata["audience"] == "4"
    assert "broadcast" not in activity.metadata


def test_big_channels_are_broadcasts_and_replies_address_the_thread_author(
    olake_records: list[SourceRecord],
) -> None:
    activities = _of(olake_records, Activity)
    assert all(a.metadata["broadcast"] == "true" for a in activities)
    assert {a.metadata["audience"] for a in activities} == {"613", "620", "648", "649", "647"}
    # Nobody is a recipient just for being one of ~650 members.
    assert all(len(a.participants) < 20 for a in activities)
    threads = Counter(a.thread_key for a in activities if a.thread_key)
    assert len(threads) == 28  # README: 28 threads
    reply = next(a for a in activities if a.source_key == "help/2026-05-21.json#1779377799.907699")
    parent = next(a for a in activities if a.source_key == "help/2026-05-21.json#1779377779.163259")
    assert reply.thread_key == parent.thread_key == "slack:T0820LGJGRF:C081MV728N7:1779377779.163259"
    later = next(a for a in activities if a.source_key == "help/2026-05-21.json#1779378005.661429")
    assert (Role.TO, "slack:T0820LGJGRF:U0B4UMFK7C3") in [(p.role, p.handle) for p in later.participants]


def test_folder_and_zip_give_the_same_records(olake: Path, tmp_path: Path) -> None:
    folder = _read(olake)
    flat = _read(_zip_folder(olake, tmp_path / "flat.zip"))
    nested = _read(_zip_folder(olake, tmp_path / "nested.zip", prefix="export/"))
    assert [r.model_dump() for r in flat] == [r.model_dump() for r in folder]
    assert [r.model_dump() for r in nested] == [r.model_dump() for r in folder]


def test_a_broken_day_file_is_rejected_and_the_rest_is_read(archive: Path, tmp_path: Path) -> None:
    export = _writable_copy(archive, tmp_path / "export")
    broken = export / "enrique" / "2016-02-07.json"
    lost = len(json.loads(broken.read_text()))
    broken.write_text('[{"type": "message", "text": "cut off')
    records = _read(export)
    problems = [r for r in _of(records, Rejected) if not r.reason.startswith("system message")]
    assert len(problems) == 1
    assert problems[0].source_key == "enrique/2016-02-07.json"
    assert problems[0].reason.startswith("invalid JSON: enrique/2016-02-07.json: ")
    assert len(_of(records, Activity)) == 147 - lost
    assert len(_of(records, ContactRecord)) == 4


def test_broken_users_and_channels_files_are_rejected(archive: Path, tmp_path: Path) -> None:
    export = _writable_copy(archive, tmp_path / "export")
    (export / "users.json").write_text("{not json")
    (export / "channels.json").write_bytes(b'["\xc3\x28"]')
    records = _read(export)
    problems = {r.source_key: r.reason for r in _of(records, Rejected) if not r.reason.startswith("system")}
    assert problems == {
        "users.json": problems["users.json"],
        "channels.json": "invalid JSON: channels.json: not UTF-8",
    }
    assert problems["users.json"].startswith("invalid JSON: users.json: ")
    activities = _of(records, Activity)
    assert len(activities) == 147
    # Without channels.json the folder name stands in for the channel id; without users.json,
    # the team id cannot be read from the export and the export's name is used.
    assert activities[0].metadata["channel_id"] == "enrique"
    assert activities[0].metadata["workspace"] == "export"


def test_a_day_file_that_is_not_an_array_is_rejected(archive: Path, tmp_path: Path) -> None:
    export = _writable_copy(archive, tmp_path / "export")
    (export / "enrique" / "2016-01-14.json").write_text('{"messages": []}')
    rejected = [r for r in _of(_read(export), Rejected) if r.reason == "expected a JSON array"]
    assert [r.source_key for r in rejected] == ["enrique/2016-01-14.json"]


def test_checkpoints_per_channel_and_resume_yields_nothing_new(olake: Path) -> None:
    first = _read(olake)
    marks = _of(first, CheckpointMark)
    cursors = {m.stream: m.cursor for m in marks}
    assert set(cursors) == {
        "users",
        "C081GUXUQ5U",
        "C081KBMJQUD",
        "C081K4RM07P",
        "C081MTEGP8B",
        "C081MV728N7",
    }
    assert cursors["C081MV728N7"] == "2026-08-07.json#1786110914.375639"
    # One mark per day file (78) and one for the users.
    assert len(marks) == 79
    assert _read(olake, cursors) == []


def test_resume_from_the_middle(archive: Path) -> None:
    full = _of(_read(archive), Activity)
    enrique = [a for a in full if a.metadata["channel"] == "enrique"]
    later_days = [a for a in enrique if a.source_key.split("/")[1].split("#")[0] > "2016-03-26.json"]
    resumed = _read(archive, {"C0JGLMMNX": "2016-03-26.json", "C0JL6CGQ2": "2016-03-29.json"})
    assert [a.key for a in _of(resumed, Activity)] == [a.key for a in later_days]

    # A cursor inside a day file: only that day's later messages, then the later days.
    day = [a for a in enrique if "/2016-03-26.json#" in a.source_key]
    cursor = f"2016-03-26.json#{day[4].metadata['ts']}"
    resumed = _read(archive, {"C0JGLMMNX": cursor, "C0JL6CGQ2": "2016-03-29.json"})
    assert [a.key for a in _of(resumed, Activity)] == [a.key for a in day[5:] + later_days]


def test_unchanged_users_are_not_yielded_again(archive: Path, tmp_path: Path) -> None:
    first = _read(archive)
    users_cursor = next(m.cursor for m in _of(first, CheckpointMark) if m.stream == "users")
    assert _of(_read(archive, {"users": users_cursor}), ContactRecord) == []
    export = _writable_copy(archive, tmp_path / "export")
    users = json.loads((export / "users.json").read_text())
    users[0]["profile"]["title"] = "Captain"
    (export / "users.json").write_text(json.dumps(users))
    assert len(_of(_read(export, {"users": users_cursor}), ContactRecord)) == 4


def _zip_with(tmp_path: Path, members: dict[str, bytes], *, name: str = "x.zip") -> Path:
    target = tmp_path / name
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return target


def test_zip_bombs_are_refused(tmp_path: Path) -> None:
    base = {"channels.json": b"[]", "users.json": b"[]"}
    bomb = _zip_with(tmp_path, {**base, "general/2020-01-01.json": b"\0" * (30 * 1024**2)}, name="bomb.zip")
    with pytest.raises(ConnectorError, match="zip bomb"):
        _read(bomb)
    big = _zip_with(tmp_path, {**base, "general/2020-01-01.json": b"[]" * 1000}, name="big.zip")
    with pytest.raises(ConnectorError, match="more than 1000 bytes"):
        _read(big, max_total_bytes=1000)


@pytest.mark.parametrize("member", ["../channels.json", "/etc/passwd", "general/../../x.json", "C:/x.json"])
def test_zip_paths_escaping_the_root_are_refused(tmp_path: Path, member: str) -> None:
    archive = _zip_with(tmp_path, {"channels.json": b"[]", member: b"[]"})
    with pytest.raises(ConnectorError, match="escapes the export root"):
        _read(archive)


def test_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="does not exist"):
        _read(tmp_path / "missing")
    with pytest.raises(ConnectorError, match="not a Slack export"):
        _read(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ConnectorError, match="neither a folder nor a zip"):
        _read(tmp_path / "notes.txt")


def test_dm_folders_are_named_by_id_and_folders_outside_the_lists_are_still_read(tmp_path: Path) -> None:
    export = tmp_path / "export"
    (export / "D01").mkdir(parents=True)
    (export / "stray").mkdir()
    (export / "channels.json").write_text("[]")
    (export / "dms.json").write_text(json.dumps([{"id": "D01", "members": ["U1", "U2"]}]))
    (export / "users.json").write_text(
        json.dumps([{"id": "U1", "team_id": "T9", "real_name": "Ann"}, {"id": "U2", "team_id": "T9"}])
    )
    message = {"type": "message", "user": "U1", "text": "hi <@U2>", "ts": "1600000000.000100"}
    (export / "D01" / "2020-09-13.json").write_text(json.dumps([message]))
    (export / "stray" / "2020-09-13.json").write_text(json.dumps([message]))
    activities = _of(_read(export), Activity)
    dm, stray = activities
    assert dm.metadata["channel_id"] == "D01"
    assert [(p.role, p.handle) for p in dm.participants] == [
        (Role.AUTHOR, "slack:T9:U1"),
        (Role.TO, "slack:T9:U2"),
        (Role.MENTIONED, "slack:T9:U2"),
    ]
    assert dm.text == "hi @U2"
    assert stray.metadata["channel_id"] == "stray"
    assert "audience" not in stray.metadata


def _directory() -> SlackDirectory:
    directory = SlackDirectory(team_id="T1")
    directory.users["U1"] = SlackUser(id="U1", real_name="Ann Lee", display_name="ann")
    return directory


@pytest.mark.parametrize(
    ("raw", "text", "mentioned"),
    [
        ("hi <@U1>!", "hi @ann!", ["U1"]),
        ("hi <@U9|bob>", "hi @bob", ["U9"]),
        ("hi <@U9>", "hi @U9", ["U9"]),
        ("see <#C1|general>", "see #general", []),
        ("<!here> and <!channel>", "@here and @channel", []),
        ("<!subteam^S1|@eng> ping", "@eng ping", []),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014", []),
        ("read <https://x.example/a?b=1&amp;c=2|the docs>", "read the docs", []),
        ("<https://x.example>", "https://x.example", []),
        ("<mailto:ann@x.example|ann@x.example>", "ann@x.example", []),
        ("a &lt;@U1&gt; b &amp;lt;", "a <@U1> b &lt;", []),
    ],
)
def test_markup_is_resolved(raw: str, text: str, mentioned: list[str]) -> None:
    assert _directory().resolve_text(raw) == (text, mentioned)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1452837318.000002", "1452837318.000002"),
        ("1452837318.2", "1452837318.200000"),
        ("1452837318", "1452837318.000000"),
        (1452837318, "1452837318.000000"),
        (1452837318.5, "1452837318.500000"),
        ("-1", None),
        ("abc", None),
        (True, None),
        (float("nan"), None),
        ("99999999999999.1", None),
        (None, None),
    ],
)
def test_normalise_ts(value: object, expected: str | None) -> None:
    assert normalise_ts(value) == expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
_message_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "other"]) | _json,
        "ts": st.sampled_from(["1600000000.000001", "1", "x"]) | _json,
        "user": st.sampled_from(["U1", "U2", ""]) | _json,
        "text": st.text(max_size=60) | st.sampled_from(["<@U1> <#C1> <!here> <x|y>", "<@>", "<|>"]) | _json,
        "subtype": st.sampled_from(["bot_message", "channel_join", "file_comment"]) | _json,
        "thread_ts": st.sampled_from(["1600000000.000001"]) | _json,
        "parent_user_id": _json,
        "bot_id": _json,
        "attachments": _json,
        "files": _json,
        "file": _json,
        "comment": _json,
        "user_profile": _json,
        "bot_profile": _json,
        "hidden": _json,
    },
)


def _export_with_day_file(root: Path, content: str) -> Path:
    (root / "general").mkdir()
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general", "members": ["U1", "U2"]}]))
    (root / "users.json").write_text(json.dumps([{"id": "U1", "team_id": "T1", "real_name": "Ann"}]))
    (root / "general" / "2020-09-13.json").write_text(content)
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=_json | st.lists(_message_like, max_size=5))
def test_random_json_in_a_day_file_never_crashes(content: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        export = _export_with_day_file(Path(tmp), json.dumps(content))
        records = _read(export)
    assert all(isinstance(r, Activity | ContactRecord | Rejected | CheckpointMark) for r in records)
    assert any(isinstance(r, CheckpointMark) and r.stream == "C1" for r in records)


@settings(max_examples=50, deadline=None)
@given(content=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_random_bytes_in_a_day_file_never_crash(content: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        export = _export_with_day_file(Path(tmp), content)
        records = _read(export)
    assert len(_of(records, ContactRecord)) == 1


def test_a_symlink_out_of_the_export_is_not_followed(archive: Path, tmp_path: Path) -> None:
    export = _writable_copy(archive, tmp_path / "export")
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps([{"type": "message", "user": "U0BMQB6JE", "text": "secret", "ts": "1.0"}]))
    (export / "enrique" / "2016-04-01.json").symlink_to(outside)
    records = _read(export)
    assert [(r.source_key, r.reason) for r in _of(records, Rejected) if r.reason.startswith("unreadable")] == [
        ("enrique/2016-04-01.json", "unreadable file: enrique/2016-04-01.json: path escapes the export root")
    ]
    assert all(a.text != "secret" for a in _of(records, Activity))
