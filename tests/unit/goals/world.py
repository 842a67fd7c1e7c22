"""A small, fully known world for goal and agent tests (used by the integration tests too).

Team: Maya (owner) and Leo. Target company Acme (acme.example); targets also name
Omar, Hana and Siti. Known answers at ``NOW``:

- Hana: Maya knows her directly (0.70)          -> direct
- Siti: Leo knows her directly (0.50)           -> direct; Leo's question is unanswered (stall)
- Omar (Commercial Director): Maya -> Daniel (0.90) -> Omar (0.40) = 0.36 -> warm, "nobody known" gap
- Kim (Head of Finance): Maya knows her (0.40) but last contact 100 days ago -> direct, cold gap
- Zed (Chief Executive Officer): no tie at all -> no path gap
Coverage at 0.25: 4 of 5 (3 directly). Stall: "Tender question", 55 days waiting, 41 silent, 1 chaser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Channel, Communication, Company, Edge, Identity, Person

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)

PEOPLE = {
    "maya": ("Maya Chen", "maya@northlight.example", "Head of Partnerships"),
    "leo": ("Leo Marsh", "leo@northlight.example", "Head of Business Affairs"),
    "daniel": ("Daniel Wu", "daniel@meridian.example", "Managing Partner"),
    "omar": ("Omar Haddad", "omar@acme.example", None),
    "hana": ("Hana Sato", "hana@acme.example", None),
    "siti": ("Siti Rahman", "siti@acme.example", None),
    "kim": ("Kim Lee", "kim@acme.example", None),
    "zed": ("Zed Zorro", "zed@acme.example", None),
    "rajesh": ("Rajesh Kumar", "rajesh@psn.example", "Head of Content"),
}
TITLES_AT_ACME = {
    "omar": "Commercial Director",
    "hana": "Director of Media Rights",
    "siti": "Procurement Manager",
    "kim": "Head of Finance",
    "zed": "Chief Executive Officer",
}
ACME = "c_acme"


def pid(key: str) -> str:
    """The person id used in the world."""
    return f"p_{key}"


def _knows(a: str, b: str, strength: float, days_ago: int, count: int = 10, **extra: object) -> Edge:
    last = NOW - timedelta(days=days_ago)
    return Edge(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id=pid(a),
        dst_label=NodeLabel.PERSON,
        dst_id=pid(b),
        props={
            "strength": strength,
            "interaction_count": count,
            "last_interaction": last,
            "first_interaction": last - timedelta(days=200),
            **extra,  # type: ignore[dict-item]
        },
        provenance=["test"],
    )


def mail(
    store: GraphStore,
    key: str,
    sender: str,
    to: list[str],
    *,
    days_ago: int,
    subject: str,
    thread: str | None = None,
    action_items: list[str] | None = None,
    preview: str | None = None,
) -> str:
    """Write one email between world people; returns its id."""
    comm_id = f"m_{key}"
    store.upsert_entities(
        entities=[
            Communication(
                id=comm_id,
                channel=Channel.EMAIL,
                source="test",
                timestamp=NOW - timedelta(days=days_ago),
                subject=subject,
                thread_key=thread,
                preview=preview or subject,
                action_items=action_items or [],
            )
        ]
    )
    edges = [
        Edge(
            type=RelType.SENT,
            src_label=NodeLabel.PERSON,
            src_id=pid(sender),
            dst_label=NodeLabel.COMMUNICATION,
            dst_id=comm_id,
            provenance=["test"],
        )
    ]
    edges += [
        Edge(
            type=RelType.TO,
            src_label=NodeLabel.COMMUNICATION,
            src_id=comm_id,
            dst_label=NodeLabel.PERSON,
            dst_id=pid(p),
            provenance=["test"],
        )
        for p in to
    ]
    store.upsert_edges(edges=edges, now=NOW)
    return comm_id


def build_world(store: GraphStore) -> None:
    """Write the world into an empty store."""
    people = [
        Person(id=pid(k), name=name, emails=[email], title=title, is_team=True if k == "maya" else None)
        for k, (name, email, title) in PEOPLE.items()
    ]
    identities = [Identity(id=f"email:{email}", kind="email", value=email) for _, email, _ in PEOPLE.values()]
    store.upsert_entities(entities=[*people, *identities, Company(id=ACME, name="Acme Sports", domain="acme.example")])
    edges = [
        Edge(
            type=RelType.IDENTIFIES,
            src_label=NodeLabel.IDENTITY,
            src_id=f"email:{email}",
            dst_label=NodeLabel.PERSON,
            dst_id=pid(k),
            provenance=["test"],
        )
        for k, (_, email, _) in PEOPLE.items()
    ]
    edges += [
        Edge(
            type=RelType.WORKS_AT,
            src_label=NodeLabel.PERSON,
            src_id=pid(k),
            dst_label=NodeLabel.COMPANY,
            dst_id=ACME,
            props={"title": title},
            provenance=["test"],
        )
        for k, title in TITLES_AT_ACME.items()
    ]
    edges += [
        _knows("maya", "hana", 0.70, 10),
        _knows("leo", "siti", 0.50, 41),
        _knows("maya", "daniel", 0.90, 3),
        _knows("daniel", "omar", 0.40, 30),
        _knows("maya", "kim", 0.40, 100, count=5),
        _knows("maya", "leo", 0.95, 1),
        _knows("maya", "rajesh", 0.60, 70, count=12),
    ]
    store.upsert_edges(edges=edges, now=NOW)
    # The stall: Leo asked Siti, chased once, no answer.
    mail(store, "q1", "leo", ["siti"], days_ago=55, subject="Tender question", thread="t_tender")
    mail(store, "q2", "leo", ["siti"], days_ago=41, subject="RE: Tender question", thread="t_tender")
    # An answered thread: no stall.
    mail(
        store,
        "b1",
        "hana",
        ["maya"],
        days_ago=11,
        subject="Budget range?",
        thread="t_budget",
        action_items=["send the budget range by Friday"],
    )
    mail(store, "b2", "maya", ["hana"], days_ago=10, subject="RE: Budget range?", thread="t_budget")
    # Daniel mentions Omar to Maya: the intro is timely.
    mail(
        store,
        "d1",
        "daniel",
        ["maya"],
        days_ago=5,
        subject="Omar Haddad",
        thread="t_omar",
        preview="Happy to introduce you to Omar Haddad at the summit.",
    )
    # Maya and Rajesh: their last topic.
    mail(
        store,
        "r1",
        "maya",
        ["rajesh"],
        days_ago=70,
        subject="Co-bid proposal",
        thread="t_cobid",
        action_items=["Rajesh to confirm interest"],
    )
    store.flush()
