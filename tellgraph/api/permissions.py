"""Role checks on every root field: viewers read, editors write, admins erase.

Each class becomes a schema directive (``@RequiresEditor``) so the exported SDL
documents who may call what. A missing token fails with ``UNAUTHENTICATED``, a
weaker role with ``FORBIDDEN``.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from tellgraph.api.auth import Role
from tellgraph.api.context import Info
from tellgraph.api.errors import Unauthenticated
from tellgraph.errors import PermissionDenied

logger = logging.getLogger(__name__)


class _RequiresRole(BasePermission):
    required: ClassVar[Role]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated()
        if principal.role < self.required:
            # A security event worth seeing in the server log: who (a token fingerprint, never the token) tried what.
            logger.warning("refused %s to %s: needs %s", info.field_name, principal.actor, self.required.name.lower())
            raise PermissionDenied(info.field_name, self.required.name.lower())
        return True


class RequiresViewer(_RequiresRole):
    """Any valid token."""

    required = Role.VIEWER


class RequiresEditor(_RequiresRole):
    """An editor or admin token."""

    required = Role.EDITOR


class RequiresAdmin(_RequiresRole):
    """An admin token."""

    required = Role.ADMIN


def viewer() -> list[FieldExtension]:
    """Field extensions for reads."""
    return [PermissionExtension(permissions=[RequiresViewer()])]


def editor() -> list[FieldExtension]:
    """Field extensions for writes."""
    return [PermissionExtension(permissions=[RequiresEditor()])]


def admin() -> list[FieldExtension]:
    """Field extensions for erasure and other admin-only operations."""
    return [PermissionExtension(permissions=[RequiresAdmin()])]
