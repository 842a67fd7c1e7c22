"""Bearer API tokens with roles, from ``TELLGRAPH_API_TOKENS`` (``token:role,...``).

Tokens are kept only as SHA-256 digests and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import IntEnum

from tellgraph.errors import ConfigError


class Role(IntEnum):
    """Roles in increasing order of power."""

    VIEWER = 1
    EDITOR = 2
    ADMIN = 3


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role and a token fingerprint that names the token in audits without revealing it."""

    role: Role
    fingerprint: str

    @property
    def actor(self) -> str:
        """How audit entries name this caller."""
        return f"api:{self.role.name.lower()}:{self.fingerprint}"


OPEN_PRINCIPAL = Principal(role=Role.ADMIN, fingerprint="open")
"""The caller when no tokens are configured (local, loopback-only use)."""


class TokenTable:
    """Digests of the configured tokens and their roles."""

    def __init__(self, spec: str) -> None:
        self._entries: list[tuple[bytes, Role]] = []
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            token, sep, role_name = item.rpartition(":")
            if not sep or not token:
                raise ConfigError("TELLGRAPH_API_TOKENS", "each entry must be token:role")
            try:
                role = Role[role_name.strip().upper()]
            except KeyError:
                raise ConfigError("TELLGRAPH_API_TOKENS", f"unknown role {role_name!r}") from None
            if len(token) < 16:
                raise ConfigError("TELLGRAPH_API_TOKENS", "tokens must be at least 16 characters")
            self._entries.append((_digest(token), role))

    @property
    def open(self) -> bool:
        """No tokens configured: the API is open (and bound to 127.0.0.1 only)."""
        return not self._entries

    def role_for(self, authorization: str | None) -> Role | None:
        """The role of a ``Bearer`` header, or None when it is missing or wrong."""
        principal = self.principal_for(authorization)
        return principal.role if principal else None

    def principal_for(self, authorization: str | None) -> Principal | None:
        """The caller a ``Bearer`` header identifies, or None when it is missing or wrong."""
        if self.open:
            return OPEN_PRINCIPAL
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        # The scheme is case-insensitive (RFC 9110 section 11.1); the token is not.
        if scheme.lower() != "bearer" or not credentials.strip():
            return None
        candidate = _digest(credentials.strip())
        found: Role | None = None
        for digest, role in self._entries:
            # Compare against every entry so timing does not reveal which one matched.
            if hmac.compare_digest(digest, candidate):
                found = role
        if found is None:
            return None
        return Principal(role=found, fingerprint=hashlib.sha256(b"tellgraph-actor" + candidate).hexdigest()[:10])
