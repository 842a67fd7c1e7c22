"""The exported SDL is the schema: a change to the API must come with a regenerated schema.graphql."""

from __future__ import annotations

from pathlib import Path

from tellgraph.api.export_schema import DEFAULT_PATH, main, schema_sdl
from tellgraph.api.schema import build_schema


def test_schema_graphql_is_up_to_date() -> None:
    assert DEFAULT_PATH.exists(), "run: python -m tellgraph.api.export_schema"
    current = DEFAULT_PATH.read_text(encoding="utf-8")
    assert current == str(build_schema()) + "\n", (
        "The GraphQL schema changed. If that was intended, run `python -m tellgraph.api.export_schema` "
        "and commit schema.graphql; public names must keep working (see ARCHITECTURE.md)."
    )


def test_export_and_check(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert main(["--check", str(target)]) == 1
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_sdl()
    assert main(["--check", str(target)]) == 0


def test_contract_names() -> None:
    sdl = schema_sdl()
    for line in (
        "person(email: String = null, id: ID = null): Person",
        "relationship(a: String!, b: String!): Relationship",
        "warmIntroPaths(from: [String!]!, to: String!, maxHops: Int = 3, first: Int = 5",
        "search(query: String!, first: Int = 10",
        "relationships(first: Int = 10, after: String = null): RelationshipConnection!",
        "interface Node {",
        "union SearchResult",
        "logInteraction(input: LogInteractionInput!): LogInteractionResult! @requiresEditor",
        "forgetPerson(id: ID!): ForgetPersonResult! @requiresAdmin",
    ):
        assert line in sdl, line
