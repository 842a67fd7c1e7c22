"""The ``mbox`` connector: a Google Takeout (or any mboxrd/mboxo) export, read as a stream.

One stream per ``.mbox`` file; its cursor is ``"<byte offset>:<message index>"``: the
offset just after the last message yielded (a resumed run seeks straight there) and
the index the next message gets, so source keys stay ``"<file>#<index>"`` across runs.

Why not :class:`mailbox.mbox`: it scans the whole file to build a table of contents
before yielding anything, splits on every line that starts with ``From `` (one
unescaped line in a body cuts a message in two), leaves ``>From`` quoting in place,
and has no way to resume from an offset. Reading lines here keeps memory flat (one
message at a time, capped), works on files of any size, and seeks on resume.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tellgraph.errors import ConnectorError
from tellgraph.extractors.mail import MAX_MESSAGE_BYTES, parse_message
from tellgraph.schema.model import utcnow
from tellgraph.schema.records import CheckpointMark, Rejected

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from datetime import datetime

    from tellgraph.schema.records import SourceRecord

CHECKPOINT_EVERY = 500

# readline() limit: a binary file with no newlines must not become one giant "line".
_LINE_LIMIT = 1 << 16
# An envelope line as writers produce it: "From sender Thu Jan  1 00:00:00 2000",
# Takeout's "From 1590000000000000000@xxx Wed Jun 03 17:14:18 +0000 2020", Thunderbird's
# "From - Tue ...". A time and a four-digit year tell it apart from a body line (only the
# first 200 bytes are looked at: the pattern backtracks, and real envelope lines are short).
_ENVELOPE = re.compile(rb"From \S*[ \t].*\d{1,2}:\d{2}.*\d{4}")
# mboxrd quoting: any number of ">" before "From " lost one ">" when written.
_QUOTED_FROM = re.compile(rb">+From ")


class MboxConnector:
    """Reads one mbox file, or every ``*.mbox`` file under a folder, one message at a time.

    Args:
        path: an mbox file or a folder holding them (a Takeout ``Mail`` folder).
        checkpoint_every: yield a checkpoint after this many messages of a file.
        max_bytes: messages larger than this are rejected without being kept in memory.
    """

    kind = "mbox"
    # Cursors are positions, valid only within one run (see Connector.kind).
    incremental = False

    def __init__(
        self, *, path: Path, checkpoint_every: int = CHECKPOINT_EVERY, max_bytes: int = MAX_MESSAGE_BYTES
    ) -> None:
        self._path = Path(path)
        self._checkpoint_every = checkpoint_every
        self._max_bytes = max_bytes

    @property
    def location(self) -> str:
        """The resolved mbox file or folder."""
        return str(self._path.resolve())

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield one Activity or Rejected per message, resuming each file at its stored offset.

        Args:
            checkpoints: ``{<mbox file name>: "<offset>:<index>"}``; a bare offset also works.
        """
        now = utcnow()
        for stream, file in self._files():
            yield from self._read_file(stream, file, cursor=checkpoints.get(stream), now=now)

    def _files(self) -> list[tuple[str, Path]]:
        root = self._path
        if root.is_file():
            return [(root.name, root)]
        if not root.is_dir():
            raise ConnectorError(self.kind, f"{root} is neither an mbox file nor a folder")
        found: list[tuple[str, Path]] = []
        # os.walk does not follow symlinked folders, so a link loop cannot trap the walk.
        for folder, dirs, names in os.walk(root):
            dirs[:] = [name for name in dirs if not name.startswith(".")]
            for name in names:
                if name.lower().endswith(".mbox") and not name.startswith("."):
                    file = Path(folder) / name
                    found.append((file.relative_to(root).as_posix(), file))
        return sorted(found)

    def _read_file(self, stream: str, file: Path, *, cursor: str | None, now: datetime) -> Iterator[SourceRecord]:
        start, index = _parse_cursor(cursor)
        try:
            handle = file.open("rb")
        except OSError as exc:
            yield Rejected(source=self.kind, source_key=stream, reason=f"unreadable: {type(exc).__name__}: {exc}")
            return
        with handle:
            if start and index is None:
                index = sum(1 for _ in _split(handle, start=0, until=start, max_bytes=0))
            index = index or 0
            since_mark = 0
            end = start
            try:
                for message in _split(handle, start=start, until=None, max_bytes=self._max_bytes):
                    end = message.end
                    if message.skipped:
                        # The file changed under the cursor: the tail of a message is no message,
                        # and it takes no index.
                        reason = f"resumed at offset {start}, which is not a message start; skipped to the next"
                        yield _rejected(f"{stream}@{start}", reason)
                        since_mark += 1
                        continue
                    source_key = f"{stream}#{index}"
                    if message.raw is None:
                        yield _rejected(source_key, f"too large: {message.size:,} bytes (limit {self._max_bytes:,})")
                    else:
                        yield parse_message(message.raw, source=self.kind, source_key=source_key, now=now)
                    index += 1
                    since_mark += 1
                    if since_mark >= self._checkpoint_every:
                        yield CheckpointMark(stream=stream, cursor=f"{end}:{index}")
                        since_mark = 0
            except OSError as exc:
                yield _rejected(f"{stream}#{index}", f"unreadable: {type(exc).__name__}: {exc}")
            if since_mark:
                yield CheckpointMark(stream=stream, cursor=f"{end}:{index}")


class _Message:
    """One message's bytes (``None`` when over the size cap) and where it ends in the file."""

    __slots__ = ("end", "raw", "size", "skipped")

    def __init__(self, *, raw: bytes | None, size: int, end: int, skipped: bool = False) -> None:
        self.raw = raw
        self.size = size
        self.end = end
        self.skipped = skipped


def _split(handle: BinaryIO, *, start: int, until: int | None, max_bytes: int) -> Iterator[_Message]:
    """Messages from ``start`` on (up to offset ``until``), with ``>From`` unquoted.

    A line starting with ``From `` begins a message when it follows a blank line (or
    starts the file) or looks like a real envelope line (time and year); other such
    lines are body text an mboxo writer failed to quote.
    """
    handle.seek(start)
    offset = start
    chunks: list[bytes] = []
    size = 0
    begun = False
    skipped = False
    at_line_start = True
    previous_blank = True
    in_envelope = False
    while until is None or offset < until:
        line = handle.readline(_LINE_LIMIT)
        if not line:
            break
        line_start = at_line_start
        at_line_start = line.endswith(b"\n")
        if in_envelope:
            offset += len(line)
            in_envelope = not at_line_start
            continue
        if line_start and line.startswith(b"From ") and (previous_blank or _ENVELOPE.match(line[:200])):
            if begun:
                yield _finish(chunks, size=size, end=offset, max_bytes=max_bytes, skipped=skipped)
            begun, skipped = True, False
            chunks, size = [], 0
            offset += len(line)
            in_envelope = not at_line_start
            previous_blank = False
            continue
        if not begun and line_start and line in (b"\n", b"\r\n"):
            offset += len(line)
            continue
        if not begun:
            # Content before the first envelope line: the whole file when it is one bare
            # RFC 822 message; on resume, the rest of a message the cursor cut into.
            begun = True
            skipped = start > 0
        offset += len(line)
        if line_start:
            previous_blank = line in (b"\n", b"\r\n")
            if line[:1] == b">" and _QUOTED_FROM.match(line):
                line = line[1:]
        size += len(line)
        if size <= max_bytes:
            chunks.append(line)
    if begun:
        yield _finish(chunks, size=size, end=offset, max_bytes=max_bytes, skipped=skipped)


def _finish(chunks: list[bytes], *, size: int, end: int, max_bytes: int, skipped: bool) -> _Message:
    if skipped or size > max_bytes:
        return _Message(raw=None, size=size, end=end, skipped=skipped)
    raw = b"".join(chunks)
    # The writer's separator: one blank line between a message and the next envelope.
    if raw.endswith(b"\r\n\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n\n"):
        raw = raw[:-1]
    return _Message(raw=raw, size=size, end=end)


def _parse_cursor(cursor: str | None) -> tuple[int, int | None]:
    if not cursor:
        return 0, 0
    offset_text, _, index_text = cursor.partition(":")
    try:
        offset = max(0, int(offset_text))
        index = int(index_text) if index_text else None
    except ValueError:
        raise ConnectorError(MboxConnector.kind, f"unreadable checkpoint {cursor!r}") from None
    return offset, index


def _rejected(source_key: str, reason: str) -> Rejected:
    return Rejected(source=MboxConnector.kind, source_key=source_key, reason=reason)
