"""What connectors yield: activities, contacts, attendances, rejections and checkpoints.

A connector turns one source into a stream of these records. The ingest service
writes them; connectors never touch a store.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tellgraph.schema.model import MAX_NAME_LENGTH, Activity, Participant, as_utc


class ContactRecord(BaseModel):
    """A person as a contact list, CRM or social network knows them.

    ``connected_to`` and ``connected_on`` describe a tie to the list's owner
    (LinkedIn's "Connected On"), which becomes a KNOWS edge.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    source_key: str
    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    emails: list[str] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list)
    linkedin_url: str | None = None
    phones: list[str] = Field(default_factory=list)
    title: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    company_name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    company_domain: str | None = None
    connected_to: Participant | None = None
    connected_on: datetime | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("connected_on")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value else None


class AttendanceRecord(BaseModel):
    """People who attended (or were listed for) an event, without a conversation between them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    source_key: str
    event_key: str
    event_name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    attendees: list[Participant]

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value else None


class Rejected(BaseModel):
    """A source record that could not be used, and why (counted in the run summary)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    source_key: str
    reason: str


class CheckpointMark(BaseModel):
    """Every record before this one has been yielded: the source may resume from ``cursor``.

    The ingest service stores the cursor only after everything before it is written,
    so an interrupted run never skips a record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: str
    cursor: str


SourceRecord = Activity | ContactRecord | AttendanceRecord | Rejected | CheckpointMark
