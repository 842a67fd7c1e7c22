"""Build activities for tests and a connector that yields them (a real source, in memory)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

from tellgraph.schema.model import Activity, Channel, Participant, Role, stable_id
from tellgraph.schema.records import CheckpointMark, Rejected, SourceRecord

T0 = datetime(2001, 5, 1, 9, 0, tzinfo=UTC)


def email(
    n: int, sender: str, to: list[str], cc: list[str] | None = None, *, days: int = 0, subject: str = "Hi"
) -> Activity:
    """An email activity whose key depends on its content only."""
    ts = T0 + timedelta(days=days, minutes=n)
    participants = [Participant(role=Role.FROM, email=sender, name=sender.split("@")[0].title())]
    participants += [Participant(role=Role.TO, email=a) for a in to]
    participants += [Participant(role=Role.CC, email=a) for a in cc or []]
    return Activity(
        channel=Channel.EMAIL,
        source="test",
        source_key=f"mail/{n}",
        key=stable_id("m", "email", sender, ts.isoformat(), subject, str(n)),
        timestamp=ts,
        participants=participants,
        subject=subject,
        text=f"Message {n} body",
    )


class ListConnector:
    """Yields fixed records with a checkpoint after every ``every`` records."""

    kind = "test"
    incremental = False  # the cursor is a position in the list

    def __init__(self, records: list[Activity | Rejected], *, every: int = 2, name: str = "list") -> None:
        self._records = records
        self._every = every
        self._name = name

    @property
    def location(self) -> str:
        return self._name

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        start = int(checkpoints.get("items", "0"))
        for index in range(start, len(self._records)):
            yield self._records[index]
            if (index + 1) % self._every == 0:
                yield CheckpointMark(stream="items", cursor=str(index + 1))
        yield CheckpointMark(stream="items", cursor=str(len(self._records)))
