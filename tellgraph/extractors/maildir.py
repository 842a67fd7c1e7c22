"""The ``maildir`` connector: every regular file under a folder is one RFC 822 message.

Handles both the Enron layout (``<mailbox>/<folder>/<n>``, with file names ``1``,
``1_`` or ``1.``) and standard maildirs (``cur``/``new``/``tmp``, Maildir++ ``.Folder``
subfolders). Files are read in one deterministic order, so the cursor is simply the
relative path of the last file yielded.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from tellgraph.errors import ConnectorError
from tellgraph.extractors.mail import MAX_MESSAGE_BYTES, parse_message
from tellgraph.schema.model import utcnow
from tellgraph.schema.records import CheckpointMark, Rejected

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from datetime import datetime

    from tellgraph.schema.model import Activity
    from tellgraph.schema.records import SourceRecord

STREAM = "files"
CHECKPOINT_EVERY = 500

# In a standard maildir only cur/ and new/ hold messages; tmp/ holds deliveries still
# being written, and the maildir folder itself holds index files (dovecot-uidlist...).
_MAILDIR_MESSAGE_DIRS = ("cur", "new")


class MaildirConnector:
    """Reads every message file under ``path``, sorted, resuming after a stored relative path.

    Args:
        path: the maildir root (for Enron: the ``maildir`` folder holding the mailboxes).
        checkpoint_every: yield a checkpoint after this many files.
        only: read just these entries of the root (mailbox folders), for a parallel run that
            splits one maildir between workers. Source keys stay relative to the root, so a
            message gets the same key however the maildir was split; the location names the part.
    """

    kind = "maildir"
    # Cursors are positions, valid only within one run (see Connector.kind).
    incremental = False

    def __init__(
        self, *, path: Path, checkpoint_every: int = CHECKPOINT_EVERY, only: Sequence[str] | None = None
    ) -> None:
        self._path = Path(path)
        self._checkpoint_every = checkpoint_every
        self._only = frozenset(only) if only is not None else None

    @property
    def location(self) -> str:
        """The resolved maildir root (with ``#part,part`` when only some of its entries are read)."""
        root = str(self._path.resolve())
        return root if self._only is None else f"{root}#{','.join(sorted(self._only))}"

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield one Activity or Rejected per message file, with a checkpoint every few hundred files.

        Args:
            checkpoints: ``{"files": <relative path>}`` to resume after that file.
        """
        root = self._path.resolve()
        if not root.is_dir():
            raise ConnectorError(self.kind, f"{self._path} is not a folder")
        cursor = checkpoints.get(STREAM)
        after = tuple(cursor.split("/")) if cursor else None
        now = utcnow()
        since_mark = 0
        last: str | None = None
        for parts, folder, found in _walk(root, (), folder=None, after=after, only=self._only):
            relative = "/".join(parts)
            if not _encodable(relative):
                # Such a path cannot be stored as a key or cursor; the cursor stays on the
                # last good path, which only means a resumed run may re-read a few files.
                safe = relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                yield _rejected(safe, "file name is not valid UTF-8")
            elif isinstance(found, str):
                yield _rejected(relative, found)
                last = relative
            else:
                yield _read_one(found, root=root, relative=relative, folder=folder, now=now)
                last = relative
            since_mark += 1
            if since_mark >= self._checkpoint_every and last is not None:
                yield CheckpointMark(stream=STREAM, cursor=last)
                since_mark = 0
        if last is not None and since_mark:
            yield CheckpointMark(stream=STREAM, cursor=last)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(
    directory: Path,
    prefix: tuple[str, ...],
    *,
    folder: str | None,
    after: tuple[str, ...] | None,
    only: frozenset[str] | None = None,
) -> Iterator[tuple[tuple[str, ...], str, os.DirEntry[str] | str]]:
    """Files under ``directory`` in the order of their path components, skipping those <= ``after``.

    Yields ``(path parts, folder, entry)``, or ``(path parts, folder, reason)`` for a
    folder that cannot be listed. ``only`` keeps just those entries of ``directory``
    (it is not passed down: it selects top-level mailboxes).

    Sorting each folder's entries by name and descending depth-first yields paths in
    the lexicographic order of their component tuples, which is the order the cursor is
    compared in (comparing joined strings would not be: "a.txt" < "a/1" but "a" < "a.txt").
    """
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        if prefix and (after is None or prefix > after):
            yield prefix, folder or "", f"unreadable folder: {type(exc).__name__}: {exc.strerror or exc}"
        return
    if only is not None:
        entries = [entry for entry in entries if entry.name in only]
    names = {entry.name for entry in entries}
    is_maildir = {"cur", "new"} <= names
    for entry in entries:
        parts = (*prefix, entry.name)
        if after is not None and parts[: len(after)] < after[: len(parts)]:
            continue  # the whole subtree sorts before the cursor
        if entry.name.startswith(".") and not _is_maildir_plus_folder(entry, is_maildir):
            continue  # .DS_Store, editor backups, dovecot state
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            if is_maildir and entry.name == "tmp":
                continue
            if is_maildir and entry.name in _MAILDIR_MESSAGE_DIRS:
                sub_folder = "/".join(part.lstrip(".") for part in prefix) or "INBOX"
            else:
                sub_folder = "/".join(part.lstrip(".") for part in parts)
            yield from _walk(Path(entry.path), parts, folder=sub_folder, after=after)
            continue
        if is_maildir:
            continue  # index and state files next to cur/new/tmp are not messages
        if after is not None and parts <= after:
            continue
        yield parts, folder or "/".join(prefix), entry


def _is_maildir_plus_folder(entry: os.DirEntry[str], parent_is_maildir: bool) -> bool:
    # Maildir++ keeps subfolders as ".Sent", ".Drafts" next to cur/new/tmp.
    if not parent_is_maildir or entry.name in (".", ".."):
        return False
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _read_one(entry: os.DirEntry[str], *, root: Path, relative: str, folder: str, now: datetime) -> Activity | Rejected:
    try:
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode):
            target = Path(entry.path).resolve()
            if not target.is_relative_to(root):
                return _rejected(relative, "symlink points outside the maildir; not followed")
            if target.is_dir():
                return _rejected(relative, "symlinked folder; not followed")
            info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            return _rejected(relative, "not a regular file")
        if info.st_size > MAX_MESSAGE_BYTES:
            return _rejected(relative, f"too large: {info.st_size:,} bytes (limit {MAX_MESSAGE_BYTES:,})")
        with open(entry.path, "rb") as handle:
            # read(n) allocates n bytes up front, so ask for the size stat() saw; a file
            # that grew since is read on, but never past the cap (parse_message rejects it).
            raw = handle.read(info.st_size + 1)
            if len(raw) > info.st_size:
                raw += handle.read(MAX_MESSAGE_BYTES + 1 - len(raw))
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, on Python < 3.13
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return _rejected(relative, f"unreadable: {type(exc).__name__}: {reason}")
    return parse_message(raw, source=MaildirConnector.kind, source_key=relative, folder=folder, now=now)


def _rejected(relative: str, reason: str) -> Rejected:
    return Rejected(source=MaildirConnector.kind, source_key=relative, reason=reason)
