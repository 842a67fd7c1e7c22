"""Action items: requests ("can you send…", "please review…", "let's…") and commitments ("I'll…").

Sentences are matched with anchored regular expressions rather than a parser: the
forms people use to ask for something in e-mail are few and fixed, regexes find
them in microseconds, and the spaCy pipeline that runs on bodies is NER-only (the
parser would cost more than the rest of extraction together). A due hint in the
sentence ("by Friday", "by 23 October", "tomorrow", "EOD", "next week", an ISO
date) is resolved against the message date; when it cannot be, the raw hint is kept.

Stored on ``Communication.action_items`` as plain strings such as
``"Send the production budget (due 2026-10-09)"``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MAX_ACTIONS = 10
"""Per message: more than this is a checklist or a newsletter, not a request."""

MAX_ACTION_CHARS = 200
MAX_SENTENCE_CHARS = 400

_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_MONTHS = {
    name: number
    for number, names in enumerate(
        [(), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for name in names
}  # fmt: skip

_WEEKDAY_RE = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
_MONTH_RE = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_DATE_RE = (
    rf"(?:\d{{1,2}}{_ORD}\s+(?:of\s+)?{_MONTH_RE}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH_RE}\s+\d{{1,2}}{_ORD}(?:,?\s+\d{{4}})?"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
)
_RELATIVE_RE = (
    r"(?:end\s+of\s+(?:the\s+)?(?:day|week|month)|close\s+of\s+business|eod|eow|cob|"
    r"tomorrow|tonight|today|next\s+week|this\s+week|next\s+month)"
)
# A due hint: "by/before/until <when>" anywhere, or a bare relative word or ISO date.
_DUE = re.compile(
    rf"(?:\b(?:by|before|until|till|no\s+later\s+than|due(?:\s+on|\s+by)?|on)\s+(?:the\s+)?"
    rf"(?P<when>(?:(?:next|this)\s+)?{_WEEKDAY_RE}|{_DATE_RE}|{_RELATIVE_RE})"
    rf"|\b(?P<bare>{_RELATIVE_RE}|\d{{4}}-\d{{2}}-\d{{2}}|asap))\b",
    re.IGNORECASE,
)

_LEAD_IN = r"^(?:(?:ok|okay|so|also|and|but|great|thanks|hi|hey)[,!]?\s+)?"
_REQUEST = re.compile(
    _LEAD_IN + r"(?:can|could|would|will)\s+you\s+(?:please\s+|kindly\s+|also\s+|just\s+)?(?P<body>.+?)[\s?.!]*$",
    re.IGNORECASE,
)
_WE_REQUEST = re.compile(_LEAD_IN + r"(?:can|could|shall)\s+we\s+(?P<body>.+?)\?+$", re.IGNORECASE)
_PLEASE_FIRST = re.compile(_LEAD_IN + r"please\s+(?P<body>.+?)[\s.!]*$", re.IGNORECASE)
_PLEASE_LAST = re.compile(r"^(?P<body>.+?),?\s+please\s*(?:[.!:]|$)", re.IGNORECASE)
_PLEASE_MIDDLE = re.compile(r"^.{0,60}?,\s*please\s+(?P<body>.+?)[\s.!]*$", re.IGNORECASE)
_LETS = re.compile(_LEAD_IN + r"let(?:'|’)?s\s+(?P<body>.+?)[\s.!]*$|^let\s+us\s+(?P<body2>.+?)[\s.!]*$", re.IGNORECASE)
_COMMIT = re.compile(
    _LEAD_IN + r"(?:i|we)(?:(?:'|’)ll|\s+will|\s+shall|(?:'|’)m\s+going\s+to|\s+am\s+going\s+to|"
    r"(?:'|’)re\s+going\s+to|\s+are\s+going\s+to)\s+(?:also\s+|then\s+|now\s+)?(?P<body>.+?)[\s.!]*$",
    re.IGNORECASE,
)
_NEED = re.compile(_LEAD_IN + r"(?:i|we)\s+(?:really\s+)?(?:need|needs)\s+(?P<body>.+?)[\s.!]*$", re.IGNORECASE)
_IMPERATIVE = re.compile(
    r"^(?P<body>(?:send|review|call|check|confirm|share|forward|update|schedule|prepare|bring|sign|submit|"
    r"provide|remember\s+to|make\s+sure|get\s+back\s+to|reply|follow\s+up|book|arrange|set\s+up|fill\s+(?:in|out)|"
    r"complete|approve|read|look\s+at|email|e-mail|ring|ping|circulate|draft|finali[sz]e|return|give\s+me|"
    r"let\s+me\s+know)\b.+?)[\s.!]*$",
    re.IGNORECASE,
)
# Courtesy formulas that look like requests but ask for nothing.
_BOILERPLATE = re.compile(
    r"^(?:find\s+(?:attached|enclosed|below)|see\s+(?:attached|below|above)|note\b|"
    r"let\s+me\s+know\s+if\s+(?:you\s+)?(?:have|need)\s+any|let\s+me\s+know\s+if\s+you\s+need\s+anything|"
    r"feel\s+free|do\s+not\s+hesitate|don't\s+hesitate|contact\s+me\s+if|call\s+me\s+if|"
    r"accept\s+my|excuse|forgive|be\s+advised|be\s+aware|disregard|ignore\s+(?:this|the\s+previous)|"
    r"like\b|believe\b|imagine\b|see\b|hope\b|not\b|never\b|be\s+(?:in|at|there|here|out|away|back|off)\b|"
    r"be\s+(?:happy|glad|pleased|delighted)\b|have\s+a\s+(?:look|good|great|nice)|"
    r"(?:yes|no|ok|okay|sure|great|thanks|thank\s+you|cheers|hi|hello|dear)\b[\s,.!]*$)",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^[A-Z][\w-]*(?: [\w-]+){0,3}:\s+")
# Clauses: "We will not pay, and I need a corrected invoice" holds a request after a refusal.
_CLAUSE = re.compile(r"[;:]\s+|,\s+(?:and|but|so)\s+|\s+and\s+(?=(?:i|we)(?:'|’|\s))", re.IGNORECASE)
_COPULA = re.compile(r"^(?:\S+\s+){1,10}?(?:is|are|was|were|has been|have been)\b", re.IGNORECASE)
_BE_WILLING = re.compile(r"^be\s+(?:willing|able|open|happy|available)\s+to\s+", re.IGNORECASE)
_NEGATED = re.compile(r"^(?:not|never|n't)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One thing someone asked for or promised, with its due date when one was given."""

    text: str
    kind: str
    """``"request"`` (someone is asked) or ``"commitment"`` (the sender promises)."""
    due: str | None = None
    """The due date as an ISO date, when the hint could be resolved."""
    hint: str | None = None
    """The due hint as written ("by Friday", "next month")."""

    def render(self) -> str:
        """The stored form: ``"Send the production budget (due 2026-10-09)"``."""
        when = self.due or (self.hint and _strip_preposition(self.hint))
        return f"{self.text} (due {when})" if when else self.text


def extract_actions(sentences: list[str], *, reference: date | None) -> list[ActionItem]:
    """Requests and commitments in ``sentences``, in order, deduplicated.

    Args:
        sentences: the message's sentences (quotes and signature already removed).
        reference: the message date; relative due hints are resolved against it.
    """
    found: dict[str, ActionItem] = {}
    for raw in sentences:
        sentence = " ".join(raw.split())
        if not sentence or len(sentence) > MAX_SENTENCE_CHARS:
            continue
        sentence = _LABEL.sub("", sentence)  # "E-mail Category: Alert", "Note: please send..."
        question = sentence.endswith("?")
        polite = "please" in sentence.lower()
        for clause in _CLAUSE.split(sentence):
            item = _match(clause.strip(), reference, question=question, polite=polite)
            if item is not None and item.text.lower() not in found:
                found[item.text.lower()] = item
        if len(found) >= MAX_ACTIONS:
            break
    return list(found.values())[:MAX_ACTIONS]


def _match(sentence: str, reference: date | None, *, question: bool, polite: bool) -> ActionItem | None:
    for pattern, kind, needs_question in (
        (_REQUEST, "request", False),
        (_WE_REQUEST, "request", True),
        (_PLEASE_FIRST, "request", False),
        (_PLEASE_MIDDLE, "request", False),
        (_LETS, "commitment", False),
        (_COMMIT, "commitment", False),
        (_NEED, "request", False),
        (_IMPERATIVE, "request", False),
        (_PLEASE_LAST, "request", False),
    ):
        match = pattern.match(sentence)
        if match is None:
            continue
        if needs_question and not question:
            continue
        body = next((group for group in match.groups() if group), "")
        if pattern is _REQUEST and not (question or polite):
            continue  # "Would you believe it." is not a request; a request ends with "?" or says please
        body = _BE_WILLING.sub("", body.strip())
        if pattern is _NEED:
            body = "Need " + body
        if pattern is _COMMIT and re.match(r"^be\s+\w+ing\b", body, re.IGNORECASE):
            body = body.split(None, 1)[1]  # "I'll be sending" -> "sending"
        if not body or _BOILERPLATE.match(body) or _NEGATED.match(body):
            return None
        if pattern is _IMPERATIVE and _COPULA.search(body):
            return None  # "Draft rate card for PSN is in the drive": a noun, not an order
        return _item(body, kind, reference)
    return None


def _item(body: str, kind: str, reference: date | None) -> ActionItem | None:
    due: str | None = None
    hint: str | None = None
    match = _DUE.search(body)
    if match is not None:
        hint = " ".join(match.group(0).split())
        when = match.group("when") or match.group("bare") or ""
        due = resolve_due(when, reference=reference)
        body = (body[: match.start()] + body[match.end() :]).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(body.split()))
    text = re.sub(r"^(?:to|please)\s+", "", text, flags=re.IGNORECASE).strip(" ,;:-–—")
    text = re.sub(r"[,;:\s]+(?:please|thanks|thank you)$", "", text, flags=re.IGNORECASE).strip(" ,;:-–—.?!")
    if len(text) < 3 or not any(ch.isalpha() for ch in text):
        return None
    text = text[:1].upper() + text[1:]
    if len(text) > MAX_ACTION_CHARS:
        text = text[: MAX_ACTION_CHARS - 1].rstrip() + "…"
    return ActionItem(text=text, kind=kind, due=due, hint=hint)


def resolve_due(when: str, *, reference: date | None) -> str | None:
    """The ISO date a due hint means, relative to the message date; ``None`` when it cannot be resolved.

    Weekdays mean the next such day after the message ("by Friday" on a Friday is a week
    later); "next week" is the Friday of the following week; "end of the month" its last
    day; dates without a year fall in the message's year, or the next one when they would
    lie more than a month before the message.
    """
    text = " ".join(when.lower().replace(".", " ").split())
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        return _date_or_none(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    if reference is None:
        return None
    weekday = reference.weekday()
    if text in ("today", "tonight", "eod", "cob", "close of business", "end of day", "end of the day"):
        return reference.isoformat()
    if text == "tomorrow":
        return (reference + timedelta(days=1)).isoformat()
    if text in ("eow", "end of week", "end of the week", "this week"):
        return (reference + timedelta(days=(4 - weekday) % 7)).isoformat()
    if text == "next week":
        return (reference + timedelta(days=7 - weekday + 4)).isoformat()
    if text in ("end of month", "end of the month"):
        last = calendar.monthrange(reference.year, reference.month)[1]
        return reference.replace(day=last).isoformat()
    words = text.split()
    if words and words[-1] in _WEEKDAYS:
        target = _WEEKDAYS[words[-1]]
        if words[0] == "next" and len(words) == 2:
            return (reference + timedelta(days=7 - weekday + target)).isoformat()
        ahead = (target - weekday) % 7
        if ahead == 0 and words[0] != "this":
            ahead = 7
        return (reference + timedelta(days=ahead)).isoformat()
    return _explicit_date(text, reference)


def _explicit_date(text: str, reference: date) -> str | None:
    slash = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", text)
    if slash:
        first, second = int(slash.group(1)), int(slash.group(2))
        month, day = (first, second) if first <= 12 else (second, first)  # US order unless impossible
        year = _year(slash.group(3)) if slash.group(3) else None
        return _with_year(month, day, year, reference)
    day_first = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+),?(?:\s+(\d{4}))?", text)
    month_first = re.fullmatch(r"([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?", text)
    if day_first and day_first.group(2) in _MONTHS:
        year = int(day_first.group(3)) if day_first.group(3) else None
        return _with_year(_MONTHS[day_first.group(2)], int(day_first.group(1)), year, reference)
    if month_first and month_first.group(1) in _MONTHS:
        year = int(month_first.group(3)) if month_first.group(3) else None
        return _with_year(_MONTHS[month_first.group(1)], int(month_first.group(2)), year, reference)
    return None


def _with_year(month: int, day: int, year: int | None, reference: date) -> str | None:
    if year is not None:
        return _date_or_none(year, month, day)
    candidate = _date_or_none(reference.year, month, day)
    if candidate is not None and date.fromisoformat(candidate) < reference - timedelta(days=31):
        return _date_or_none(reference.year + 1, month, day)
    return candidate


def _year(text: str) -> int:
    value = int(text)
    if value < 100:
        return 2000 + value if value < 70 else 1900 + value
    return value


def _date_or_none(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _strip_preposition(hint: str) -> str:
    return re.sub(r"^(?:by|before|until|till|no later than|due(?: on| by)?|on)\s+(?:the\s+)?", "", hint, flags=re.I)
