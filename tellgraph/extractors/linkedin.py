"""LinkedIn ``Connections.csv`` (from "Get a copy of your data") as contact records.

Both layouts LinkedIn has shipped are read (see the shared data README):

* current: ``Notes:`` and a quoted note before the header ``First Name,Last Name,URL,
  Email Address,Company,Position,Connected On``; dates like ``07 Dec 2025``;
* legacy (about 2018): the header on line 1 and no URL column; dates like
  ``"1/8/18, 6:14 PM"``; the e-mail column sometimes holds ``urn:li:member:<digits>``.

The header is found by content, columns are mapped by name, and extra or missing
columns are tolerated. Each row becomes a :class:`ContactRecord` tied to the
export's owner (``connected_to``), which the ingest service turns into a KNOWS edge
dated ``connected_on``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tellgraph.errors import InvalidInput
from tellgraph.extractors.contacts import (
    CsvBadRow,
    CsvRow,
    CsvTable,
    SourceFile,
    clean_name,
    clean_value,
    extract_emails,
    header_key,
    is_valid_email,
    iter_source_files,
    midnight_utc,
    normalise_linkedin_url,
    parse_datetime,
    read_csv_table,
    resumable,
    row_warnings,
    safe_record,
)
from tellgraph.schema.model import Participant, Role, stable_id
from tellgraph.schema.records import CheckpointMark, ContactRecord, Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

__all__ = ["LinkedInConnector", "normalise_linkedin_url"]

_MEMBER_URN = re.compile(r"urn:li:member:(\d+)", re.IGNORECASE)
_MAX_CREDENTIALS = 40


def _is_connections_header(cells: Sequence[str]) -> bool:
    return len(cells) >= 2 and header_key(cells[0]) == "firstname" and header_key(cells[1]) == "lastname"


def _prefer_connections(files: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    # An unzipped export holds dozens of CSVs (messages, Profile, Invitations...); only
    # Connections*.csv hold connections. A folder without one is read whole.
    chosen = [pair for pair in files if pair[0].name.lower().startswith("connections")]
    return chosen or files


def _split_credentials(last_name: str) -> tuple[str, str | None]:
    """``"Looper, DipWSET"`` → (``"Looper"``, ``"DipWSET"``): credentials pollute name matching."""
    surname, sep, rest = last_name.partition(",")
    rest = rest.strip()
    if sep and surname.strip() and rest and len(rest) <= _MAX_CREDENTIALS:
        return surname.strip(), rest
    return last_name, None


class LinkedInConnector:
    """Reads LinkedIn ``Connections.csv`` exports (current and legacy layouts).

    Per row: ``name`` (first + last, credentials after a comma in the last name
    moved to metadata), ``emails`` when exported, ``linkedin_url`` normalised
    (see :func:`normalise_linkedin_url`) and the handle ``linkedin:<url>``,
    ``title`` (Position), ``company_name`` (Company), ``connected_to`` the export's
    owner and ``connected_on`` (the connection date at UTC midnight).

    A row is rejected only when it identifies nobody: no name, no profile URL and
    no e-mail (an e-mail alone is as strong an identity key as the URL). An
    unparseable date, URL or e-mail is dropped with a warning in metadata.

    Given a folder (for example the unzipped export), it reads the
    ``Connections*.csv`` files in it, or every CSV when there is none.
    """

    kind = "linkedin"

    def __init__(self, *, path: Path, owner_email: str, owner_name: str | None = None) -> None:
        """Args:
        path: ``Connections.csv`` or a folder holding it.
        owner_email: the e-mail of the person whose export this is (every row is their connection).
        owner_name: their display name, if known.

        Raises:
            InvalidInput: ``owner_email`` is not an e-mail address.
        """
        email = owner_email.strip().lower()
        if not is_valid_email(email):
            raise InvalidInput("owner_email", f"{owner_email!r} is not an e-mail address")
        self._path = path
        self._owner = Participant(role=Role.CONNECTION, email=email, name=clean_name(owner_name))

    @property
    def location(self) -> str:
        """The resolved path being read."""
        return str(self._path.resolve())

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield a ContactRecord per connection, a Rejected per bad row or file, and checkpoints."""
        for item in iter_source_files(
            root=self._path,
            kind=self.kind,
            suffixes={".csv"},
            checkpoints=checkpoints,
            select=_prefer_connections,
        ):
            if isinstance(item, SourceFile):
                yield from self._read_file(item)
                yield item.done_mark()
            else:
                yield item

    def _read_file(self, file: SourceFile) -> Iterator[SourceRecord]:
        table = read_csv_table(file.text, is_header=_is_connections_header, delimiter=",")
        if isinstance(table, str):
            yield Rejected(
                source=self.kind,
                source_key=file.where(),
                reason=file.explain(f"not a LinkedIn Connections.csv: {table} starting 'First Name,Last Name'"),
            )
            return
        layout = "current" if "url" in table.keys else "legacy"
        for item in resumable(table.rows, file=file):
            if isinstance(item, CheckpointMark):
                yield item
            elif isinstance(item, CsvBadRow):
                yield Rejected(source=self.kind, source_key=file.where(item.line), reason=item.reason)
            else:
                yield self._row(item, table=table, file=file, layout=layout)

    def _row(self, row: CsvRow, *, table: CsvTable, file: SourceFile, layout: str) -> ContactRecord | Rejected:
        where = file.where(row.line)
        warnings: list[str] = []
        metadata = {"file": file.stream, "line": str(row.line), "layout": layout}
        last, credentials = _split_credentials(clean_value(row.get("lastname")))
        if credentials:
            metadata["credentials"] = clean_name(credentials) or ""
        name = clean_name(f"{clean_value(row.get('firstname'))} {last}")

        raw_url = clean_value(row.get("url"))
        url = normalise_linkedin_url(raw_url)
        if raw_url and url is None:
            warnings.append(f"URL {raw_url[:100]!r} is not a LinkedIn profile URL; ignored")

        handles = [f"linkedin:{url}"] if url else []
        emails: list[str] = []
        raw_email = clean_value(row.get("emailaddress"))
        if member := _MEMBER_URN.fullmatch(raw_email):
            # Legacy exports put the member URN where the address was hidden.
            handles.append(f"linkedin-member:{member.group(1)}")
        elif raw_email:
            emails, invalid = extract_emails(raw_email)
            warnings.extend(f"invalid email {bad[:100]!r} dropped" for bad in invalid)

        if not name and not url and not emails:
            return Rejected(
                source=self.kind,
                source_key=where,
                reason=f"line {row.line}: no name, no profile URL and no e-mail; nobody to record",
            )

        connected_on = None
        if raw_date := clean_value(row.get("connectedon")):
            parsed = parse_datetime(raw_date)
            if parsed is None:
                warnings.append(f"unreadable Connected On date {raw_date[:40]!r}")
            else:
                connected_on = midnight_utc(parsed.date())
        warnings.extend(row_warnings(row, table, file))
        if warnings:
            metadata["warnings"] = "; ".join(warnings)[:2000]
        company = clean_name(row.get("company"))
        # Opaque and stable across re-exports (rows are re-sorted newest first each time).
        identity = url or (emails[0] if emails else f"{name}|{company or ''}".casefold())
        return safe_record(
            lambda: ContactRecord(
                source=self.kind,
                source_key=f"{file.stream}#{stable_id('li', identity)}",
                name=name,
                emails=emails,
                handles=handles,
                linkedin_url=url,
                title=clean_name(row.get("position")),
                company_name=company,
                connected_to=self._owner,
                connected_on=connected_on,
                metadata=metadata,
            ),
            source=self.kind,
            source_key=where,
        )
