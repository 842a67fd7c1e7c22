"""Team view: which team member holds the strongest tie to each contact."""

from __future__ import annotations

from pathlib import Path

from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Person
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.scoring.team import team_view
from tellgraph.settings import Settings
from tests.unit.scoring.helpers import at, mail, write


def test_strongest_member_per_contact(tmp_path: Path) -> None:
    store = MemoryStore()
    comms = [mail("maya", ["dan"], days=d) for d in range(0, 50, 5)] + [
        mail("dan", ["maya"], days=d) for d in range(1, 50, 5)
    ]
    comms += [mail("tom", ["dan"], days=3), mail("tom", ["raj"], days=4), mail("raj", ["tom"], days=5)]
    comms += [mail("maya", ["tom"], days=d) for d in range(0, 50, 10)]  # team-internal: never a contact
    write(store, comms)
    store.upsert_entities(entities=[Person(id="omar", name="Omar")])
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.INFERRED_KNOWS,
                src_label=NodeLabel.PERSON,
                src_id="maya",
                dst_label=NodeLabel.PERSON,
                dst_id="omar",
                props={"confidence": 0.3},
            )
        ],
        now=at(0),
    )
    rebuild_knows(store, settings=Settings(data_dir=tmp_path), infer=False)
    view = team_view(store, team=["maya", "tom"])
    by_contact = {t.contact_id: t for t in view}
    assert set(by_contact) == {"dan", "raj", "omar"}
    assert by_contact["dan"].member_id == "maya"
    assert by_contact["dan"].best is not None and by_contact["dan"].best.member_name == "Maya"
    assert [o.member_id for o in by_contact["dan"].others] == ["tom"]
    assert by_contact["raj"].member_id == "tom"
    assert by_contact["omar"].best is not None and by_contact["omar"].best.kind == "inferred"
    assert view[-1].contact_id == "omar"  # observed ties first, inferred after
    assert view[0].best is not None and view[0].best.strength >= view[1].best.strength  # type: ignore[union-attr]

    asked = team_view(store, team=["maya", "tom"], contacts=["raj", "nobody"])
    assert [t.contact_id for t in asked] == ["raj", "nobody"]
    assert asked[1].best is None and asked[1].member_id is None
