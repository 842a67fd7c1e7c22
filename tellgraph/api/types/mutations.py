"""Mutation inputs and results: each result is a union of success and the expected failures."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from tellgraph.api.types.audit import AuditEntry
from tellgraph.api.types.communication import Communication
from tellgraph.api.types.errors import InvalidInputError, NotFoundError
from tellgraph.api.types.person import Person
from tellgraph.schema.model import Channel as ChannelModel
from tellgraph.schema.model import Role


@strawberry.enum(description="How a communication happened.")
class Channel(Enum):
    EMAIL = ChannelModel.EMAIL.value
    CHAT = ChannelModel.CHAT.value
    MEETING = ChannelModel.MEETING.value
    CALL = ChannelModel.CALL.value
    SOCIAL = ChannelModel.SOCIAL.value
    CRM = ChannelModel.CRM.value
    EVENT = ChannelModel.EVENT.value


@strawberry.enum(description="How someone took part in an interaction.")
class ParticipantRole(Enum):
    FROM = Role.FROM.value
    TO = Role.TO.value
    CC = Role.CC.value
    BCC = Role.BCC.value
    ATTENDEE = Role.ATTENDEE.value
    ORGANIZER = Role.ORGANIZER.value
    SPEAKER = Role.SPEAKER.value
    AUTHOR = Role.AUTHOR.value
    MENTIONED = Role.MENTIONED.value


@strawberry.input(description="A participant: an email address (new people are created) or an existing person's id.")
class ParticipantInput:
    email: str | None = None
    person_id: strawberry.ID | None = None
    name: str | None = None
    role: ParticipantRole = ParticipantRole.ATTENDEE


@strawberry.input(description="A call, meeting or message logged by hand.")
class LogInteractionInput:
    channel: Channel
    timestamp: datetime = strawberry.field(description="When it happened, with a time zone.")
    participants: list[ParticipantInput]
    subject: str | None = None
    text: str = ""
    external_id: str | None = strawberry.field(
        default=None, description="Your id for it: logging the same id again changes nothing."
    )


@strawberry.input(description="Fields to change on a person; omitted fields stay as they are.")
class UpdatePersonInput:
    name: str | None = None
    title: str | None = None
    add_emails: list[str] = strawberry.field(default_factory=list)
    phones: list[str] | None = strawberry.field(default=None, description="Replaces the phone numbers.")
    linkedin_url: str | None = None
    is_team: bool | None = None
    company_domain: str | None = strawberry.field(
        default=None, description="Their current employer's domain; earlier employers get an end date."
    )
    company_name: str | None = None


@strawberry.type(description="The interaction is stored.")
class LogInteractionSuccess:
    communication: Communication
    created: bool = strawberry.field(description="False when the same interaction was logged before.")
    relationships_updated: int = strawberry.field(description="Ties among the participants that were re-scored.")


@strawberry.type(description="The person was changed.")
class UpdatePersonSuccess:
    person: Person
    audit_entry: AuditEntry


@strawberry.type(description="Two people are now one.")
class MergePeopleSuccess:
    person: Person | None
    audit_entry: AuditEntry


@strawberry.type(description="A merge was undone.")
class SplitPersonSuccess:
    audit_entry: AuditEntry


@strawberry.type(description="The person's personal data is erased; counts on their ties remain, anonymous.")
class ForgetPersonSuccess:
    person_id: strawberry.ID
    identities_removed: int
    communications_redacted: int
    audit_entry: AuditEntry


LogInteractionResult = Annotated[
    LogInteractionSuccess | InvalidInputError | NotFoundError, strawberry.union("LogInteractionResult")
]
UpdatePersonResult = Annotated[
    UpdatePersonSuccess | InvalidInputError | NotFoundError, strawberry.union("UpdatePersonResult")
]
MergePeopleResult = Annotated[
    MergePeopleSuccess | InvalidInputError | NotFoundError, strawberry.union("MergePeopleResult")
]
SplitPersonResult = Annotated[
    SplitPersonSuccess | InvalidInputError | NotFoundError, strawberry.union("SplitPersonResult")
]
ForgetPersonResult = Annotated[
    ForgetPersonSuccess | InvalidInputError | NotFoundError, strawberry.union("ForgetPersonResult")
]
