"""forgetPerson on the embedded store leaves the person's name and addresses nowhere: not in the graph,
not in any text about them, not in encrypted bodies, not in the snapshot file on disk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.scrub import ERASED, erasure_terms, scrub_props, term_pattern
from tellgraph.ingest.crypto import BodyCipher
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.actions import ActionChannel, SuggestedAction
from tellgraph.schema.labels import NodeLabel
from tests.erasure_scan import text_hits
from tests.unit.api.conftest import ADMIN, EDITOR, Api, api_settings, make_api

ADA = "ada.lovelace@example.org"
PERSONAL = "ada.l@personal.example"
PHONE = "+44 20 7946 0123"
TERMS = ["Ada Lovelace", "Lovelace, Ada", ADA, PERSONAL, PHONE]
KEY = Fernet.generate_key().decode()

MAILS = {
    "1.msg": f"From: Ada Lovelace <{ADA}>\nTo: bob@example.org\nDate: Mon, 03 Jun 2024 10:00:00 +0000\n"
    "Subject: Engines\n\nBob, the analytical engine notes are attached. Ada Lovelace\n",
    "2.msg": "From: Carl <carl@example.org>\nTo: bob@example.org, dan@example.org\n"
    "Date: Tue, 04 Jun 2024 10:00:00 +0000\n"
    "Subject: Lunch with Ada Lovelace\n\nShall we invite ADA LOVELACE and write to " + ADA + "?\n",
    "3.msg": f"From: Ada Lovelace <{ADA}>\nTo: bob@example.org, carl@example.org\n"
    "Date: Wed, 05 Jun 2024 10:00:00 +0000\nSubject: Plans\n\nAll, here is the plan.\nAda\nLovelace\n",
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Api, MemoryStore, Path]]:
    settings = api_settings(data_dir=tmp_path, store_raw_bodies=True, body_key=SecretStr(KEY), api_rate_limit=0)
    maildir = tmp_path / "mail" / "cur"
    maildir.mkdir(parents=True)
    for name, text in MAILS.items():
        (maildir / name).write_text(text, encoding="utf-8")
    snapshot = tmp_path / "memory-store.json"
    store = MemoryStore(path=snapshot)
    summary = IngestRun(store=store, connector=MaildirConnector(path=tmp_path / "mail"), settings=settings).run()
    assert summary.new == 3
    store.upsert_entities(
        entities=[
            SuggestedAction(
                id="action_ada",
                kind="intro",
                agent="relationship",
                title="Intro Ada Lovelace through Bob",
                channel=ActionChannel.INTERNAL,
                draft=f"Hi Bob, would you introduce me to Ada  Lovelace ({ADA})?",
                recipients=[ADA],
            )
        ]
    )
    store.flush()
    for api in make_api(store, settings):
        yield api, store, snapshot


def _id(api: Api, email: str) -> str:
    return str(api.data("query($e: String) { person(email: $e) { id } }", {"e": email})["person"]["id"])


def test_forget_person_leaves_no_trace_in_the_store_or_its_snapshot(world: tuple[Api, MemoryStore, Path]) -> None:
    api, store, snapshot = world
    ada = _id(api, ADA)
    # More places that will hold her data: a logged meeting, a phone, a second address merged in, a goal.
    logged = api.data(
        f"""mutation {{ logInteraction(input: {{channel: MEETING, timestamp: "2024-06-06T10:00:00Z",
            subject: "Sync with Ada Lovelace", participants: [{{email: "{ADA}", role: ORGANIZER}},
            {{email: "bob@example.org"}}, {{email: "carl@example.org"}}]}}) {{ __typename }} }}""",
        token=EDITOR,
    )
    assert logged["logInteraction"]["__typename"] == "LogInteractionSuccess"
    api.data(
        f'mutation {{ logInteraction(input: {{channel: CALL, timestamp: "2024-06-07T10:00:00Z", participants: '
        f'[{{email: "{PERSONAL}", name: "Ada Lovelace", role: ORGANIZER}}, {{email: "bob@example.org"}}]}}) '
        "{ __typename } }",
        token=EDITOR,
    )
    merged = api.data(
        'mutation($k: ID!, $m: ID!) { mergePeople(keepId: $k, mergeId: $m, evidence: ["same Ada Lovelace"]) {'
        " __typename } }",
        {"k": ada, "m": _id(api, PERSONAL)},
        token=EDITOR,
    )
    assert merged["mergePeople"]["__typename"] == "MergePeopleSuccess", merged
    api.data(
        f'mutation($id: ID!) {{ updatePerson(id: $id, input: {{phones: ["{PHONE}"], title: "Analyst"}}) '
        "{ __typename } }",
        {"id": ada},
        token=EDITOR,
    )
    api.data(
        f'mutation {{ createGoal(input: {{name: "Meet Ada", description: "Reach Ada Lovelace", people: ["{ADA}"], '
        "suggest: false}) { id } }",
        token=EDITOR,
    )
    store.flush()
    before = snapshot.read_text(encoding="utf-8")
    assert text_hits(before, TERMS), "the scenario must put her data in the snapshot first"

    forgotten = api.data(
        "mutation($id: ID!) { forgetPerson(id: $id) {"
        " __typename ... on ForgetPersonSuccess { auditEntry { details } } } }",
        {"id": ada},
        token=ADMIN,
    )["forgetPerson"]
    assert forgotten["__typename"] == "ForgetPersonSuccess"
    details = forgotten["auditEntry"]["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert details["texts_scrubbed"] > 0 and details["bodies_scrubbed"] >= 2

    after = snapshot.read_text(encoding="utf-8")
    assert text_hits(after, TERMS) == []
    assert ERASED in after
    # Nothing else in the data folder holds her data either (no backup or temporary snapshot).
    for path in snapshot.parent.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".tmp", ".bak", ""):
            assert (
                text_hits(path.read_text(encoding="utf-8", errors="replace"), TERMS) == [] or path.parent.name == "cur"
            )
    cipher = BodyCipher(key=KEY)
    for comm in store.list_nodes(label=NodeLabel.COMMUNICATION, limit=1000):
        token = comm.props.get("body_encrypted")
        if isinstance(token, str):
            assert text_hits(cipher.decrypt(token), TERMS) == [], comm.id
    # Search and lookups find nothing of her.
    assert api.post(f'{{ person(email: "{ADA}") {{ id }} }}').json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    hits = api.data('{ search(query: "Ada Lovelace", first: 50) { edges { node { __typename } } } }')
    assert text_hits(json.dumps(hits), TERMS) == []


def test_scrub_helpers() -> None:
    terms = erasure_terms({"name": "Ada Lovelace", "emails": [ADA], "phones": ["12"], "aliases": ["A. L."]})
    assert terms == ["Ada Lovelace", "Lovelace, Ada", "A. L.", "L., A.", ADA]  # "12" is too short to scrub safely
    pattern = term_pattern(terms)
    assert pattern is not None
    props = {"id": "Ada Lovelace", "subject": "Re: ada   LOVELACE", "tags": ["x", f"<{ADA.upper()}>"], "n": 3}
    assert scrub_props(props, pattern) == {"subject": f"Re: {ERASED}", "tags": ["x", f"<{ERASED}>"]}
    assert term_pattern([]) is None
    # Whole words and whole addresses only.
    assert scrub_props({"a": "Ada Lovelaces", "b": f"joh{ADA}", "c": f"({ADA})."}, pattern) == {"c": f"({ERASED})."}
