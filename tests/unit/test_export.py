"""Formula-safe CSV cells, and ``tellgraph export`` end to end on the embedded store."""

from __future__ import annotations

import csv
import io
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tellgraph.cli import app
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.model import Person
from tellgraph.services.export import FORMULA_TRIGGERS, safe_cell
from tellgraph.settings import get_settings


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("a=1", "a=1"),
        ("Ann", "Ann"),
        ("", ""),
        (None, ""),
        (-3, -3),
        (0.5, 0.5),
        (True, "true"),
        (["a@x.org", "=b"], "a@x.org; =b"),
        (["=a", "b"], "'=a; b"),
        (datetime(2026, 1, 2, tzinfo=UTC), "2026-01-02T00:00:00+00:00"),
        (date(2026, 1, 2), "2026-01-02"),
    ],
)
def test_safe_cell(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


@given(st.text())
def test_no_text_leaves_as_a_formula_and_the_text_survives(text: str) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(text)])
    [[cell]] = list(csv.reader(io.StringIO(buffer.getvalue(), newline=""))) or [[""]]
    assert not cell.lstrip(" ").startswith(FORMULA_TRIGGERS)
    assert cell in (text, "'" + text)


def test_cli_export_writes_a_private_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELLGRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELLGRAPH_STORE", "memory")
    get_settings.cache_clear()
    try:
        store = MemoryStore(path=tmp_path / "memory-store.json")
        store.upsert_entities(entities=[Person(id="p1", name="=cmd()", emails=["x@example.org"])])
        store.close()
        target = tmp_path / "people.csv"
        result = CliRunner().invoke(app, ["export", "people", "--csv", "--output", str(target)])
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        with target.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert rows[0]["name"] == "'=cmd()" and rows[0]["emails"] == "x@example.org"
        to_stdout = CliRunner().invoke(app, ["export", "relationships"])
        assert to_stdout.exit_code == 0 and to_stdout.stdout.startswith("a_id,a_name")
        wrong = CliRunner().invoke(app, ["export", "goals"])
        assert wrong.exit_code == 1
    finally:
        get_settings.cache_clear()
