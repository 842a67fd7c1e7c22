"""CRM contact tables (CSV) as contact records, plus the helpers the file connectors share.

The first half of this module holds what every file connector needs (finding the
files, fingerprinted checkpoints, decoding with fallbacks, binary and empty file
detection, a CSV reader that survives broken quoting, value cleaning, e-mail and
date parsing); ``linkedin``, ``attendees``, ``ics`` and ``transcript`` import it
from here. It is a candidate for its own module (``extractors/files.py``): a pure
move, since nothing in it depends on the contacts connector below.

Checkpoints: each file is one stream named by its path relative to the folder
given (or its name when a single file was given). The cursor is ``done@<digest>``
once the file is fully read, or ``<rows>@<digest>`` every
:data:`CHECKPOINT_EVERY` rows of a big CSV; ``<digest>`` is a fingerprint of the
file's bytes, so a file that is replaced by a newer export (LinkedIn always names
it ``Connections.csv``) is read again instead of being skipped for ever. A bare
``done`` or row number (without a digest) is honoured as well.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pydantic import ValidationError

from tellgraph.errors import ConnectorError, InvalidInput
from tellgraph.schema.model import MAX_NAME_LENGTH, Participant, Role, clean_text, stable_id
from tellgraph.schema.records import CheckpointMark, ContactRecord, Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
    from pathlib import Path

__all__ = [
    "CHECKPOINT_EVERY",
    "MAX_NOTE_CHARS",
    "TARGET_FIELDS",
    "ContactsConnector",
    "CsvBadRow",
    "CsvRow",
    "CsvTable",
    "SourceFile",
    "clean_name",
    "clean_value",
    "decode_bytes",
    "extract_emails",
    "header_key",
    "is_valid_email",
    "iter_source_files",
    "load_mapping",
    "looks_like_formula",
    "midnight_utc",
    "normalise_linkedin_url",
    "parse_datetime",
    "read_csv_table",
    "resumable",
    "row_warnings",
    "safe_record",
]

# ---------------------------------------------------------------------------
# Shared file helpers
# ---------------------------------------------------------------------------

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Files above this size are rejected unread: no export we read is legitimately this big."""

MAX_FIELD_CHARS = 1_000_000
"""The CSV field size limit: far above any real cell, low enough that a runaway quote is caught."""

MAX_CELL_CHARS = 10_000
"""Cells are capped to this many characters before they are used."""

MAX_NOTE_CHARS = 2_000
"""Free-text notes kept in record metadata are capped to this length."""

CHECKPOINT_EVERY = 1000
"""A big CSV yields a row-number checkpoint after every this many rows."""

DONE = "done"

BINARY_TEXT_REASON = "binary file (mostly control characters), not a text export"

_R = TypeVar("_R")
_SNIFF_BYTES = 8192
_BINARY_CONTROL_RATIO = 0.05
_BINARY_NUL_RATIO = 0.01
_BINARY_MIN_NULS = 16
# Zip (xlsx, docx, zipped exports), legacy Office (xls), PDF, gzip.
_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF-", b"\x1f\x8b")
_MAX_PREAMBLE_ROWS = 50


@dataclass(frozen=True)
class SourceFile:
    """One decoded input file, ready to parse.

    Attributes:
        path: where the file is.
        stream: the checkpoint stream (path relative to the folder given).
        text: the decoded text, with NULs removed and line endings normalised to ``\\n``.
        encoding: the encoding that decoded it (``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1252``,
            ``latin-1``).
        digest: SHA-256 of the raw bytes.
        resume_after: rows already yielded in an earlier run (0: read from the start).
        looks_binary: the text is mostly control characters. Such a file is still parsed, so a
            few good rows among corrupt ones are kept; when it yields nothing usable,
            :meth:`explain` names the likelier cause.
    """

    path: Path
    stream: str
    text: str
    encoding: str
    digest: str
    resume_after: int = 0
    looks_binary: bool = False

    def explain(self, reason: str) -> str:
        """Why the whole file was rejected: ``reason``, unless the file looks binary."""
        return BINARY_TEXT_REASON if self.looks_binary else reason

    @property
    def fingerprint(self) -> str:
        """The short digest that ties a cursor to this exact file content."""
        return self.digest[:16]

    def done_mark(self) -> CheckpointMark:
        """The checkpoint saying this file has been read completely."""
        return CheckpointMark(stream=self.stream, cursor=f"{DONE}@{self.fingerprint}")

    def row_mark(self, rows: int) -> CheckpointMark:
        """The checkpoint saying the first ``rows`` data rows have been yielded."""
        return CheckpointMark(stream=self.stream, cursor=f"{rows}@{self.fingerprint}")

    def where(self, place: str | int | None = None) -> str:
        """A ``source_key`` naming a place in this file (``Connections.csv:line 12``)."""
        if place is None:
            return self.stream
        if isinstance(place, int):
            return f"{self.stream}:line {place}"
        return f"{self.stream}:{place}"


def _cursor_state(cursor: str | None, fingerprint: str) -> str | int:
    """``"done"``, or how many rows to skip, for a stored cursor and the file's current content."""
    if not cursor:
        return 0
    state, sep, digest = cursor.partition("@")
    if sep and digest != fingerprint:
        # The file changed since the checkpoint: read it again from the start.
        return 0
    if state == DONE:
        return DONE
    return int(state) if state.isdigit() else 0


def iter_source_files(
    *,
    root: Path,
    kind: str,
    suffixes: Collection[str],
    checkpoints: Mapping[str, str],
    select: Callable[[list[tuple[Path, str]]], list[tuple[Path, str]]] | None = None,
) -> Iterator[SourceFile | Rejected | CheckpointMark]:
    """Find, checkpoint-filter and decode the files under ``root``.

    Yields a :class:`SourceFile` for each file to parse (the caller yields its
    records and then ``done_mark()``), and for files that cannot be parsed a
    :class:`Rejected` (followed by a checkpoint when the verdict cannot change
    without the file changing). Files a checkpoint marks done are skipped.

    Args:
        root: one file, or a folder searched recursively (hidden files skipped, sorted by relative path).
        kind: the connector kind, used as the records' ``source``.
        suffixes: lower-case suffixes (``.csv``) picked in a folder; a single file is read
            whatever its suffix.
        checkpoints: the stored cursor per stream.
        select: optional filter over the (path, stream) pairs found in a folder.

    Raises:
        ConnectorError: ``root`` does not exist or is neither a file nor a folder.
    """
    if root.is_file():
        files = [(root, root.name)]
    elif root.is_dir():
        found = []
        for candidate in root.rglob("*"):
            relative = candidate.relative_to(root)
            if any(part.startswith(".") for part in relative.parts):
                continue  # .DS_Store, ._AppleDouble files, .git: never data
            if candidate.suffix.lower() in suffixes and candidate.is_file():
                found.append((candidate, relative.as_posix()))
        files = sorted(found, key=lambda pair: pair[1])
        if select is not None:
            files = select(files)
        if not files:
            wanted = ", ".join(sorted(suffixes))
            yield Rejected(source=kind, source_key=str(root), reason=f"no {wanted} files found in the folder")
            return
    else:
        raise ConnectorError(kind, f"{root} does not exist or is not a file or folder")
    for path, stream in files:
        yield from _load_file(path=path, stream=stream, kind=kind, cursor=checkpoints.get(stream))


def _load_file(
    *, path: Path, stream: str, kind: str, cursor: str | None
) -> Iterator[SourceFile | Rejected | CheckpointMark]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield Rejected(
                source=kind,
                source_key=stream,
                reason=f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit; split it",
            )
            return
        data = path.read_bytes()
    except OSError as exc:
        # No checkpoint: a permission or I/O problem may be gone next run.
        yield Rejected(source=kind, source_key=stream, reason=f"cannot read file: {exc.strerror or exc}")
        return
    digest = hashlib.sha256(data).hexdigest()
    state = _cursor_state(cursor, digest[:16])
    if state == DONE:
        return
    done = CheckpointMark(stream=stream, cursor=f"{DONE}@{digest[:16]}")
    problem = _binary_problem(data)
    looks_binary = False
    if problem is None:
        text, encoding = decode_bytes(data)
        text = _normalise_text(text)
        if not text.strip():
            problem = "empty file"
        else:
            looks_binary = _control_ratio(text[:_SNIFF_BYTES]) > _BINARY_CONTROL_RATIO
    if problem is not None:
        yield Rejected(source=kind, source_key=stream, reason=problem)
        yield done
        return
    yield SourceFile(
        path=path,
        stream=stream,
        text=text,
        encoding=encoding,
        digest=digest,
        resume_after=state if isinstance(state, int) else 0,
        looks_binary=looks_binary,
    )


def _binary_problem(data: bytes) -> str | None:
    if not data.strip():
        return "empty file"
    head = data[:_SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 text (Excel's "Unicode text") is full of NULs
    if head.startswith(_BINARY_MAGIC):
        return "binary file (a spreadsheet, archive or PDF), not a text export; save it as CSV"
    # A stray NUL in one cell of a broken export must not cost every other row (NULs are
    # dropped when the text is decoded); a file that is largely NULs is binary.
    if head.count(b"\x00") > max(_BINARY_MIN_NULS, len(head) * _BINARY_NUL_RATIO):
        return "binary file (contains NUL bytes), not a text export"
    return None


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t\f")
    return controls / len(text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes: BOMs first, then UTF-8, then cp1252, then latin-1 (which never fails).

    Returns:
        The text and the name of the encoding used.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        # The BOM is strong evidence of UTF-8: replace the odd bad byte rather than guess again.
        return data.decode("utf-8-sig", errors="replace"), "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _normalise_text(text: str) -> str:
    # csv only knows \r and \n as line breaks; a lone \r (old Mac exports) would end a record early.
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def clean_value(value: str | None, *, limit: int = MAX_CELL_CHARS) -> str:
    """A cell's text without control characters (newlines and tabs kept), stripped and capped."""
    if not value:
        return ""
    return clean_text(value, limit=limit).strip()


def clean_name(value: str | None, *, limit: int = MAX_NAME_LENGTH) -> str | None:
    """A single-line display value (name, title, company): whitespace collapsed, capped, ``None`` if empty."""
    if not value:
        return None
    collapsed = " ".join(clean_text(value, limit=limit * 4).split())
    return collapsed[:limit].strip() or None


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,/-]*\d[\d\s().,/-]*")


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet would treat this text as a formula (CSV injection, OWASP's prefix list).

    Such text is kept verbatim (it is data) and never evaluated; callers note it so
    that anyone exporting it back to a spreadsheet knows to escape it. Plain
    numbers and phone numbers (``+1 555 0100``, ``-3``) are not flagged.
    """
    if not value or not value.lstrip(" ").startswith(_FORMULA_PREFIXES):
        return False
    return not _NUMBER_LIKE.fullmatch(value.strip())


_EMAIL = re.compile(
    r"[^@\s<>()\[\],;:\"\\]{1,64}@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}",
)
_EMAIL_SPLIT = re.compile(r"[;,\s]+")


def is_valid_email(value: str) -> bool:
    """A pragmatic syntax check: ``local@domain.tld`` with no spaces or brackets."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def extract_emails(value: str | None) -> tuple[list[str], list[str]]:
    """Split a cell holding one or more addresses (``;`` ``,`` or space separated, ``Name <a@b>`` allowed).

    Returns:
        The valid addresses (lower-cased, in order, without duplicates) and the invalid tokens.
    """
    if not value or not value.strip():
        return [], []
    valid: list[str] = []
    invalid: list[str] = []
    for token in _EMAIL_SPLIT.split(value.strip()):
        candidate = token.strip("<>\"'()[]")
        if candidate.lower().startswith("mailto:"):
            candidate = candidate[len("mailto:") :]
        if not candidate:
            continue
        if is_valid_email(candidate):
            lowered = candidate.lower()
            if lowered not in valid:
                valid.append(lowered)
        elif "@" in candidate:
            invalid.append(candidate)
    if not valid and not invalid:
        # No address-like token at all ("n/a", "unknown"): the whole cell is the bad value.
        invalid.append(value.strip())
    return valid, invalid


def normalise_linkedin_url(value: str | None) -> str | None:
    """The canonical form of a LinkedIn profile URL, or ``None`` when it is not one.

    ``https``, host ``www.linkedin.com`` (country hosts such as ``uk.linkedin.com``
    are the same profile), lower-cased path (public ids are case-insensitive) with
    canonical percent-encoding, no query, fragment or trailing slash.
    """
    if not value:
        return None
    raw = "".join(value.split())
    if not raw:
        return None
    if "://" not in raw:
        raw = "https://" + raw.lstrip("/")
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return None
    path = re.sub(r"/{2,}", "/", unquote(parts.path)).rstrip("/").lower()
    if not path:
        return None
    path = quote(path, safe="/-_.~!$&'()*+,;=:@")
    return urlunsplit(("https", "www.linkedin.com", path, "", ""))


_MONTHS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in {full, full[:3], full[:4]}
}
_TIME = (
    r"(?:[ ,T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:\.\d+)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_DATE_PATTERNS = (
    # 15 Mar 2023, 15-Mar-2023, 15 March 2023 (LinkedIn's current format)
    re.compile(rf"(?P<day>\d{{1,2}})[ -](?P<month>[A-Za-z]{{3,9}})\.?[ -,]+(?P<year>\d{{4}}){_TIME}"),
    # Mar 15, 2023 / March 15 2023
    re.compile(rf"(?P<month>[A-Za-z]{{3,9}})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<year>\d{{4}}){_TIME}"),
    # 1/8/18, 6:14 PM (LinkedIn's legacy format) and other US-style M/D/Y dates
    re.compile(rf"(?P<mnum>\d{{1,2}})/(?P<day>\d{{1,2}})/(?P<year>\d{{2}}|\d{{4}}){_TIME}"),
    # 15.03.2023 (European D.M.Y)
    re.compile(rf"(?P<day>\d{{1,2}})\.(?P<mnum>\d{{1,2}})\.(?P<year>\d{{4}}){_TIME}"),
)


def parse_datetime(value: str | None) -> datetime | None:
    """Parse the date formats exports use, independent of the machine's locale.

    ISO 8601 first, then ``15 Mar 2023``, ``Mar 15, 2023``, ``1/8/18, 6:14 PM``
    (US month-first, as LinkedIn and most US tools write it) and ``15.03.2023``.
    Times without a zone are taken as UTC.

    Returns:
        An aware UTC datetime, or ``None`` when the text is not a date.
    """
    if not value:
        return None
    text = " ".join(value.split())
    if not text or len(text) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" UTC", "Z"))
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = match.groupdict()
        month = _MONTHS.get(groups["month"].lower()) if groups.get("month") else int(groups["mnum"])
        if month is None:
            return None
        year = int(groups["year"])
        if year < 100:
            year += 2000 if year < 70 else 1900
        hour = int(groups["hour"] or 0)
        ampm = (groups["ampm"] or "").replace(".", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        try:
            return datetime(
                year,
                month,
                int(groups["day"]),
                hour,
                int(groups["minute"] or 0),
                int(groups["second"] or 0),
                tzinfo=UTC,
            )
        except ValueError:
            return None
    return None


def midnight_utc(value: date) -> datetime:
    """The start of that calendar day in UTC."""
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


@dataclass(frozen=True)
class CsvRow:
    """One data row of a CSV table.

    Attributes:
        ordinal: 1-based data-row number (every record after the header counts): the resume cursor.
        line: the physical line the row starts on, for messages.
        values: raw cell text per normalised column key (missing cells are ``""``).
        extra: how many cells the row has beyond the header.
    """

    ordinal: int
    line: int
    values: dict[str, str]
    extra: int = 0

    def get(self, key: str) -> str:
        """The raw cell for a normalised column key, ``""`` when absent."""
        return self.values.get(key, "")


@dataclass(frozen=True)
class CsvBadRow:
    """A record that could not be read as a row, and why."""

    ordinal: int
    line: int
    reason: str


@dataclass
class CsvTable:
    """A CSV file's header and its rows (read lazily)."""

    columns: list[str]
    keys: list[str]
    header_line: int
    delimiter: str
    rows: Iterator[CsvRow | CsvBadRow] = field(repr=False)

    def column(self, key: str) -> str:
        """The header text as written in the file for a normalised key."""
        return self.columns[self.keys.index(key)] if key in self.keys else key


def header_key(value: str) -> str:
    """A header reduced to lower-case letters and digits: ``"E-mail Address"`` → ``"emailaddress"``."""
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def _sniff_delimiter(text: str) -> str:
    for line in text.split("\n"):
        if not line.strip():
            continue
        outside = re.sub(r'"[^"]*"', "", line)
        counts = {delim: outside.count(delim) for delim in (",", ";", "\t", "|")}
        best = max(counts, key=lambda delim: (counts[delim], delim == ","))
        return best if counts[best] else ","
    return ","


class _LineReader:
    """``csv.reader`` over a list of lines that can restart at any line after a broken record."""

    def __init__(self, lines: list[str], delimiter: str) -> None:
        self._lines = lines
        self._delimiter = delimiter
        self.restart(0)

    def restart(self, index: int) -> None:
        self._base = index
        self._consumed = 0
        feed = (line + "\n" for line in itertools.islice(self._lines, index, None))
        self._reader = csv.reader(feed, delimiter=self._delimiter, strict=False)

    def next(self) -> tuple[int, int, list[str] | str] | None:
        """(first line index, end line index, fields or error text), or ``None`` at the end."""
        start = self._base + self._consumed
        try:
            fields: list[str] | str = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            fields = str(exc)
        self._consumed = self._reader.line_num
        return start, self._base + self._consumed, fields

    def broken_quote(self, start: int, end: int, fields: list[str], width: int) -> str | None:
        """Why a record spanning lines ``start..end`` is a runaway quote rather than a multi-line cell."""
        raw = self._lines[start:end]
        if "\n".join(raw).count('"') % 2:
            return f"the quote opened on this line is never closed; it ran over {end - start} lines"
        if len(fields) != width:
            return f"a quoted cell runs over {end - start} lines and leaves {len(fields)} cells, not {width}"
        # A cell whose inner lines are themselves full rows has swallowed them.
        if width >= 4 and any(inner.count(self._delimiter) >= width - 1 for inner in raw[1:]):
            return f"a quoted cell runs over {end - start} lines that look like rows"
        return None


def read_csv_table(
    text: str,
    *,
    is_header: Callable[[Sequence[str]], bool] | None = None,
    delimiter: str | None = None,
) -> CsvTable | str:
    """Read a CSV text: find the header, then yield rows lazily, surviving bad records.

    A record that spans several lines and has the wrong number of cells is an
    unbalanced quote: it becomes a :class:`CsvBadRow` for its first line and
    reading resumes on the next line, so one stray quote cannot swallow the rest of
    the file. Blank lines are skipped.

    Args:
        text: the decoded file (``\\n`` line endings).
        is_header: picks the header among the first records (notes lines may come first);
            by default the first non-blank record is the header.
        delimiter: the field separator; sniffed from the first line when ``None``.

    Returns:
        The table, or the reason no header was found.
    """
    _ensure_field_limit()
    delim = delimiter or _sniff_delimiter(text)
    reader = _LineReader(text.split("\n"), delim)
    header: list[str] | None = None
    header_line = 0
    for _ in range(_MAX_PREAMBLE_ROWS):
        record = reader.next()
        if record is None:
            break
        start, _end, fields = record
        if isinstance(fields, str) or not any(cell.strip() for cell in fields):
            continue
        cleaned = [clean_value(cell.replace("\ufeff", "")) for cell in fields]
        if is_header is None or is_header(cleaned):
            header, header_line = cleaned, start + 1
            break
    if header is None:
        return "no header row found" + ("" if is_header is None else " in the first 50 rows")
    keys = _unique_keys(header)
    return CsvTable(
        columns=header,
        keys=keys,
        header_line=header_line,
        delimiter=delim,
        rows=_rows(reader, keys),
    )


def _ensure_field_limit() -> None:
    # The module-wide limit may have been lowered elsewhere; raise it only, never lower it.
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)


def _unique_keys(header: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for index, name in enumerate(header):
        key = header_key(name) or f"column{index + 1}"
        candidate, suffix = key, 2
        while candidate in keys:
            candidate, suffix = f"{key}#{suffix}", suffix + 1
        keys.append(candidate)
    return keys


def _rows(reader: _LineReader, keys: list[str]) -> Iterator[CsvRow | CsvBadRow]:
    ordinal = 0
    while (record := reader.next()) is not None:
        start, end, fields = record
        if isinstance(fields, list) and not any(cell.strip() for cell in fields):
            continue
        ordinal += 1
        line = start + 1
        if isinstance(fields, str):
            yield CsvBadRow(ordinal=ordinal, line=line, reason=f"line {line}: unreadable CSV record ({fields})")
            continue
        if end - start > 1 and (problem := reader.broken_quote(start, end, fields, len(keys))):
            yield CsvBadRow(
                ordinal=ordinal,
                line=line,
                reason=f"line {line}: unbalanced quote ({problem}); row skipped, resumed at the next line",
            )
            reader.restart(start + 1)
            continue
        values = dict(zip(keys, fields, strict=False))
        yield CsvRow(ordinal=ordinal, line=line, values=values, extra=max(0, len(fields) - len(keys)))


def resumable(
    rows: Iterator[CsvRow | CsvBadRow], *, file: SourceFile, every: int | None = CHECKPOINT_EVERY
) -> Iterator[CsvRow | CsvBadRow | CheckpointMark]:
    """Skip the rows a checkpoint covers and interleave a row checkpoint every ``every`` rows.

    Because the caller yields a row's records before asking for the next item, each
    checkpoint comes after everything it covers.
    """
    for row in rows:
        if row.ordinal <= file.resume_after:
            continue
        yield row
        if every and row.ordinal % every == 0:
            yield file.row_mark(row.ordinal)


def formula_columns(row: CsvRow, table: CsvTable) -> list[str]:
    """The columns (as written in the header) whose cell looks like a spreadsheet formula."""
    return [table.column(key) for key, value in row.values.items() if looks_like_formula(value)]


def safe_record(build: Callable[[], _R], *, source: str, source_key: str) -> _R | Rejected:
    """Build a record, turning a model validation failure into a rejection instead of a crash."""
    try:
        return build()
    except (ValidationError, InvalidInput) as exc:
        return Rejected(source=source, source_key=source_key, reason=f"invalid record: {exc}")


# ---------------------------------------------------------------------------
# The contacts connector
# ---------------------------------------------------------------------------

TARGET_FIELDS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "email",
        "emails",
        "phone",
        "title",
        "company",
        "company_domain",
        "linkedin_url",
        "notes",
        "owner_email",
        "last_contacted",
    }
)
"""The fields a CRM column can be mapped to."""

_IGNORE = frozenset({"", "ignore", "skip", "none"})

_DEFAULT_COLUMNS: dict[str, str] = {
    **dict.fromkeys(
        ("name", "fullname", "contactname", "contact", "displayname", "clientname", "customername", "person"),
        "name",
    ),
    **dict.fromkeys(("firstname", "first", "givenname", "forename"), "first_name"),
    **dict.fromkeys(("lastname", "last", "surname", "familyname"), "last_name"),
    **dict.fromkeys(
        ("email", "emailaddress", "mail", "primaryemail", "workemail", "businessemail", "emailaddress1"),
        "email",
    ),
    **dict.fromkeys(
        ("emails", "otheremails", "additionalemails", "secondaryemail", "personalemail", "email2"), "emails"
    ),
    **dict.fromkeys(
        (
            "phone",
            "phonenumber",
            "mobile",
            "mobilephone",
            "mobilenumber",
            "cell",
            "cellphone",
            "tel",
            "telephone",
            "workphone",
            "businessphone",
        ),
        "phone",
    ),
    **dict.fromkeys(("title", "jobtitle", "position", "role", "designation"), "title"),
    **dict.fromkeys(
        (
            "company",
            "companyname",
            "organization",
            "organisation",
            "org",
            "account",
            "accountname",
            "employer",
        ),
        "company",
    ),
    **dict.fromkeys(
        ("companydomain", "domain", "website", "companywebsite", "web", "url", "homepage"), "company_domain"
    ),
    **dict.fromkeys(
        ("linkedin", "linkedinurl", "linkedinprofile", "linkedinprofileurl", "linkedinpage"), "linkedin_url"
    ),
    **dict.fromkeys(("notes", "note", "comments", "comment", "description"), "notes"),
    **dict.fromkeys(
        ("owner", "owneremail", "accountowner", "contactowner", "recordowner", "salesowner", "assignedto"),
        "owner_email",
    ),
    **dict.fromkeys(
        (
            "lastcontacted",
            "lastcontact",
            "lastcontactdate",
            "lastcontacteddate",
            "lastactivity",
            "lastactivitydate",
            "lastmeeting",
            "lastinteraction",
        ),
        "last_contacted",
    ),
}
_MULTI_TARGETS = frozenset({"email", "emails", "phone"})
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_PHONE_DIGITS = re.compile(r"\d")


def load_mapping(path: Path) -> dict[str, str]:
    """Load a column mapping from a JSON file: an object of CSV header → target field.

    Raises:
        InvalidInput: the file cannot be read, is not JSON, or is not an object of strings.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InvalidInput("mapping file", f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput("mapping file", f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        raise InvalidInput("mapping file", f"{path} must hold one JSON object of column name → field name")
    return dict(data)


def _normalise_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """Normalised header key → target field ("" for a column to ignore)."""
    result: dict[str, str] = {}
    for column, field_name in mapping.items():
        target = str(field_name).strip().lower()
        if target not in TARGET_FIELDS and target not in _IGNORE:
            expected = ", ".join(sorted(TARGET_FIELDS))
            raise InvalidInput(
                "mapping",
                f"column {column!r} maps to unknown field {target!r}; use one of {expected} or ignore",
            )
        result[header_key(str(column))] = "" if target in _IGNORE else target
    return result


def _base_key(key: str) -> str:
    return key.partition("#")[0]


def _domain_from(value: str) -> str | None:
    raw = value.strip().lower()
    if not raw:
        return None
    if "@" in raw and "/" not in raw:
        raw = raw.rpartition("@")[2]
    try:
        host = urlsplit(raw if "://" in raw else f"http://{raw}").hostname or ""
    except ValueError:
        return None
    host = host.removeprefix("www.")
    return host if _DOMAIN.fullmatch(host) else None


def _phone(value: str) -> str | None:
    """Digits with a leading ``+`` kept (``00`` international prefix read as ``+``); extensions dropped."""
    main = re.split(r"(?i)\s*(?:x|ext\.?|extension)\s*\d+\s*$", value.strip())[0].strip()
    digits = "".join(_PHONE_DIGITS.findall(main))
    if main.startswith("00"):
        main, digits = "+" + main[2:], digits[2:]
    if not 5 <= len(digits) <= 17:
        return None
    return ("+" if main.startswith("+") else "") + digits


class ContactsConnector:
    """Reads an existing CRM's client table (CSV) as contacts.

    Columns are mapped to the fields in :data:`TARGET_FIELDS` by ``mapping``
    (CSV header → field, headers compared case- and punctuation-insensitively; a
    field of ``"ignore"`` skips a column). Columns the mapping does not cover are
    recognised from common header names, case- and punctuation-insensitively
    (``Full Name``, ``E-mail``, ``Organization``, ``Job Title``, ``Phone Number``,
    ``Website``...); a field the mapping names is never also auto-detected.

    Per row: invalid e-mail addresses are dropped with a warning in the record's
    metadata; the row is rejected only when it then has no name, no e-mail and
    no LinkedIn URL. A valid ``owner_email`` sets ``connected_to`` (a KNOWS tie to
    the account owner); ``notes`` and ``last_contacted`` go to metadata.
    """

    kind = "contacts"

    def __init__(self, *, path: Path, mapping: Mapping[str, str] | None = None) -> None:
        """Args:
        path: a CSV file or a folder of them.
        mapping: CSV header → target field; see :func:`load_mapping` to read one from JSON.

        Raises:
            InvalidInput: the mapping names a field that does not exist.
        """
        self._path = path
        self._mapping = _normalise_mapping(mapping) if mapping else {}

    @property
    def location(self) -> str:
        """The resolved path being read."""
        return str(self._path.resolve())

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield a ContactRecord per usable row, a Rejected per bad row or file, and checkpoints."""
        for item in iter_source_files(
            root=self._path, kind=self.kind, suffixes={".csv", ".tsv", ".txt"}, checkpoints=checkpoints
        ):
            if isinstance(item, SourceFile):
                yield from self._read_file(item)
                yield item.done_mark()
            else:
                yield item

    def columns_for(self, keys: Sequence[str]) -> dict[str, str]:
        """Which target field each normalised column key feeds (explicit mapping first, then defaults)."""
        explicit = {key: self._mapping[key] for key in keys if key in self._mapping}
        claimed = set(explicit.values())
        result = {key: target for key, target in explicit.items() if target}
        for key in keys:
            if key in explicit:
                continue
            target = _DEFAULT_COLUMNS.get(_base_key(key))
            if target and target not in claimed:
                result[key] = target
        return result

    def _read_file(self, file: SourceFile) -> Iterator[SourceRecord]:
        table = read_csv_table(file.text)
        if isinstance(table, str):
            yield Rejected(source=self.kind, source_key=file.where(), reason=file.explain(table))
            return
        columns = self.columns_for(table.keys)
        targets = set(columns.values())
        if not targets & {"name", "first_name", "last_name", "email", "emails", "linkedin_url"}:
            yield Rejected(
                source=self.kind,
                source_key=file.where(),
                reason=file.explain(
                    "no name, e-mail or LinkedIn column recognised in the header "
                    f"({', '.join(table.columns)[:300]}); pass a column mapping"
                ),
            )
            return
        for item in resumable(table.rows, file=file):
            if isinstance(item, CheckpointMark):
                yield item
            elif isinstance(item, CsvBadRow):
                yield Rejected(source=self.kind, source_key=file.where(item.line), reason=item.reason)
            else:
                yield self._row(item, table=table, columns=columns, file=file)

    def _row(
        self, row: CsvRow, *, table: CsvTable, columns: Mapping[str, str], file: SourceFile
    ) -> ContactRecord | Rejected:
        where = file.where(row.line)
        by_target: dict[str, list[str]] = {}
        for key, target in columns.items():
            value = clean_value(row.get(key))
            if value:
                by_target.setdefault(target, []).append(value)

        def first(target: str) -> str | None:
            values = by_target.get(target)
            return values[0] if values else None

        warnings: list[str] = []
        name = clean_name(first("name")) or clean_name(
            " ".join(part for part in (first("first_name"), first("last_name")) if part)
        )
        emails: list[str] = []
        for raw in by_target.get("email", []) + by_target.get("emails", []):
            valid, invalid = extract_emails(raw)
            emails.extend(email for email in valid if email not in emails)
            warnings.extend(f"invalid email {bad[:100]!r} dropped" for bad in invalid)
        phones: list[str] = []
        for raw in by_target.get("phone", []):
            for part in re.split(r"[;,/]", raw):
                if not part.strip():
                    continue
                phone = _phone(part)
                if phone is None:
                    warnings.append(f"invalid phone {part.strip()[:50]!r} dropped")
                elif phone not in phones:
                    phones.append(phone)
        linkedin_url = None
        if raw_url := first("linkedin_url"):
            linkedin_url = normalise_linkedin_url(raw_url)
            if linkedin_url is None:
                warnings.append(f"not a LinkedIn profile URL: {raw_url[:100]!r}")
        if not name and not emails and not linkedin_url:
            dropped = f" ({'; '.join(warnings)})" if warnings else ""
            return Rejected(
                source=self.kind,
                source_key=where,
                reason=f"line {row.line}: no name and no valid e-mail{dropped}",
            )
        company_domain = None
        if raw_domain := first("company_domain"):
            company_domain = _domain_from(raw_domain)
            if company_domain is None:
                warnings.append(f"not a web domain: {raw_domain[:100]!r}")
        connected_to = None
        if owner := first("owner_email"):
            owner_emails, _ = extract_emails(owner)
            if owner_emails:
                connected_to = Participant(role=Role.CONNECTION, email=owner_emails[0])
            else:
                warnings.append(f"owner {owner[:100]!r} is not an e-mail address; no owner tie recorded")
        metadata = {"file": file.stream, "line": str(row.line)}
        if notes := first("notes"):
            metadata["crm_notes"] = clean_value(notes, limit=MAX_NOTE_CHARS)
        if raw_date := first("last_contacted"):
            when = parse_datetime(raw_date)
            if when is None:
                warnings.append(f"unreadable last-contacted date {raw_date[:40]!r}")
            else:
                metadata["last_contacted"] = when.isoformat()
        warnings.extend(row_warnings(row, table, file))
        if warnings:
            metadata["warnings"] = "; ".join(warnings)[:MAX_NOTE_CHARS]
        identity = linkedin_url or (emails[0] if emails else f"{name}|{first('company') or ''}".casefold())
        return safe_record(
            lambda: ContactRecord(
                source=self.kind,
                source_key=f"{file.stream}#{stable_id('r', identity)}",
                name=name,
                emails=emails,
                handles=[f"linkedin:{linkedin_url}"] if linkedin_url else [],
                linkedin_url=linkedin_url,
                phones=phones,
                title=clean_name(first("title")),
                company_name=clean_name(first("company")),
                company_domain=company_domain,
                connected_to=connected_to,
                metadata=metadata,
            ),
            source=self.kind,
            source_key=where,
        )


def row_warnings(row: CsvRow, table: CsvTable, file: SourceFile) -> list[str]:
    """Notes every CSV row gets: formula-like text, truncated cells, extra cells, a non-UTF-8 encoding."""
    notes: list[str] = []
    if formulas := formula_columns(row, table):
        notes.append(f"formula-like text kept as plain text in {', '.join(formulas)}")
    for key, value in row.values.items():
        if len(value) > MAX_CELL_CHARS:
            notes.append(f"{table.column(key)} truncated ({len(value)} characters)")
    if row.extra:
        notes.append(f"{row.extra} cell(s) beyond the header ignored")
    if file.encoding not in {"utf-8", "utf-8-sig"}:
        notes.append(f"file decoded as {file.encoding}")
    return notes
