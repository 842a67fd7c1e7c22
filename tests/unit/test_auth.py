from __future__ import annotations

import pytest

from tellgraph.api.auth import Role, TokenTable
from tellgraph.errors import ConfigError


def test_roles_from_tokens() -> None:
    table = TokenTable("viewer-token-0000001:viewer, editor-token-000001:editor,admin-token-0000001:admin")
    assert table.role_for("Bearer viewer-token-0000001") is Role.VIEWER
    assert table.role_for("Bearer admin-token-0000001") is Role.ADMIN
    assert table.role_for("Bearer wrong-token-00000001") is None
    assert table.role_for(None) is None
    assert table.role_for("Basic abc") is None
    assert not table.open


def test_no_tokens_means_open() -> None:
    assert TokenTable("").open
    assert TokenTable("").role_for(None) is Role.ADMIN


@pytest.mark.parametrize("spec", ["short:viewer", "no-role-token-000000", "token-0000000000001:root"])
def test_bad_token_config_is_refused(spec: str) -> None:
    with pytest.raises(ConfigError):
        TokenTable(spec)


def test_tokens_are_kept_only_as_digests() -> None:
    import pickle

    secret = "a-long-secret-token-for-at-rest-test"
    table = TokenTable(f"{secret}:editor")
    dumped = pickle.dumps(table) + repr(vars(table)).encode()
    assert secret.encode() not in dumped
    principal = table.principal_for(f"Bearer {secret}")
    assert principal is not None and secret not in principal.actor and len(principal.fingerprint) == 10


def test_comparison_is_constant_time_over_every_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    table = TokenTable(",".join(f"token-number-{i:06d}:viewer" for i in range(5)))
    for probe in ("token-number-000000", "token-number-000004", "not-a-token-at-all-xx", "x"):
        calls.clear()
        table.principal_for(f"Bearer {probe}")
        # Every entry is compared, whichever matches, and always as fixed-length digests.
        assert len(calls) == 5
        assert {len(a) for a, _ in calls} == {len(b) for _, b in calls} == {32}


def test_bearer_scheme_is_case_insensitive_and_the_token_is_not() -> None:
    table = TokenTable("Case-Sensitive-Token-001:viewer")
    assert table.role_for("bearer Case-Sensitive-Token-001") is Role.VIEWER
    assert table.role_for("BEARER   Case-Sensitive-Token-001 ") is Role.VIEWER
    assert table.role_for("Bearer case-sensitive-token-001") is None
    assert table.role_for("Bearer") is None and table.role_for("Bearer    ") is None
