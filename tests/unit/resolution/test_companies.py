from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.service import IngestRun
from tellgraph.resolution.companies import (
    SOURCE,
    company_domain,
    company_name_from_domain,
    derive_employment,
    is_academic,
    is_free_mail,
    registrable_domain,
)
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Company, Edge, Person, company_id_for
from tellgraph.settings import Settings
from tests.activity_factory import T0, ListConnector, email

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("enron.com", "enron.com"),
        ("mail.enron.com", "enron.com"),
        ("ECT.Enron.COM", "enron.com"),
        ("acme.co.uk", "acme.co.uk"),
        ("mail.acme.co.uk", "acme.co.uk"),
        ("a.b.acme.com.au", "acme.com.au"),
        ("ENRON", None),
        ("localhost", None),
        ("10.0.0.1", None),
        ("", None),
        ("bad_label.com", None),
    ],
)
def test_registrable_domain(domain: str, expected: str | None) -> None:
    assert registrable_domain(domain) == expected


@pytest.mark.parametrize(
    "address",
    [
        "x@gmail.com",
        "x@yahoo.com",
        "x@yahoo.co.uk",
        "x@hotmail.com",
        "x@aol.com",
        "x@outlook.com",
        "x@msn.com",
        "x@icloud.com",
        "x@live.com",
        "x@live.fr",
        "x@me.com",
        "x@mail.com",
        "x@gmx.de",
        "x@gmx.at",
        "x@protonmail.com",
        "x@houston.rr.com",
        "x@worldnet.att.net",
        "x@ENRON",
    ],
)
def test_free_mail_has_no_company(address: str) -> None:
    assert is_free_mail(address.rpartition("@")[2])
    assert company_domain(address) is None


def test_company_domains_and_names() -> None:
    assert company_domain("Jeff.Skilling@mail.enron.com") == "enron.com"
    assert company_domain("someone@usa.conoco.com") == "conoco.com"
    assert company_domain("not an address") is None
    assert company_name_from_domain("enron.com") == "Enron"
    assert company_name_from_domain("ibm.com") == "IBM"
    assert company_name_from_domain("duke-energy.com") == "Duke Energy"
    assert company_name_from_domain("mail.acme.co.uk") == "Acme"
    assert is_academic("haas.berkeley.edu") and not is_academic("enron.com")


def _store(tmp_path: Path) -> MemoryStore:
    store = MemoryStore()
    records = [
        email(1, "ann@enron.com", ["bo@mail.enron.com", "cy@gmail.com"]),
        email(2, "bo@mail.enron.com", ["ann@enron.com"], days=30),
        email(3, "cy@gmail.com", ["dee@acme.co.uk"], days=60),
        email(4, "ann@enron.com", ["dee@acme.co.uk"], days=90),
    ]
    IngestRun(store=store, connector=ListConnector(records), settings=Settings(data_dir=tmp_path)).run()
    return store


def _person_id(store: MemoryStore, address: str) -> str:
    return store.resolve_identities(keys=[f"email:{address}"])[f"email:{address}"]


def test_derive_employment_spans_and_companies(tmp_path: Path) -> None:
    store = _store(tmp_path)
    entities, edges = derive_employment(store, now=NOW)
    companies = {e.domain: e for e in entities if isinstance(e, Company)}
    assert set(companies) == {"enron.com", "acme.co.uk"}  # gmail is nobody's employer
    assert companies["enron.com"].name == "Enron"
    assert companies["enron.com"].id == company_id_for("enron.com")
    by_person = {edge.src_id: edge for edge in edges}
    ann = by_person[_person_id(store, "ann@enron.com")]
    assert ann.type is RelType.WORKS_AT and ann.dst_id == company_id_for("enron.com")
    assert ann.props["valid_from"] == T0 + timedelta(minutes=1)
    assert ann.props["valid_to"] == T0 + timedelta(days=90, minutes=4)
    assert ann.props["source"] == SOURCE and ann.provenance == [SOURCE]
    bo = by_person[_person_id(store, "bo@mail.enron.com")]
    assert bo.dst_id == company_id_for("enron.com")  # mail.enron.com is Enron
    assert _person_id(store, "cy@gmail.com") not in by_person
    people = {e.id: e for e in entities if isinstance(e, Person)}
    assert people[_person_id(store, "dee@acme.co.uk")].company_domain == "acme.co.uk"


def test_derive_employment_is_idempotent(tmp_path: Path) -> None:
    store = _store(tmp_path)
    entities, edges = derive_employment(store, now=NOW)
    store.write_batch(entities=entities, edges=edges, now=NOW)
    first = store.checksum()
    again_entities, again_edges = derive_employment(store, now=NOW)
    assert [e.model_dump() for e in again_edges] == [e.model_dump() for e in edges]
    store.write_batch(entities=again_entities, edges=again_edges, now=NOW)
    assert store.checksum() == first
    assert store.counts().edges["WORKS_AT"] == 3


def test_derive_employment_keeps_another_sources_edge(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ann = _person_id(store, "ann@enron.com")
    store.upsert_entities(entities=[Company(id=company_id_for("enron.com"), name="Enron Corp.", domain="enron.com")])
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.WORKS_AT,
                src_label=NodeLabel.PERSON,
                src_id=ann,
                dst_label=NodeLabel.COMPANY,
                dst_id=company_id_for("enron.com"),
                props={"title": "CEO", "source": "linkedin"},
            )
        ],
        now=NOW,
    )
    entities, edges = derive_employment(store, now=NOW)
    store.write_batch(entities=entities, edges=edges, now=NOW)
    edge = store.get_edge(
        rel_type=RelType.WORKS_AT,
        src_label=NodeLabel.PERSON,
        src_id=ann,
        dst_label=NodeLabel.COMPANY,
        dst_id=company_id_for("enron.com"),
    )
    assert edge is not None
    assert edge.props["source"] == "linkedin" and edge.props["title"] == "CEO"
    assert "valid_from" in edge.props and SOURCE in edge.props["provenance"]
    company = store.get_nodes(label=NodeLabel.COMPANY, ids=[company_id_for("enron.com")])[0]
    assert company.props["name"] == "Enron Corp."  # a better name is never replaced


def test_future_dates_do_not_extend_a_span(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _, edges = derive_employment(store, now=T0 + timedelta(days=45))
    ann = next(e for e in edges if e.src_id == _person_id(store, "ann@enron.com"))
    assert ann.props["valid_to"] == T0 + timedelta(days=30, minutes=2)


def test_empty_store(tmp_path: Path) -> None:
    assert derive_employment(MemoryStore(), now=NOW) == ([], [])
