"""Roles on every root field: viewers read, editors write, admins erase."""

from __future__ import annotations

import pytest

from tests.unit.api.conftest import ADMIN, EDITOR, VIEWER, Api

LOG = """mutation { logInteraction(input: {channel: CALL, timestamp: "2026-11-12T10:00:00Z",
  participants: [{email: "maya@north.tv", role: ORGANIZER}, {personId: "z"}]}) {
  __typename ... on LogInteractionSuccess { created } } }"""
UPDATE = 'mutation { updatePerson(id: "b", input: {title: "Head of Media Rights"}) { __typename } }'
MERGE = 'mutation { mergePeople(keepId: "l", mergeId: "n", evidence: ["same person"]) { __typename } }'
SPLIT = 'mutation { splitPerson(auditId: "a_missing") { __typename } }'
FORGET = 'mutation { forgetPerson(id: "n") { __typename } }'

# (mutation, the weakest role allowed, the token of a role just below it)
CASES = [
    (LOG, EDITOR, VIEWER),
    (UPDATE, EDITOR, VIEWER),
    (MERGE, EDITOR, VIEWER),
    (SPLIT, EDITOR, VIEWER),
    (FORGET, ADMIN, EDITOR),
]


@pytest.mark.parametrize(("mutation", "allowed", "weaker"), CASES)
def test_each_mutation_checks_the_role(api: Api, mutation: str, allowed: str, weaker: str) -> None:
    assert api.post(mutation, token=None).status_code == 401
    refused = api.post(mutation, token=weaker).json()
    assert refused["data"] is None
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "role" in error["message"]
    done = api.post(mutation, token=allowed).json()
    assert "errors" not in done, done
    assert done["data"][next(iter(done["data"]))]["__typename"].endswith(("Success", "NotFoundError"))


def test_viewers_read_everything_but_write_nothing(api: Api) -> None:
    assert api.data("{ viewer { role actor } }", token=VIEWER)["viewer"]["role"] == "viewer"
    assert api.data("{ viewer { role } }", token=ADMIN) == {"viewer": {"role": "admin"}}
    assert api.data('{ node(id: "t1") { id } }', token=VIEWER) == {"node": {"id": "t1"}}


def test_audit_names_the_token_not_its_secret(api: Api) -> None:
    body = api.post(
        'mutation { updatePerson(id: "b", input: {title: "Head"}) '
        "{ ... on UpdatePersonSuccess { auditEntry { actor } } } }",
        token=EDITOR,
    ).json()
    actor = body["data"]["updatePerson"]["auditEntry"]["actor"]
    assert actor.startswith("api:editor:") and EDITOR not in actor
