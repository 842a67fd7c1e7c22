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
