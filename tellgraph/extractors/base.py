"""The connector protocol every source implements."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol, runtime_checkable

from tellgraph.schema.records import SourceRecord


@runtime_checkable
class Connector(Protocol):
    """Reads one source and yields canonical records.

    ``kind`` names the connector (``maildir``, ``slack-export``...); ``location``
    identifies this particular source (a folder, an account) so checkpoints of
    different sources never collide.
    """

    kind: str
    """The connector's name; a connector may also set ``incremental = False`` when its cursors
    are positions that are only valid within one run (the ingest service then forgets them
    after a finished run)."""

    @property
    def location(self) -> str:
        """A stable identifier of the source being read (no secrets)."""
        ...

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield records, resuming each stream after its stored cursor.

        Args:
            checkpoints: the cursor last stored for each stream of this source.
        """
        ...
