"""Roles on every resolver and an audit entry for every mutation, enumerated from the schema itself.

The mutations come from introspection, so a new one is checked without editing this file: it
must declare a role, refuse callers without a token or with a weaker role without changing the
graph, and (for the audit test) have a recipe below that succeeds and leaves an audit entry
naming the caller. The app runs in process over the real Neo4j.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import pytest
from starlette.testclient import TestClient

from tellgraph.api.auth import TokenTable
from tellgraph.api.schema import build_schema
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, SuggestedAction
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import utcnow
from tellgraph.settings import Settings
from tests.graphql_walk import minimal_value, operation, root_fields
from tests.integration.api_server import ADMIN, EDITOR, TOKENS, VIEWER, in_process_api

ROLE_DIRECTIVES = {"requiresViewer": "viewer", "requiresEditor": "editor", "requiresAdmin": "admin"}
TOKEN_OF = {"viewer": VIEWER, "editor": EDITOR, "admin": ADMIN}
WEAKER = {"editor": ["viewer"], "admin": ["viewer", "editor"], "viewer": []}


@dataclass
class SecureApi:
    store: GraphStore
    client: TestClient
    schema: graphql.GraphQLSchema
    roles: dict[str, dict[str, str]]
    notes: dict[str, Any] = field(default_factory=dict)

    def post(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None) -> Any:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str) -> Any:
        body = self.post(query, variables, token=token).json()
        assert "errors" not in body, body
        return body["data"]

    def audit_ids(self) -> set[str]:
        return {n.id for n in self.store.list_nodes(label=NodeLabel.AUDIT_ENTRY, limit=100_000)}


def declared_roles(settings: Settings) -> dict[str, dict[str, str]]:
    """Root field → the role its directive requires, read from the SDL the schema prints."""
    sdl = graphql.build_schema(build_schema(settings=settings).as_str())
    roles: dict[str, dict[str, str]] = {}
    for kind, root in (("query", sdl.query_type), ("mutation", sdl.mutation_type)):
        assert root is not None
        roles[kind] = {}
        for name, field_ in root.fields.items():
            assert field_.ast_node is not None
            found = [
                ROLE_DIRECTIVES[d.name.value] for d in field_.ast_node.directives if d.name.value in ROLE_DIRECTIVES
            ]
            roles[kind][name] = found[0] if len(found) == 1 else f"missing or ambiguous: {found}"
    return roles


@pytest.fixture(scope="module")
def api() -> Iterator[SecureApi]:
    with in_process_api() as (store, settings, client, schema):
        yield SecureApi(store=store, client=client, schema=schema, roles=declared_roles(settings))


def test_every_root_field_declares_exactly_one_role(api: SecureApi) -> None:
    for kind in ("query", "mutation"):
        served = set(root_fields(api.schema, kind))
        assert served == set(api.roles[kind]), kind
        bad = {name: role for name, role in api.roles[kind].items() if role not in TOKEN_OF}
        assert not bad, bad
    # Writes need at least an editor; erasure an admin.
    assert all(role in ("editor", "admin") for role in api.roles["mutation"].values()), api.roles["mutation"]
    assert api.roles["mutation"]["forgetPerson"] == "admin"


def test_every_query_needs_a_token(api: SecureApi) -> None:
    for name, field_ in root_fields(api.schema, "query").items():
        values = {
            arg: minimal_value(a.type) for arg, a in field_.args.items() if isinstance(a.type, graphql.GraphQLNonNull)
        }
        query, variables = operation("query", name, field_, values)
        response = api.post(query, variables, token=None)
        assert response.status_code == 401, (name, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        wrong = api.post(query, variables, token="not-a-valid-token-at-all")
        assert wrong.status_code == 401


def test_every_mutation_refuses_missing_and_weaker_roles_without_a_change(api: SecureApi) -> None:
    mutations = root_fields(api.schema, "mutation")
    assert mutations
    before, audits = api.store.checksum(), api.audit_ids()
    for name, field_ in sorted(mutations.items()):
        values = {arg: minimal_value(a.type, strings="p_missing") for arg, a in field_.args.items()}
        query, variables = operation("mutation", name, field_, values)
        missing = api.post(query, variables, token=None)
        assert missing.status_code == 401, (name, missing.text)
        assert missing.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        required = api.roles["mutation"][name]
        for weaker in WEAKER[required]:
            refused = api.post(query, variables, token=TOKEN_OF[weaker]).json()
            assert refused["data"] is None, (name, weaker, refused)
            [error] = refused["errors"]
            assert error["extensions"]["code"] == "FORBIDDEN", (name, weaker, error)
            assert required in error["message"] and "Traceback" not in json.dumps(refused)
    assert api.store.checksum() == before, "a refused mutation changed the graph"
    assert api.audit_ids() == audits


# -- every mutation leaves an audit entry ----------------------------------------------------------

Recipe = Callable[[SecureApi], tuple[str, dict[str, Any], str]]


def _log(api: SecureApi, a: str, b: str) -> dict[str, Any]:
    return api.data(  # type: ignore[no-any-return]
        """mutation($a: String!, $b: String!) { logInteraction(input: {channel: MEETING,
             timestamp: "2026-11-12T10:00:00Z", participants: [{email: $a, role: ORGANIZER}, {email: $b}]}) {
             __typename ... on LogInteractionSuccess { communication { participants { person { id } } } } } }""",
        {"a": a, "b": b},
        token=EDITOR,
    )["logInteraction"]


def _person(api: SecureApi, email: str) -> str:
    _log(api, email, "audit-host@example.org")
    return str(api.data("query($e: String) { person(email: $e) { id } }", {"e": email}, token=VIEWER)["person"]["id"])


def _action(api: SecureApi, key: str) -> str:
    action = SuggestedAction(
        id=f"action_audit_{key}",
        kind="touchpoint",
        agent="relationship",
        title="Check in",
        channel=ActionChannel.INTERNAL,
        target_ids=["a"],
        draft="Hello",
        proposed_at=utcnow(),
    )
    api.store.upsert_entities(entities=[action])
    api.store.flush()
    return action.id


def _recipe_log(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    return (
        """mutation { logInteraction(input: {channel: CALL, timestamp: "2026-11-11T10:00:00Z",
           participants: [{email: "audit-1@example.org", role: ORGANIZER}, {email: "audit-2@example.org"}]}) {
           __typename } }""",
        {},
        EDITOR,
    )


def _recipe_update(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    pid = _person(api, "audit-update@example.org")
    return 'mutation($id: ID!) { updatePerson(id: $id, input: {title: "CFO"}) { __typename } }', {"id": pid}, EDITOR


def _recipe_merge(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    keep, merge = _person(api, "audit-keep@example.org"), _person(api, "audit-merge@example.org")
    return (
        'mutation($k: ID!, $m: ID!) { mergePeople(keepId: $k, mergeId: $m, evidence: ["same"]) {'
        " __typename ... on MergePeopleSuccess { auditEntry { id } } } }",
        {"k": keep, "m": merge},
        EDITOR,
    )


def _recipe_split(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    keep, merge = _person(api, "audit-keep2@example.org"), _person(api, "audit-merge2@example.org")
    merged = api.data(
        "mutation($k: ID!, $m: ID!) { mergePeople(keepId: $k, mergeId: $m) {"
        " ... on MergePeopleSuccess { auditEntry { id } } } }",
        {"k": keep, "m": merge},
        token=EDITOR,
    )["mergePeople"]
    return "mutation($a: ID!) { splitPerson(auditId: $a) { __typename } }", {"a": merged["auditEntry"]["id"]}, EDITOR


def _recipe_forget(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    pid = _person(api, "audit-forget@example.org")
    return "mutation($id: ID!) { forgetPerson(id: $id) { __typename } }", {"id": pid}, ADMIN


def _recipe_goal(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    return 'mutation { createGoal(input: {name: "Audit goal", suggest: false}) { id } }', {}, EDITOR


def _recipe_approve(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    return "mutation($id: ID!) { approveAction(id: $id) { __typename } }", {"id": _action(api, "approve")}, EDITOR


def _recipe_reject(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    return (
        'mutation($id: ID!) { rejectAction(id: $id, reason: "no") { __typename } }',
        {"id": _action(api, "reject")},
        EDITOR,
    )


def _recipe_edit(api: SecureApi) -> tuple[str, dict[str, Any], str]:
    return (
        'mutation($id: ID!) { editAction(id: $id, draft: "Hi") { __typename } }',
        {"id": _action(api, "edit")},
        EDITOR,
    )


RECIPES: dict[str, tuple[Recipe, set[str]]] = {
    "logInteraction": (_recipe_log, {"log_interaction"}),
    "updatePerson": (_recipe_update, {"update_person"}),
    "mergePeople": (_recipe_merge, {"merge"}),
    "splitPerson": (_recipe_split, {"split"}),
    "forgetPerson": (_recipe_forget, {"forget_person"}),
    "createGoal": (_recipe_goal, {"create_goal"}),
    "approveAction": (_recipe_approve, {"action.approve"}),
    "rejectAction": (_recipe_reject, {"action.reject"}),
    "editAction": (_recipe_edit, {"action.edit"}),
}
"""A call that succeeds for each mutation, and the audit actions it must write."""


def test_every_mutation_has_an_audit_recipe(api: SecureApi) -> None:
    served = set(root_fields(api.schema, "mutation"))
    assert served == set(RECIPES), f"add a recipe (and an audit entry) for {sorted(served - set(RECIPES))}"


@pytest.mark.parametrize("mutation", sorted(RECIPES))
def test_every_mutation_writes_an_audit_entry_naming_the_caller(api: SecureApi, mutation: str) -> None:
    recipe, actions = RECIPES[mutation]
    query, variables, token = recipe(api)
    before = api.audit_ids()
    body = api.data(query, variables, token=token)
    result = body[mutation]
    assert not str(result.get("__typename", "")).endswith("Error"), result
    new = api.store.get_nodes(label=NodeLabel.AUDIT_ENTRY, ids=sorted(api.audit_ids() - before))
    actor = TokenTable(TOKENS).principal_for(f"Bearer {token}")
    assert actor is not None
    mine = [n for n in new if n.props.get("actor") == actor.actor]
    assert actions <= {n.props["action"] for n in mine}, [n.props for n in new]
    for entry in mine:
        assert entry.props.get("subject_ids"), entry.props
        assert entry.props.get("at") is not None
    # The token itself never reaches the audit log.
    assert all(token not in json.dumps(n.props, default=str) for n in new)
