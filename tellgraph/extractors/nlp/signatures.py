"""Signature blocks: find them at the end of a message body and read who wrote it.

A signature is the last block of short lines after the body: a name line, a title
line, a company line, phone numbers, links. It is split off before NLP (it would
only add the sender's own name and company as "mentions") and parsed here into
:class:`Signature`, which the enricher turns into the sender's title, phones and
employer. Everything is regular expressions over at most :data:`MAX_SIGNATURE_LINES`
lines, so it costs next to nothing and works in any language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_SIGNATURE_LINES = 10
"""A last paragraph longer than this is body text, not a signature."""

MAX_LINE_CHARS = 100

# RFC 3676 puts "-- " on a line of its own before the signature; many clients drop the space.
_DELIMITER = re.compile(r"^--\s?$")
_MOBILE_FOOTER = re.compile(
    r"^(?:sent (?:from|via|with) (?:my |the )?[\w .-]{1,40}|get outlook for \w+|sent from aol on iphone)$",
    re.IGNORECASE,
)
_FIELD_SEPARATOR = re.compile(r"\s+[|•·]\s+|\s*\t\s*|\s{3,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>|,;]+|(?<![@\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?:/[^\s<>|,;]*)?",
    re.IGNORECASE,
)
# International and national formats: "+44 20 7946 0101", "+1 (212) 555-0143", "713-345-1778",
# "0044 161 496 0420", optionally with an extension. Validated by digit count below.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().\-/]{5,22}\d(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\w])",
    re.IGNORECASE,
)
_PHONE_LABEL = re.compile(
    r"^(?:tel|telephone|phone|ph|t|m|mob|mobile|cell|c|office|o|direct|d|dir|work|w|main|hq)\.?\s*[:.]?\s*",
    re.IGNORECASE,
)
_FAX = re.compile(r"\bfax\b|^f\s*[:.]", re.IGNORECASE)
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{2,4}$|^\d{1,2}\.\d{1,2}\.\d{2,4}$")
_TITLE_WORDS = re.compile(
    r"\b(?:chief|ceo|cfo|coo|cto|cio|cmo|president|vice[- ]president|s?vp|evp|director|manager|head|lead|"
    r"officer|partner|producer|founder|co-founder|owner|chair(?:man|woman|person)?|principal|associate|"
    r"analyst|engineer|consultant|counsel|attorney|lawyer|advis[eo]r|coordinator|specialist|assistant|"
    r"secretary|editor|trader|scheduler|representative|executive|administrator|architect|developer|"
    r"designer|accountant|controller|treasurer|broker|agent|md|gm|freelance|freelancer|operator|"
    r"strategist|economist|scientist|professor|researcher|intern|supervisor|superintendent|camera op)\b",
    re.IGNORECASE,
)
_NOT_COMPANY_CHARS = re.compile(r"[:<>@_|/\\#=*\[\]{}]|\.(?:doc|xls|pdf|ppt)\b", re.IGNORECASE)
_LEGAL_SUFFIX = re.compile(r"(?:inc|llc|ltd|l\.?p|llp|corp|co|plc|gmbh|s\.?a|ag|pte|pty)\.?", re.IGNORECASE)
_CONNECTORS = frozenset({"of", "and", "&", "the", "de", "du", "la", "van", "von", "for", "und", "y", "e", "-"})
_VALEDICTIONS = frozenset(
    {"thank you", "thanks", "regards", "best regards", "kind regards", "sincerely", "yours sincerely", "cheers", "best"}
)
_FOOTER_WORDS = frozenset(
    {"policy", "copyright", "unsubscribe", "reserved", "confidential", "privileged", "click", "http", "www", "email",
     "e-mail", "phone", "fax", "tel", "mobile", "address", "street", "suite", "floor", "box", "zip", "subscribe"}
)  # fmt: skip
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*\.?$")
_SENTENCE_END = re.compile(r"[.?!:]$")
_ABBREVIATION_END = re.compile(r"\b(?:inc|ltd|corp|co|llc|llp|plc|gmbh|jr|sr|dr|mr|ms|mrs)\.$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Signature:
    """What a signature block says about its author."""

    name: str | None = None
    title: str | None = None
    company: str | None = None
    phones: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    lines: tuple[str, ...] = field(default=(), repr=False)

    @property
    def empty(self) -> bool:
        """True when the block held nothing beyond, at most, a name."""
        return not (self.title or self.company or self.phones or self.urls or self.emails)


def split_signature(text: str) -> tuple[str, str]:
    """Split a (quote-free) body into ``(body, signature block)``; the block is ``""`` when none is found.

    The block is what follows an RFC 3676 ``--`` line near the end, or else the last
    paragraph when it looks like a signature (a few short lines with a phone, a link,
    a job title or a name line). Mobile footers ("Sent from my iPhone") are dropped.
    """
    lines = text.rstrip().split("\n")
    while lines and (not lines[-1].strip() or _MOBILE_FOOTER.match(lines[-1].strip())):
        lines.pop()
    if not lines:
        return "", ""
    for index in range(len(lines) - 1, max(-1, len(lines) - MAX_SIGNATURE_LINES - 2), -1):
        if _DELIMITER.match(lines[index].rstrip()):
            return "\n".join(lines[:index]).rstrip(), "\n".join(lines[index + 1 :]).strip()
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    block = [line.strip() for line in lines[start:]]
    if start > 0 and looks_like_signature(block):
        return "\n".join(lines[:start]).rstrip(), "\n".join(block)
    return "\n".join(lines), ""


def looks_like_signature(block: list[str]) -> bool:
    """Whether a paragraph reads like a signature rather than prose."""
    if not 2 <= len(block) <= MAX_SIGNATURE_LINES or any(len(line) > MAX_LINE_CHARS for line in block):
        return False
    contact = sum(1 for line in block if _phones_in(line) or _EMAIL.search(line) or _URL.search(line))
    sentences = sum(
        1 for line in block if _SENTENCE_END.search(line) and not _ABBREVIATION_END.search(line) and not contact
    )
    if sentences * 2 > len(block):
        return False
    titled = any(_TITLE_WORDS.search(line) and not _SENTENCE_END.search(line) for line in block)
    return bool(contact or titled or is_name_like(block[0]))


def is_name_like(text: str) -> bool:
    """Two to four capitalised words, as a personal name on a line of its own is written."""
    words = text.split()
    if not 2 <= len(words) <= 4 or len(text) > 60:
        return False
    return all(_NAME_WORD.match(word) and word[0].isupper() for word in words)


def parse_signature(block: str, *, sender_name: str | None = None) -> Signature | None:
    """Read name, title, company, phones, links and addresses from a signature block.

    Args:
        block: the lines :func:`split_signature` returned.
        sender_name: the sender's display name, preferred as the name line when present.

    Returns:
        The signature, or ``None`` when the block holds nothing usable.
    """
    # Lines are capped too: a "--" block can be anything, and the link pattern is not linear on junk.
    lines = [line.strip()[: MAX_LINE_CHARS * 2] for line in block.split("\n") if line.strip()][:MAX_SIGNATURE_LINES]
    if not lines:
        return None
    phones: list[str] = []
    urls: list[str] = []
    emails: list[str] = []
    texts: list[str] = []
    for line in lines:
        for part in _FIELD_SEPARATOR.split(line):
            _classify(part.strip(), phones=phones, urls=urls, emails=emails, texts=texts)
    name = _pick_name(texts, sender_name)
    title: str | None = None
    company: str | None = None
    for text in texts:
        if text == name:
            continue
        if title is None and _TITLE_WORDS.search(text) and _title_like(text):
            title, company_part = _split_title(text)
            company = company or company_part
        elif company is None and _company_like(text):
            company = text
    first_names = {_fold(n).split()[0] for n in (name, sender_name) if n and n.split()}
    if company is not None and ((name is None and title is None) or _fold(company) in first_names):
        # A company line needs a personal signature around it (a newsletter footer has none),
        # and "Nancy" under "Nancy Sellers" is a sign-off, not a firm.
        company = None
    signature = Signature(
        name=name,
        title=title,
        company=company,
        phones=tuple(dict.fromkeys(phones)),
        urls=tuple(dict.fromkeys(urls)),
        emails=tuple(dict.fromkeys(emails)),
        lines=tuple(lines),
    )
    return None if signature.empty and signature.name is None else signature


def has_title_word(text: str) -> bool:
    """Whether ``text`` holds a job-title word ("Head", "Director", "VP", "Partner"...)."""
    return _TITLE_WORDS.search(text) is not None


def names_match(a: str, b: str) -> bool:
    """Whether two display names plausibly name one person: equal, or same last name and first initial."""
    left, right = _fold(a).split(), _fold(b).split()
    if not left or not right:
        return False
    if left == right:
        return True
    return left[-1] == right[-1] and left[0][:1] == right[0][:1]


def _classify(part: str, *, phones: list[str], urls: list[str], emails: list[str], texts: list[str]) -> None:
    if not part:
        return
    found_emails = _EMAIL.findall(part)
    emails.extend(email.lower() for email in found_emails)
    rest = _EMAIL.sub(" ", part)
    if _FAX.search(rest):
        return  # a fax number is not a way to reach anyone today
    numbers = _phones_in(rest)
    if numbers:
        phones.extend(numbers)
        return
    found_urls = [url.rstrip(".") for url in _URL.findall(rest)]
    if found_urls:
        urls.extend(found_urls)
        rest = _URL.sub(" ", rest)
    rest = " ".join(rest.split()).strip(" ,;|-")
    if rest and any(ch.isalpha() for ch in rest) and not found_emails and not found_urls:
        texts.append(rest)


def _phones_in(text: str) -> list[str]:
    stripped = _PHONE_LABEL.sub("", text.strip())
    found = []
    for match in _PHONE.finditer(stripped):
        candidate = " ".join(match.group(0).split())
        digits = sum(ch.isdigit() for ch in candidate)
        if not 7 <= digits <= 15 or _DATE_LIKE.match(candidate):
            continue
        found.append(candidate)
    # A line that is mostly prose with a number in it is not a phone line.
    letters = sum(ch.isalpha() for ch in _PHONE.sub("", stripped))
    return found if found and letters <= 12 else []


def _pick_name(texts: list[str], sender_name: str | None) -> str | None:
    candidates = [text for text in texts if is_name_like(text) and not _TITLE_WORDS.search(text)]
    if sender_name:
        for candidate in candidates:
            if names_match(candidate, sender_name):
                return candidate
    return candidates[0] if candidates else None


def _split_title(text: str) -> tuple[str, str | None]:
    """``"Head of Partnerships, Northlight Productions"`` → title and company."""
    for separator in (" at ", " @ "):
        if separator in text:
            title, _, company = text.rpartition(separator)
            if _company_like(company.strip()):
                return title.strip(" ,"), company.strip()
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > 1 and not _TITLE_WORDS.search(parts[-1]) and _company_like(parts[-1]):
        return ", ".join(parts[:-1]), parts[-1]
    return text, None


def _title_like(text: str) -> bool:
    return len(text.split()) <= 10 and not _NOT_COMPANY_CHARS.search(text)


def _company_like(text: str) -> bool:
    """A company name is a few capitalised words: not a sentence, a form label, a sign-off or a footer."""
    words = text.split()
    if not words or len(words) > 6 or len(text) > 60 or _NOT_COMPANY_CHARS.search(text):
        return False
    if _SENTENCE_END.search(text) and not _ABBREVIATION_END.search(text):
        return False
    head, _, suffix = text.rpartition(",")
    if head and not _LEGAL_SUFFIX.fullmatch(suffix.strip()):
        return False  # "Kenneth A. Donohoo, PE", "City, State and Zip Code"
    folded = _fold(text)
    if folded in _VALEDICTIONS or any(word in _FOOTER_WORDS for word in folded.split()):
        return False
    if sum(ch.isdigit() for ch in text) * 3 > len(text):
        return False
    return all(word[:1].isupper() or word[:1].isdigit() or word.lower() in _CONNECTORS for word in words)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())
