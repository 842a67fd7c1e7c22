"""Drafts for outgoing messages: templates by default, any LLM through the :class:`Drafter` protocol.

The template drafter is deterministic: the same context gives the same text. A
drafter never sends anything; drafts become messages only after approval.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field


class DraftContext(BaseModel):
    """What a drafter knows about the message to write."""

    kind: str
    sender_name: str | None = None
    recipient_name: str | None = None
    recipient_first_name: str | None = None
    last_subject: str | None = None
    last_contact: str | None = None
    """A date in words (``2026-09-03``)."""
    open_items: list[str] = Field(default_factory=list)
    about_name: str | None = None
    """Who the message is about (the person to be introduced), when anyone."""
    reason: str | None = None
    facts: list[str] = Field(default_factory=list)


class Draft(BaseModel):
    """A message ready for a person to review."""

    subject: str
    body: str


class Drafter(Protocol):
    """Writes a draft from context. Implementations may call a language model; none is built in."""

    def draft(self, context: DraftContext) -> Draft:
        """A subject and body for the context."""
        ...


def first_name(name: str | None) -> str | None:
    """The first word of a name that is not an address."""
    if not name or "@" in name:
        return None
    return name.split()[0]


def _greeting(context: DraftContext) -> str:
    return f"Hi {context.recipient_first_name or first_name(context.recipient_name) or 'there'},"


def _signoff(context: DraftContext) -> str:
    return f"Best,\n{first_name(context.sender_name) or context.sender_name or ''}".rstrip()


class TemplateDrafter:
    """Plain, short drafts from templates; deterministic."""

    def draft(self, context: DraftContext) -> Draft:
        """A draft for the context's kind (a generic note for unknown kinds)."""
        builder = getattr(self, f"_{context.kind}", self._generic)
        draft: Draft = builder(context)
        return draft

    def _touchpoint(self, c: DraftContext) -> Draft:
        lines = [_greeting(c), ""]
        if c.last_subject:
            lines.append(f'I was thinking about our last exchange on "{c.last_subject}" and wanted to check in.')
        else:
            lines.append("It has been a while and I wanted to check in.")
        if c.open_items:
            lines += ["", "A few things still open from our side or yours:"]
            lines += [f"- {item}" for item in c.open_items[:3]]
        lines += [
            "",
            "How are things on your side? Happy to catch up on a quick call in the next couple of weeks.",
            "",
            _signoff(c),
        ]
        subject = f"Catching up: {c.last_subject}" if c.last_subject else "Catching up"
        return Draft(subject=subject[:200], body="\n".join(lines))

    def _follow_up(self, c: DraftContext) -> Draft:
        subject = f"Re: {c.last_subject}" if c.last_subject else "Following up"
        lines = [_greeting(c), ""]
        lines.append(
            f"Following up on my note of {c.last_contact}" + (f' about "{c.last_subject}".' if c.last_subject else ".")
            if c.last_contact
            else "Following up on my earlier note."
        )
        lines += [
            "I know things are busy; even a short answer, or a pointer to the right person, would help us a lot.",
            "",
            _signoff(c),
        ]
        return Draft(subject=subject[:200], body="\n".join(lines))

    def _intro_request(self, c: DraftContext) -> Draft:
        about = c.about_name or "them"
        lines = [
            _greeting(c),
            "",
            f"Would you be comfortable introducing me to {about}?" + (f" {c.reason}" if c.reason else ""),
            "",
            f"Only if it feels right to you: if you think it is worthwhile, you could ask {first_name(about) or about} "
            "first whether they are open to it, and I will follow up once they say yes. A short blurb you can "
            "forward is below.",
            "",
            "---",
            f"{c.sender_name or 'I'} would like to meet {about}" + (f" about {c.facts[0]}" if c.facts else "") + ".",
            "---",
            "",
            "Thank you either way,",
            first_name(c.sender_name) or c.sender_name or "",
        ]
        return Draft(subject=f"Introduction to {about}?"[:200], body="\n".join(lines).rstrip())

    def _meeting_follow_up(self, c: DraftContext) -> Draft:
        lines = [_greeting(c), "", f"Thank you for the time today{f' on {c.last_subject}' if c.last_subject else ''}."]
        if c.facts:
            lines += ["", "What we agreed:"] + [f"- {fact}" for fact in c.facts[:5]]
        if c.open_items:
            lines += ["", "Next steps:"] + [f"- {item}" for item in c.open_items[:8]]
        lines += ["", "Let me know if I missed anything.", "", _signoff(c)]
        subject = f"Follow-up: {c.last_subject}" if c.last_subject else "Follow-up"
        return Draft(subject=subject[:200], body="\n".join(lines))

    def _congratulate(self, c: DraftContext) -> Draft:
        lines = [
            _greeting(c),
            "",
            f"I just saw the news{f': {c.reason}' if c.reason else ''}. Congratulations!",
            "",
            "Would be good to catch up when things settle.",
            "",
            _signoff(c),
        ]
        return Draft(subject="Congratulations"[:200], body="\n".join(lines))

    def _generic(self, c: DraftContext) -> Draft:
        lines = [_greeting(c), "", c.reason or "A quick note.", "", _signoff(c)]
        return Draft(subject=(c.last_subject or "A quick note")[:200], body="\n".join(lines))
