"""Slack workspace exports (a folder or a zip) as contacts and chat activities.

An export holds ``users.json``, ``channels.json`` (and optionally ``groups.json``,
``dms.json``, ``mpims.json``) and one folder per conversation with one
``YYYY-MM-DD.json`` file per day, each a JSON array of message objects.

Identity scheme, shared with :mod:`tellgraph.extractors.slack_api` so that an export
and the live API of the same workspace produce the same records:

* handle of a user or bot: ``slack:<team id>:<user or bot id>`` where the team id is
  the workspace being read (``T0820LGJGRF``), not a user's home team;
* communication key: ``stable_id("m", "slack", <team id>, <channel id>, <ts>)``;
* thread key: ``slack:<team id>:<channel id>:<thread_ts>``.

The conversion helpers in this module (:class:`SlackDirectory`,
:func:`message_to_record`, :func:`user_to_contact`) are used by both connectors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from tellgraph.errors import ConnectorError
from tellgraph.schema.model import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    Activity,
    Channel,
    Participant,
    Role,
    clean_text,
    stable_id,
)
from tellgraph.schema.records import CheckpointMark, ContactRecord, Rejected, SourceRecord

logger = logging.getLogger(__name__)

KIND = "slack-export"

DEFAULT_MAX_AUDIENCE = 50
"""Channels with more members than this are broadcasts: members are not listed as recipients."""

DEFAULT_MAX_TOTAL_BYTES = 2 * 1024**3
DEFAULT_MAX_FILE_BYTES = 512 * 1024**2
DEFAULT_MAX_RATIO = 200
DEFAULT_MAX_MEMBERS = 1_000_000
_RATIO_FLOOR_BYTES = 10 * 1024**2
"""Small members may compress very well (``[]`` repeated); only large ones are ratio-checked."""

USERS_STREAM = "users"
"""Checkpoint stream of the user list: its cursor is a hash of the contacts last yielded."""

SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "channel_posting_permissions",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "pinned_item",
        "unpinned_item",
        "reminder_add",
        "sh_room_created",
        "huddle_thread",
        "tombstone",
        "message_changed",
        "message_deleted",
        "message_replied",
    }
)
"""Subtypes that record a change to a channel, not something a person said to others."""

SYSTEM_MESSAGE = "system message"

_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_TS = re.compile(r"^(\d{1,12})(?:\.(\d{1,6}))?$")
_MARKUP = re.compile(r"<([^<>\n]{1,2000})>")
_MAX_TS_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second datetime can hold


# --------------------------------------------------------------------------- shared helpers


def _str(obj: Mapping[str, Any], key: str) -> str | None:
    """A non-empty string value, or ``None`` for anything else (exports are not always tidy)."""
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _name(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(clean_text(value, limit=MAX_NAME_LENGTH * 2).split())[:MAX_NAME_LENGTH]
    return cleaned or None


def normalise_ts(value: Any) -> str | None:
    """Slack's ``ts`` (epoch seconds with six decimals) in canonical form, or ``None`` if invalid.

    Exports and the Web API both write ``"1452837318.000002"``; numbers and shorter
    fractions are accepted and normalised so that keys never depend on formatting.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        seconds, micros = value, 0
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or value < 0:
            return None
        seconds = int(value)
        micros = round((value - seconds) * 1_000_000)
        if micros >= 1_000_000:
            seconds, micros = seconds + 1, 0
    elif isinstance(value, str):
        match = _TS.match(value.strip())
        if not match:
            return None
        seconds = int(match.group(1))
        micros = int((match.group(2) or "0").ljust(6, "0"))
    else:
        return None
    if seconds < 0 or seconds > _MAX_TS_SECONDS:
        return None
    return f"{seconds}.{micros:06d}"


def ts_to_datetime(ts: str) -> datetime:
    """The UTC time of a canonical ``ts`` (see :func:`normalise_ts`), exact to the microsecond."""
    seconds, _, micros = ts.partition(".")
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=int(micros or "0"))


def ts_after(ts: str, cursor: str | None) -> bool:
    """Whether ``ts`` is strictly newer than ``cursor`` (both canonical; no cursor means yes)."""
    if cursor is None:
        return True
    return ts_sort_key(ts) > ts_sort_key(cursor)


def ts_sort_key(ts: str) -> tuple[int, int]:
    """Orders canonical ``ts`` values numerically (string order breaks across digit counts)."""
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or "0")


def message_key(*, team_id: str, channel_id: str, ts: str) -> str:
    """The content identity of a Slack message: the same in exports and in the Web API."""
    return stable_id("m", "slack", team_id, channel_id, ts)


def thread_key(*, team_id: str, channel_id: str, thread_ts: str) -> str:
    """The thread a message belongs to (a thread's parent has ``thread_ts == ts``)."""
    return f"slack:{team_id}:{channel_id}:{thread_ts}"


def user_handle(*, team_id: str, user_id: str) -> str:
    """The identity handle of a Slack user or bot in a workspace."""
    return f"slack:{team_id}:{user_id}"


def records_digest(records: Sequence[ContactRecord]) -> str:
    """A short hash of contact records: unchanged users yield nothing on the next run."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(record.model_dump_json().encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:32]


# --------------------------------------------------------------------------- directory


@dataclass(frozen=True)
class SlackUser:
    """What the workspace knows about one user (or bot user)."""

    id: str
    username: str | None = None
    real_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    title: str | None = None
    phone: str | None = None
    is_bot: bool = False
    deleted: bool = False
    tz: str | None = None

    @property
    def best_name(self) -> str | None:
        """The name to resolve identities with: the real name before nicknames."""
        return self.real_name or self.display_name or self.username

    @property
    def mention_name(self) -> str | None:
        """The name Slack shows after ``@`` in messages."""
        return self.display_name or self.real_name or self.username

    @classmethod
    def from_json(cls, obj: Any) -> SlackUser | None:
        """A user from a ``users.json`` / ``users.list`` entry; ``None`` if it has no id."""
        if not isinstance(obj, Mapping):
            return None
        user_id = _str(obj, "id")
        if user_id is None:
            return None
        profile = _mapping(obj.get("profile"))
        email = _str(profile, "email")
        return cls(
            id=user_id.strip(),
            username=_name(_str(obj, "name")),
            real_name=_name(_str(obj, "real_name") or _str(profile, "real_name")),
            display_name=_name(_str(profile, "display_name")),
            email=email.strip().lower() if email and "@" in email else None,
            title=_name(_str(profile, "title")),
            phone=_name(_str(profile, "phone")),
            is_bot=obj.get("is_bot") is True or user_id == "USLACKBOT",
            deleted=obj.get("deleted") is True,
            tz=_name(_str(obj, "tz")),
        )


@dataclass(frozen=True)
class SlackChannel:
    """A conversation: public or private channel, multi-person DM or DM."""

    id: str
    name: str
    members: tuple[str, ...] = ()
    kind: str = "channel"
    member_count: int | None = None

    @property
    def audience_size(self) -> int | None:
        """How many members the channel has, as listed or as counted by Slack."""
        if self.members:
            return len(self.members)
        return self.member_count

    @classmethod
    def from_json(cls, obj: Any, *, kind: str) -> SlackChannel | None:
        """A channel from ``channels.json`` (or groups/dms/mpims, or ``conversations.list``)."""
        if not isinstance(obj, Mapping):
            return None
        channel_id = _str(obj, "id")
        if channel_id is None:
            return None
        raw_members = obj.get("members")
        members: tuple[str, ...] = ()
        if isinstance(raw_members, list):
            members = tuple(dict.fromkeys(m for m in raw_members if isinstance(m, str) and m))
        count = obj.get("num_members")
        return cls(
            id=channel_id,
            name=_str(obj, "name") or channel_id,
            members=members,
            kind=kind,
            member_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        )


@dataclass
class SlackDirectory:
    """Users and channels of one workspace, to turn ids in messages into people and names."""

    team_id: str
    users: dict[str, SlackUser] = field(default_factory=dict)
    channels: dict[str, SlackChannel] = field(default_factory=dict)

    def handle(self, user_id: str) -> str:
        """The identity handle of ``user_id`` in this workspace."""
        return user_handle(team_id=self.team_id, user_id=user_id)

    def participant(
        self, user_id: str, *, role: Role, profile: Mapping[str, Any] | None = None, name: str | None = None
    ) -> Participant:
        """A participant for ``user_id``, named from the directory or the message's own profile."""
        user = self.users.get(user_id)
        if user is not None:
            return Participant(role=role, handle=self.handle(user_id), name=user.best_name, email=user.email)
        fallback = None
        if profile:
            fallback = _str(profile, "real_name") or _str(profile, "display_name") or _str(profile, "name")
        return Participant(role=role, handle=self.handle(user_id), name=_name(fallback or name))

    def resolve_text(self, text: str) -> tuple[str, list[str]]:
        """Slack markup resolved to what a reader sees, and the user ids mentioned.

        ``<@U1>`` becomes ``@Name``, ``<#C1|general>`` ``#general``, ``<!here>`` ``@here``,
        ``<https://x|label>`` ``label``; ``&lt;``/``&gt;``/``&amp;`` are unescaped last
        so that escaped text can never form markup.
        """
        mentioned: list[str] = []

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            target, _, label = inner.partition("|")
            if target.startswith("@"):
                user_id = target[1:].strip()
                if user_id and user_id not in mentioned:
                    mentioned.append(user_id)
                user = self.users.get(user_id)
                shown = (user.mention_name if user else None) or label or user_id
                return "@" + shown.lstrip("@")
            if target.startswith("#"):
                channel = self.channels.get(target[1:])
                shown = label or (channel.name if channel else target[1:])
                return "#" + shown.lstrip("#")
            if target.startswith("!"):
                command = target[1:]
                if label:
                    return label
                if command in {"here", "channel", "everyone"}:
                    return "@" + command
                return "@" + command.split("^", 1)[0]
            return label or target.removeprefix("mailto:")

        resolved = _MARKUP.sub(replace, text)
        resolved = resolved.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return resolved, mentioned


def user_to_contact(user: SlackUser, *, directory: SlackDirectory, source: str, source_key: str) -> ContactRecord:
    """A contact record for a Slack user; bots and deleted users are marked in metadata."""
    metadata = {"workspace": directory.team_id, "slack_user_id": user.id}
    if user.username:
        metadata["username"] = user.username
    if user.display_name:
        metadata["display_name"] = user.display_name
    if user.tz:
        metadata["tz"] = user.tz
    if user.is_bot:
        metadata["is_bot"] = "true"
    if user.deleted:
        metadata["deleted"] = "true"
    return ContactRecord(
        source=source,
        source_key=source_key,
        name=user.best_name,
        emails=[user.email] if user.email else [],
        handles=[directory.handle(user.id)],
        phones=[user.phone] if user.phone else [],
        title=user.title,
        metadata=metadata,
    )


# --------------------------------------------------------------------------- messages


def _attachment_text(message: Mapping[str, Any]) -> str:
    """Text carried by legacy attachments (bot posts often have an empty ``text``)."""
    parts: list[str] = []
    attachments = message.get("attachments")
    if not isinstance(attachments, list):
        return ""
    for attachment in attachments[:50]:
        if not isinstance(attachment, Mapping):
            continue
        pieces = [p for p in (_str(attachment, k) for k in ("pretext", "title", "text")) if p]
        if not pieces and (fallback := _str(attachment, "fallback")):
            pieces = [fallback]
        parts.extend(pieces)
    return "\n".join(parts)


def _file_names(message: Mapping[str, Any]) -> list[str]:
    files: list[Any] = []
    if isinstance(message.get("files"), list):
        files.extend(message["files"])
    if isinstance(message.get("file"), Mapping):
        files.append(message["file"])
    names: list[str] = []
    for item in files[:100]:
        if isinstance(item, Mapping):
            name = _name(_str(item, "name") or _str(item, "title"))
            if name and name not in names:
                names.append(name)
    return names


def _author(message: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The id of whoever posted ``message`` and whether it is a bot."""
    bot_id = _str(message, "bot_id")
    is_bot = bot_id is not None or message.get("subtype") == "bot_message"
    user_id = _str(message, "user")
    if user_id is None:
        # A file comment's author is the commenter, not the file's owner.
        user_id = _str(_mapping(message.get("comment")), "user")
    return (user_id or bot_id), is_bot


def message_to_record(
    message: Any,
    *,
    directory: SlackDirectory,
    channel: SlackChannel,
    source: str,
    source_key: str,
    max_audience: int = DEFAULT_MAX_AUDIENCE,
) -> Activity | Rejected:
    """One Slack message as an :class:`Activity`, or the reason it is not one.

    Recipients: a chat message is read by the channel, so members are ``TO``
    participants, but only in channels of up to ``max_audience`` members; in bigger
    channels a post is a broadcast, not a conversation with each member, and only
    the author, the people mentioned and (for thread replies) the thread's author
    take part. ``metadata["audience"]`` always holds the member count.
    """
    try:
        return _message_to_record(
            message,
            directory=directory,
            channel=channel,
            source=source,
            source_key=source_key,
            max_audience=max_audience,
        )
    except (ValidationError, ValueError, TypeError, KeyError, OverflowError) as exc:
        # A malformed message must never stop the rest of the export from being read.
        return Rejected(source=source, source_key=source_key, reason=f"malformed message: {type(exc).__name__}")


def _message_to_record(
    message: Any,
    *,
    directory: SlackDirectory,
    channel: SlackChannel,
    source: str,
    source_key: str,
    max_audience: int,
) -> Activity | Rejected:
    if not isinstance(message, Mapping):
        return Rejected(source=source, source_key=source_key, reason="message is not a JSON object")
    ts = normalise_ts(message.get("ts"))
    if ts is None:
        return Rejected(source=source, source_key=source_key, reason="missing or invalid ts")
    subtype = _str(message, "subtype")
    if subtype in SYSTEM_SUBTYPES or message.get("hidden") is True:
        return Rejected(source=source, source_key=source_key, reason=f"{SYSTEM_MESSAGE}: {subtype or 'hidden'}")
    msg_type = message.get("type")
    if msg_type is not None and msg_type != "message":
        return Rejected(source=source, source_key=source_key, reason=f"not a message: {str(msg_type)[:40]}")
    author_id, is_bot = _author(message)
    if author_id is None:
        return Rejected(source=source, source_key=source_key, reason="message has no author")

    raw_text = message.get("text") if isinstance(message.get("text"), str) else ""
    text, mentioned_ids = directory.resolve_text(raw_text or "")
    if not text.strip():
        text, extra_mentions = directory.resolve_text(_attachment_text(message))
        mentioned_ids += [m for m in extra_mentions if m not in mentioned_ids]

    bot_name = _str(_mapping(message.get("bot_profile")), "name") or _str(message, "username")
    participants = [
        directory.participant(author_id, role=Role.AUTHOR, profile=_mapping(message.get("user_profile")), name=bot_name)
    ]
    seen: set[tuple[Role, str]] = {(Role.AUTHOR, author_id)}

    def add(user_id: str, role: Role) -> None:
        if user_id == author_id or (role, user_id) in seen:
            return
        seen.add((role, user_id))
        participants.append(directory.participant(user_id, role=role))

    metadata = {"workspace": directory.team_id, "channel_id": channel.id, "channel": channel.name, "ts": ts}
    audience = channel.audience_size
    if audience is not None:
        metadata["audience"] = str(audience)
    if channel.members and len(channel.members) <= max_audience:
        for member in channel.members:
            add(member, Role.TO)
    elif audience is not None and audience > max_audience:
        metadata["broadcast"] = "true"
    thread_ts = normalise_ts(message.get("thread_ts"))
    parent_user = _str(message, "parent_user_id")
    if thread_ts is not None and thread_ts != ts and parent_user:
        # A reply is addressed to the thread's author even in a broadcast channel.
        add(parent_user, Role.TO)
    for user_id in mentioned_ids:
        add(user_id, Role.MENTIONED)

    if subtype:
        metadata["subtype"] = subtype[:60]
    if is_bot:
        metadata["bot"] = "true"
    if thread_ts is not None:
        metadata["thread_ts"] = thread_ts
    canonical = json.dumps(message, sort_keys=True, ensure_ascii=False, default=str)
    return Activity(
        channel=Channel.CHAT,
        source=source,
        source_key=source_key,
        key=message_key(team_id=directory.team_id, channel_id=channel.id, ts=ts),
        timestamp=ts_to_datetime(ts),
        participants=participants,
        text=clean_text(text, limit=MAX_TEXT_LENGTH),
        thread_key=(
            thread_key(team_id=directory.team_id, channel_id=channel.id, thread_ts=thread_ts) if thread_ts else None
        ),
        raw_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        attachments=_file_names(message),
        metadata=metadata,
    )


# --------------------------------------------------------------------------- export files


class _ExportFiles:
    """Read-only access to the files of an export, whether a folder or a zip."""

    def names(self) -> list[str]:
        """Root-relative POSIX paths of every regular file."""
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        """The bytes of one file (bounded in size)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the underlying file handles."""


class _FolderFiles(_ExportFiles):
    def __init__(self, root: Path, *, max_file_bytes: int) -> None:
        self.root = root.resolve()
        self._max_file_bytes = max_file_bytes
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            found: list[str] = []
            # Exports are two levels deep: top-level JSON files and one folder per channel.
            for entry in sorted(self.root.iterdir()):
                if entry.is_file():
                    found.append(entry.name)
                elif entry.is_dir() and not entry.name.startswith(("__", ".")):
                    found.extend(f"{entry.name}/{child.name}" for child in sorted(entry.iterdir()) if child.is_file())
            self._names = found
        return self._names

    def read(self, name: str) -> bytes:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            raise _UnreadableFile("path escapes the export root")
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _UnreadableFile("not a regular file")
        if info.st_size > self._max_file_bytes:
            raise _UnreadableFile(f"file is larger than {self._max_file_bytes} bytes")
        return path.read_bytes()


class _ZipFiles(_ExportFiles):
    def __init__(
        self, path: Path, *, max_total_bytes: int, max_file_bytes: int, max_ratio: float, max_members: int
    ) -> None:
        self._max_file_bytes = max_file_bytes
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ConnectorError(KIND, f"cannot open zip {path.name}: {exc}") from exc
        try:
            self._infos = self._check(max_total_bytes=max_total_bytes, max_ratio=max_ratio, max_members=max_members)
        except BaseException:
            self._zip.close()
            raise
        self._prefix = ""

    def _check(self, *, max_total_bytes: int, max_ratio: float, max_members: int) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > max_members:
            raise ConnectorError(KIND, f"zip has {len(infos)} entries, more than the limit of {max_members}")
        total = 0
        result: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if _unsafe_member_name(name):
                raise ConnectorError(KIND, f"zip entry {name[:200]!r} escapes the export root; refusing the archive")
            if info.is_dir():
                continue
            total += info.file_size
            if total > max_total_bytes:
                raise ConnectorError(
                    KIND,
                    f"zip expands to more than {max_total_bytes} bytes; refusing it as a possible zip bomb",
                )
            if info.file_size > _RATIO_FLOOR_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
                raise ConnectorError(
                    KIND,
                    f"zip entry {name[:200]!r} expands {info.file_size // max(info.compress_size, 1)}x; "
                    "refusing it as a possible zip bomb",
                )
            result[name] = info
        return result

    def set_prefix(self, prefix: str) -> None:
        self._prefix = prefix

    def names(self) -> list[str]:
        return [name[len(self._prefix) :] for name in self._infos if name.startswith(self._prefix)]

    def all_names(self) -> list[str]:
        return list(self._infos)

    def read(self, name: str) -> bytes:
        info = self._infos[self._prefix + name]
        if info.file_size > self._max_file_bytes:
            raise _UnreadableFile(f"file is larger than {self._max_file_bytes} bytes")
        try:
            with self._zip.open(info) as handle:
                # Never trust the declared size alone: read at most one byte more than it.
                data = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as exc:
            raise _UnreadableFile(f"cannot read from zip: {exc}") from exc
        if len(data) > info.file_size:
            raise _UnreadableFile("entry is larger than the zip says")
        return data

    def close(self) -> None:
        self._zip.close()


def _unsafe_member_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in re.split(r"[\\/]", name))


class _UnreadableFile(Exception):
    """One file of the export cannot be read (reported as a rejection)."""


def _open_export(
    path: Path, *, max_total_bytes: int, max_file_bytes: int, max_ratio: float, max_members: int
) -> _ExportFiles:
    if path.is_dir():
        files: _ExportFiles = _FolderFiles(path, max_file_bytes=max_file_bytes)
        names = files.names()
        if "channels.json" not in names and "users.json" not in names:
            subdirs = [p for p in sorted(path.iterdir()) if p.is_dir() and (p / "channels.json").is_file()]
            if len(subdirs) == 1:
                files = _FolderFiles(subdirs[0], max_file_bytes=max_file_bytes)
            else:
                raise ConnectorError(KIND, f"{path} is not a Slack export: no channels.json or users.json")
        return files
    if path.is_file() and zipfile.is_zipfile(path):
        zipped = _ZipFiles(
            path,
            max_total_bytes=max_total_bytes,
            max_file_bytes=max_file_bytes,
            max_ratio=max_ratio,
            max_members=max_members,
        )
        roots = sorted(
            {n.rsplit("/", 1)[0] + "/" if "/" in n else "" for n in zipped.all_names() if _is_top_file(n)},
            key=len,
        )
        if not roots:
            zipped.close()
            raise ConnectorError(KIND, f"{path.name} is not a Slack export: no channels.json or users.json")
        zipped.set_prefix(roots[0])
        return zipped
    if not path.exists():
        raise ConnectorError(KIND, f"{path} does not exist")
    raise ConnectorError(KIND, f"{path} is neither a folder nor a zip file")


def _is_top_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base in {"channels.json", "users.json"} and name.count("/") <= 1


# --------------------------------------------------------------------------- connector


_CONVERSATION_FILES = (
    ("channels.json", "channel"),
    ("groups.json", "group"),
    ("mpims.json", "mpim"),
    ("dms.json", "im"),
)


class SlackExportConnector:
    """Reads a Slack workspace export (folder or zip) into contacts and chat activities.

    First one :class:`ContactRecord` per user of ``users.json``, then every message
    as an :class:`Activity`, channel by channel and day by day. System messages
    (joins, leaves, integrations added) are yielded as :class:`Rejected` with the
    reason ``"system message: <subtype>"`` so the run summary counts them.

    Checkpoints: one stream per channel (the channel id) whose cursor is
    ``"<day file>#<last ts>"``; a resumed run skips earlier day files and, in the
    cursor's day file, messages up to that ts (a later export may have more of that
    day). Stream ``users`` holds a hash of the contacts, which are yielded again only
    when they change.

    Args:
        path: the export folder or ``.zip``.
        workspace: the Slack team id to key records by; by default it is read from
            the export (``channels.json`` or ``users.json``). It must be the team id
            for records to match those of :class:`~tellgraph.extractors.slack_api.SlackApiConnector`.
        max_audience: channels with more members are broadcasts (members not listed as recipients).
        max_total_bytes: a zip expanding to more is refused (zip bomb).
        max_file_bytes: a single JSON file larger than this is rejected.
        max_ratio: a zip entry over 10 MiB that expands more than this many times is refused.
    """

    kind = KIND

    def __init__(
        self,
        *,
        path: Path,
        workspace: str | None = None,
        max_audience: int = DEFAULT_MAX_AUDIENCE,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_ratio: float = DEFAULT_MAX_RATIO,
        max_members: int = DEFAULT_MAX_MEMBERS,
    ) -> None:
        self._path = Path(path)
        self._workspace = workspace
        self._max_audience = max_audience
        self._max_total_bytes = max_total_bytes
        self._max_file_bytes = max_file_bytes
        self._max_ratio = max_ratio
        self._max_members = max_members
        self.stats: Counter[str] = Counter()
        """What the last :meth:`read` did: users, activities, system messages, rejected."""

    @property
    def location(self) -> str:
        """The export's absolute path."""
        return str(self._path.resolve())

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield contacts, then activities channel by channel, with a checkpoint per day file."""
        self.stats = Counter()
        files = _open_export(
            self._path,
            max_total_bytes=self._max_total_bytes,
            max_file_bytes=self._max_file_bytes,
            max_ratio=self._max_ratio,
            max_members=self._max_members,
        )
        try:
            yield from self._read(files, checkpoints)
        finally:
            files.close()
            logger.info(
                "slack export %s: %d users, %d activities, %d system messages skipped, %d other rejections",
                self._path.name,
                self.stats["users"],
                self.stats["activities"],
                self.stats["system"],
                self.stats["rejected"],
            )

    # -- reading ------------------------------------------------------------------------

    def _load_json(self, files: _ExportFiles, name: str) -> tuple[Any, Rejected | None]:
        try:
            data = files.read(name)
            return json.loads(data), None
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {name}: {exc.msg} at line {exc.lineno}"
        except UnicodeDecodeError:
            reason = f"invalid JSON: {name}: not UTF-8"
        except RecursionError:
            reason = f"invalid JSON: {name}: nested too deeply"
        except _UnreadableFile as exc:
            reason = f"unreadable file: {name}: {exc}"
        except OSError as exc:
            reason = f"unreadable file: {name}: {exc.strerror or exc}"
        return None, Rejected(source=KIND, source_key=name, reason=reason)

    def _read(self, files: _ExportFiles, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        names = files.names()
        top = set(names)

        raw_users: list[Any] = []
        if "users.json" in top:
            data, problem = self._load_json(files, "users.json")
            if problem:
                yield self._reject(problem)
            elif isinstance(data, list):
                raw_users = data
            else:
                yield self._reject(Rejected(source=KIND, source_key="users.json", reason="expected a JSON array"))

        channel_lists: list[tuple[str, list[Any]]] = []
        for file_name, kind in _CONVERSATION_FILES:
            if file_name not in top:
                continue
            data, problem = self._load_json(files, file_name)
            if problem:
                yield self._reject(problem)
            elif isinstance(data, list):
                channel_lists.append((kind, data))
            else:
                yield self._reject(Rejected(source=KIND, source_key=file_name, reason="expected a JSON array"))

        team_id = self._workspace or _team_id(raw_users, channel_lists) or _fallback_workspace(self._path)
        directory = SlackDirectory(team_id=team_id)
        for entry in raw_users:
            user = SlackUser.from_json(entry)
            if user is not None:
                directory.users[user.id] = user
        folders: dict[str, SlackChannel] = {}
        for kind, entries in channel_lists:
            for entry in entries:
                channel = SlackChannel.from_json(entry, kind=kind)
                if channel is None:
                    continue
                directory.channels[channel.id] = channel
                # Channel folders are named after the channel; DM folders after the DM id.
                folders.setdefault(channel.name, channel)
                folders.setdefault(channel.id, channel)

        yield from self._contacts(directory, checkpoints)

        day_files: dict[str, list[str]] = {}
        for name in names:
            folder, sep, base = name.partition("/")
            if sep and _DAY_FILE.match(base):
                day_files.setdefault(folder, []).append(base)
        for folder in sorted(day_files):
            channel = folders.get(folder)
            if channel is None:
                logger.warning("slack export: folder %r is not listed in the export's channel files", folder)
                channel = SlackChannel(id=folder, name=folder)
            yield from self._channel(files, directory, folder, channel, sorted(day_files[folder]), checkpoints)

    def _contacts(self, directory: SlackDirectory, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        contacts = [
            user_to_contact(user, directory=directory, source=KIND, source_key=f"users.json#{user.id}")
            for user in directory.users.values()
        ]
        digest = records_digest(contacts)
        if checkpoints.get(USERS_STREAM) == digest:
            logger.info("slack export: users unchanged since the last run")
            return
        for contact in contacts:
            self.stats["users"] += 1
            yield contact
        yield CheckpointMark(stream=USERS_STREAM, cursor=digest)

    def _channel(
        self,
        files: _ExportFiles,
        directory: SlackDirectory,
        folder: str,
        channel: SlackChannel,
        days: list[str],
        checkpoints: Mapping[str, str],
    ) -> Iterator[SourceRecord]:
        done_day, _, done_ts_raw = checkpoints.get(channel.id, "").partition("#")
        done_ts = normalise_ts(done_ts_raw) if done_ts_raw else None
        for day in days:
            if done_day and (day < done_day or (day == done_day and done_ts is None)):
                continue
            skip_until = done_ts if day == done_day else None
            name = f"{folder}/{day}"
            data, problem = self._load_json(files, name)
            if problem:
                yield self._reject(problem)
                yield CheckpointMark(stream=channel.id, cursor=day)
                continue
            if not isinstance(data, list):
                yield self._reject(Rejected(source=KIND, source_key=name, reason="expected a JSON array"))
                yield CheckpointMark(stream=channel.id, cursor=day)
                continue
            last_ts = skip_until
            emitted = False
            for index, message in enumerate(data):
                ts = normalise_ts(message.get("ts")) if isinstance(message, Mapping) else None
                if ts is not None and skip_until is not None and not ts_after(ts, skip_until):
                    continue
                source_key = f"{name}#{ts}" if ts else f"{name}#{index}"
                record = message_to_record(
                    message,
                    directory=directory,
                    channel=channel,
                    source=KIND,
                    source_key=source_key,
                    max_audience=self._max_audience,
                )
                emitted = True
                if ts is not None and (last_ts is None or ts_after(ts, last_ts)):
                    last_ts = ts
                yield self._count(record)
            if emitted or skip_until is None:
                yield CheckpointMark(stream=channel.id, cursor=f"{day}#{last_ts}" if last_ts else day)

    def _count(self, record: Activity | Rejected) -> Activity | Rejected:
        if isinstance(record, Activity):
            self.stats["activities"] += 1
            return record
        return self._reject(record)

    def _reject(self, record: Rejected) -> Rejected:
        if record.reason.startswith(SYSTEM_MESSAGE):
            self.stats["system"] += 1
        else:
            self.stats["rejected"] += 1
        return record


def _team_id(raw_users: Iterable[Any], channel_lists: Iterable[tuple[str, list[Any]]]) -> str | None:
    """The export's team id: channels name it directly in new exports, users in every export."""
    votes: Counter[str] = Counter()
    for _, entries in channel_lists:
        for entry in entries:
            if isinstance(entry, Mapping) and (team := _str(entry, "context_team_id")):
                votes[team] += 1
    if not votes:
        for entry in raw_users:
            if isinstance(entry, Mapping) and (team := _str(entry, "team_id")):
                votes[team] += 1
    return votes.most_common(1)[0][0] if votes else None


def _fallback_workspace(path: Path) -> str:
    # Without a team id the records cannot match the live API's; the export's name keeps
    # them at least stable across runs of the same export.
    name = PurePosixPath(path.name).stem or "slack"
    logger.warning("slack export %s names no team id; keying records by %r", path.name, name)
    return name
