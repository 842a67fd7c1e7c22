"""LinkedIn Connections.csv connector: both layouts, bad input, checkpoints, fuzzing."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellgraph.errors import ConnectorError, InvalidInput
from tellgraph.extractors.base import Connector
from tellgraph.extractors.linkedin import LinkedInConnector, normalise_linkedin_url
from tellgraph.schema.model import Activity, Role
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected, SourceRecord

OWNER = "pat.owner@acme.example"
NOTES = (
    'Notes:\n"When exporting your connection data, you may notice that some of the email addresses are '
    "missing. You will only see email addresses for connections who have allowed their connections to see "
    "or download their email address using this setting https://www.linkedin.com/psettings/privacy/email. "
    'You can learn more here https://www.linkedin.com/help/linkedin/answer/261"\n\n'
)
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"


def read(path: Path, checkpoints: dict[str, str] | None = None) -> list[SourceRecord]:
    connector = LinkedInConnector(path=path, owner_email=OWNER, owner_name="Pat Owner")
    return list(connector.read(checkpoints=checkpoints or {}))


def contacts(records: list[SourceRecord]) -> list[ContactRecord]:
    return [r for r in records if isinstance(r, ContactRecord)]


def rejected(records: list[SourceRecord]) -> list[Rejected]:
    return [r for r in records if isinstance(r, Rejected)]


def marks(records: list[SourceRecord]) -> list[CheckpointMark]:
    return [r for r in records if isinstance(r, CheckpointMark)]


def write(tmp_path: Path, content: str | bytes, name: str = "Connections.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --- fixtures: both layouts ----------------------------------------------------------


def test_current_layout_fixture(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "linkedin" / "Connections.csv")
    people = contacts(records)
    assert len(people) == 7
    assert len(rejected(records)) == 1
    assert "line 11" in rejected(records)[0].reason
    assert [m.cursor.split("@")[0] for m in marks(records)] == ["done"]

    jane = next(p for p in people if p.name == "Jane Example")
    assert jane.linkedin_url == "https://www.linkedin.com/in/jane-example-1a2b3c"
    assert jane.handles == ["linkedin:https://www.linkedin.com/in/jane-example-1a2b3c"]
    assert jane.company_name == "Acme, Inc."
    assert jane.title == "Director, Partnerships"
    assert jane.connected_on == datetime(2024, 2, 3, tzinfo=UTC)
    assert jane.connected_to is not None
    assert jane.connected_to.role is Role.CONNECTION
    assert jane.connected_to.email == OWNER
    assert jane.connected_to.name == "Pat Owner"
    assert jane.metadata["layout"] == "current"
    assert jane.emails == []

    priya = next(p for p in people if p.name == "Priya Raman")
    assert priya.emails == ["priya.raman@example.com"]

    mei = next(p for p in people if p.name == "Mei Looper")
    assert mei.metadata["credentials"] == "DipWSET"
    assert mei.linkedin_url == "https://www.linkedin.com/in/mei-looper"  # trailing slash gone

    sam = next(p for p in people if p.name and p.name.startswith("Sam"))
    assert sam.name == "Sam 🚀 Rivera"
    assert sam.linkedin_url == "https://www.linkedin.com/in/samrivera-founder"  # query gone, lower-cased
    assert sam.company_name is None

    hidden = next(p for p in people if p.name == "Hidden Member")
    assert hidden.linkedin_url is None
    assert hidden.handles == []
    assert hidden.title == 'Analyst, "Special" Projects'

    assert any(p.name == "芳 王" and p.company_name == "Contoso 株式会社" for p in people)


def test_legacy_layout_fixture(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "linkedin" / "legacy" / "Connections.csv")
    people = contacts(records)
    assert [p.name for p in people] == ["Alex Morgan", "Dana Whitfield", "Chris Nakamura"]
    assert not rejected(records)
    alex = people[0]
    assert alex.emails == ["alex.morgan@example.net"]
    assert alex.linkedin_url is None
    assert alex.connected_on == datetime(2018, 1, 8, tzinfo=UTC)
    assert alex.metadata["layout"] == "legacy"
    dana = people[1]
    assert dana.emails == []
    assert dana.handles == ["linkedin-member:123456789"]
    assert dana.company_name == "Stark Industries, Ltd."


def test_folder_reads_only_connections_files_in_sorted_order(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "linkedin")
    assert [m.stream for m in marks(records)] == ["Connections.csv", "legacy/Connections.csv"]
    assert len(contacts(records)) == 10
    assert not any("Invitations" in r.source_key for r in rejected(records))


def test_connector_protocol_and_location(fixtures_dir: Path) -> None:
    connector = LinkedInConnector(path=fixtures_dir / "linkedin", owner_email=OWNER)
    assert isinstance(connector, Connector)
    assert connector.kind == "linkedin"
    assert connector.location == str((fixtures_dir / "linkedin").resolve())


def test_invalid_owner_email_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        LinkedInConnector(path=tmp_path, owner_email="not an email")


def test_missing_path_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError):
        read(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.linkedin.com/in/Jane-Example/", "https://www.linkedin.com/in/jane-example"),
        ("http://LinkedIn.com/in/jane?trk=abc#top", "https://www.linkedin.com/in/jane"),
        ("uk.linkedin.com/in/jane", "https://www.linkedin.com/in/jane"),
        ("https://www.linkedin.com/in/%7Ejane", "https://www.linkedin.com/in/~jane"),
        ("https://example.com/in/jane", None),
        ("", None),
        ("https://[broken", None),
    ],
)
def test_url_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_linkedin_url(raw) == expected


# --- bad input ------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    records = read(write(tmp_path, ""))
    assert [r.reason for r in rejected(records)] == ["empty file"]
    assert len(marks(records)) == 1


def test_binary_file(tmp_path: Path) -> None:
    records = read(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"))
    assert "binary" in rejected(records)[0].reason
    assert not contacts(records)


def test_not_a_connections_file(tmp_path: Path) -> None:
    records = read(write(tmp_path, "From,To,Message\na,b,c\n"))
    assert "First Name,Last Name" in rejected(records)[0].reason


def test_bom_and_crlf(tmp_path: Path) -> None:
    body = HEADER + "Jane,Example,https://www.linkedin.com/in/jane-x,,Acme,CEO,03 Feb 2024\n"
    records = read(write(tmp_path, b"\xef\xbb\xbf" + body.replace("\n", "\r\n").encode()))
    assert [p.name for p in contacts(records)] == ["Jane Example"]
    assert contacts(records)[0].connected_on == datetime(2024, 2, 3, tzinfo=UTC)


def test_cp1252_file_is_decoded_and_noted(tmp_path: Path) -> None:
    body = NOTES + HEADER + "José,Müller,,,Café Société,Directeur,03 Feb 2024\n"
    records = read(write(tmp_path, body.encode("cp1252")))
    person = contacts(records)[0]
    assert person.name == "José Müller"
    assert person.company_name == "Café Société"
    assert "cp1252" in person.metadata["warnings"]


def test_broken_quote_skips_one_row_and_keeps_the_rest(tmp_path: Path) -> None:
    body = (
        NOTES
        + HEADER
        + "Ann,One,https://www.linkedin.com/in/ann-one,,Acme,CEO,01 Jan 2024\n"
        + 'Bob,Two,https://www.linkedin.com/in/bob-two,,"Broken Co,CTO,02 Jan 2024\n'
        + "Cat,Three,https://www.linkedin.com/in/cat-three,,Globex,CFO,03 Jan 2024\n"
        + "Dan,Four,https://www.linkedin.com/in/dan-four,,Initech,COO,04 Jan 2024\n"
    )
    records = read(write(tmp_path, body))
    assert [p.name for p in contacts(records)] == ["Ann One", "Cat Three", "Dan Four"]
    (bad,) = rejected(records)
    assert bad.source_key == "Connections.csv:line 6"
    assert "unbalanced quote" in bad.reason


def test_formula_and_cypher_injection_are_kept_as_data(tmp_path: Path) -> None:
    evil_name = "Robert'); MATCH (n) DETACH DELETE n; //"
    body = (
        HEADER
        + f'"{evil_name}",Tables,https://www.linkedin.com/in/bobby,,"=cmd|\' /C calc\'!A0",'
        + "@SUM(A1:A9),01 Jan 2024\n"
    )
    records = read(write(tmp_path, body))
    person = contacts(records)[0]
    assert person.name == f"{evil_name} Tables"
    assert person.company_name == "=cmd|' /C calc'!A0"
    assert person.title == "@SUM(A1:A9)"
    assert "formula-like" in person.metadata["warnings"]
    assert "Company" in person.metadata["warnings"]


def test_control_characters_are_stripped(tmp_path: Path) -> None:
    body = HEADER + "Ja\x07ne,Ex\x1bample,https://www.linkedin.com/in/jane,,Acme,CEO,01 Jan 2024\n"
    assert contacts(read(write(tmp_path, body)))[0].name == "Jane Example"


def test_huge_field_is_capped(tmp_path: Path) -> None:
    position = "Chief " + "Very " * 40_000 + "Officer"  # 200k characters, over csv's default limit
    body = HEADER + f"Jane,Example,https://www.linkedin.com/in/jane,,Acme,{position},01 Jan 2024\n"
    body += "Ann,One,https://www.linkedin.com/in/ann,,Acme,CEO,01 Jan 2024\n"
    records = read(write(tmp_path, body))
    people = contacts(records)
    assert len(people) == 2
    assert people[0].title is not None
    assert len(people[0].title) <= 300
    assert "Position truncated" in people[0].metadata["warnings"]


def test_bad_date_url_and_email_are_dropped_with_warnings(tmp_path: Path) -> None:
    body = HEADER + "Jane,Example,https://example.com/jane,jane@,Acme,CEO,sometime\n"
    person = contacts(read(write(tmp_path, body)))[0]
    assert person.connected_on is None
    assert person.linkedin_url is None
    assert person.emails == []
    warnings = person.metadata["warnings"]
    assert "Connected On" in warnings
    assert "not a LinkedIn profile URL" in warnings
    assert "invalid email" in warnings


def test_row_with_only_email_is_kept(tmp_path: Path) -> None:
    body = HEADER + ",,,someone@example.com,,,01 Jan 2024\n"
    assert contacts(read(write(tmp_path, body)))[0].emails == ["someone@example.com"]


def test_extra_and_missing_columns_are_tolerated(tmp_path: Path) -> None:
    body = "First Name,Last Name,Company\nJane,Example,Acme,EXTRA\nAnn,One\n"
    records = read(write(tmp_path, body))
    people = contacts(records)
    assert [p.name for p in people] == ["Jane Example", "Ann One"]
    assert "beyond the header" in people[0].metadata["warnings"]


# --- checkpoints ----------------------------------------------------------------------


def test_done_checkpoint_skips_and_changed_file_is_reread(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "Jane,Example,https://www.linkedin.com/in/jane,,Acme,CEO,01 Jan 2024\n")
    first = read(path)
    (mark,) = marks(first)
    assert mark.stream == "Connections.csv"
    assert mark.cursor.startswith("done@")
    assert read(path, {mark.stream: mark.cursor}) == []
    assert read(path, {mark.stream: "done"}) == []  # a bare "done" is honoured too

    path.write_text(path.read_text() + "Ann,One,https://www.linkedin.com/in/ann,,Acme,CTO,02 Jan 2024\n")
    again = read(path, {mark.stream: mark.cursor})
    assert [p.name for p in contacts(again)] == ["Jane Example", "Ann One"]


def test_big_file_gets_row_checkpoints_and_resumes(tmp_path: Path) -> None:
    rows = "".join(
        f"First{i},Last{i},https://www.linkedin.com/in/person-{i},,Co {i},Role,01 Jan 2024\n" for i in range(2500)
    )
    path = write(tmp_path, NOTES + HEADER + rows)
    records = read(path)
    cursors = [m.cursor.split("@")[0] for m in marks(records)]
    assert cursors == ["1000", "2000", "done"]
    # The 1000-row mark comes right after the 1000th contact.
    index = next(i for i, r in enumerate(records) if isinstance(r, CheckpointMark))
    assert len(contacts(records[:index])) == 1000

    resumed = read(path, {"Connections.csv": marks(records)[0].cursor})
    people = contacts(resumed)
    assert len(people) == 1500
    assert people[0].name == "First1000 Last1000"


# --- fuzzing --------------------------------------------------------------------------

ALLOWED = (Activity, ContactRecord, AttendanceRecord, Rejected, CheckpointMark)


def _fuzz(data: bytes) -> list[SourceRecord]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Connections.csv"
        path.write_bytes(data)
        return read(path)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(data))


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_random_text_never_raises(text: str) -> None:
    assert all(isinstance(r, ALLOWED) for r in _fuzz(text.encode("utf-8", "surrogatepass")))


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=40), min_size=0, max_size=9), max_size=20))
def test_random_rows_under_a_real_header_never_raise(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    records = _fuzz((NOTES + HEADER + buffer.getvalue()).encode("utf-8", "surrogatepass"))
    assert all(isinstance(r, ALLOWED) for r in records)
    assert isinstance(records[-1], CheckpointMark)
