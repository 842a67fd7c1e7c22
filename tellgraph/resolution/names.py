"""Person-name normalisation, parsing and variants, for entity resolution.

Everything here is pure string work (no I/O, no models) so that it is cheap enough
to run on every person in a 100k-person store.

The pipeline for one raw name is :func:`clean_display_name` (strip mail-system
decoration such as Enron's ``Jeff Skilling/HOU/ECT@ECT`` or
``Davis, Pete </O=ENRON/...>``), then :func:`fold` (confusables, accents, case),
then :func:`parse_name`, which splits ``"Skilling, Jeff"``, ``"Jeffrey K. Skilling"``
or ``"Bowen Jr., Raymond"`` into first, middle and last names. A name that is
really an e-mail address is recognised as one and its local part is read as a
name (``jeff.skilling`` → ``jeff skilling``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

# --- character folding ---------------------------------------------------------------------------

# Letters from other scripts that look like Latin ones. Mixed-script spoofing
# ("Jеff" with a Cyrillic е) must not create a second person, and Unicode's own
# confusables data is not in the standard library, so the common cases are listed.
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ɡ": "g", "ү": "y", "ց": "g",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԛ": "Q", "Ԝ": "W",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "α": "a", "β": "b", "ε": "e", "ι": "i",
    "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    # Armenian and Latin lookalikes
    "օ": "o", "ս": "u", "հ": "h", "ɑ": "a", "ı": "i", "ʏ": "y", "ɩ": "i",
    # Latin letters that NFKD does not decompose
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th",
    "Þ": "Th", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss", "ħ": "h", "ŧ": "t",
}  # fmt: skip
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)

_QUOTES = "\"'`´‘’‚‛“”„‟′″‹›«»"
_QUOTE_TABLE = str.maketrans("", "", _QUOTES)


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Case-, accent- and lookalike-insensitive form of ``text`` (whitespace collapsed).

    ``"Jеff Škilling"`` (with a Cyrillic ``е``) and ``"ＪＥＦＦ SKILLING"`` both give
    ``"jeff skilling"``. Invisible format characters (zero-width joiners, soft
    hyphens, byte-order marks) are removed.
    """
    # Map lookalikes first (precomposed ones such as "ё"), then again after NFKD
    # has split off accents (a Cyrillic "й" becomes "и" + breve).
    text = text.translate(_CONFUSABLE_TABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")
    return " ".join(kept.translate(_CONFUSABLE_TABLE).casefold().split())


# --- e-mail addresses ------------------------------------------------------------------------------

MAX_INPUT = 1000
"""Characters of a name or header entry looked at: real ones are far shorter, and the cap
keeps every regular expression here fast on hostile input."""

_EMAIL = re.compile(r"^[a-z0-9!#$%&*+/=?^_{|}~.'-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$")
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9!#$%&*+/=?^_{|}~.'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Lotus Notes / Exchange tunnelled addresses: IMCEANOTES-jdoe+40acme+2Ecom@ENRON.com
_IMCEA = re.compile(r"IMCEA(?:NOTES|EX)-([^\s<>@]+)@", re.IGNORECASE)
_IMCEA_ESCAPE = re.compile(r"\+([0-9A-Fa-f]{2})")
# A trailing Notes domain without a dot ("@ENRON", "@ECT", " @ ENRON"), which follows
# an address ("jeff.skilling@enron.com@ENRON") or a name ("Announcements@ENRON").
_NOTES_DOMAIN = re.compile(r"\s*@\s*[A-Za-z][A-Za-z &-]*$")


def is_email(text: str) -> bool:
    """Whether ``text`` (trimmed, any case) is a plain e-mail address."""
    candidate = text.strip().strip("<>").strip().lower()
    return len(candidate) <= 320 and bool(_EMAIL.fullmatch(candidate))


def email_parts(email: str) -> tuple[str, str]:
    """``(local part, domain)`` of an address, lower-cased; a ``+tag`` is dropped from the local part."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0] if not local.startswith("+") else local
    return local, domain


def extract_email(text: str) -> str | None:
    """The address a display string holds, if any, with mail-system wrapping removed.

    Handles ``"Jeff <jeff@x.com>"``, ``"jeff.skilling@enron.com@ENRON"`` and Exchange's
    tunnelled ``IMCEANOTES-jdoe+40acme+2Ecom@ENRON.com``.
    """
    text = text[:MAX_INPUT]
    match = _IMCEA.search(text)
    if match:
        decoded = _IMCEA_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), match.group(1))
        decoded = _NOTES_DOMAIN.sub("", decoded)
        if is_email(decoded):
            return decoded.lower()
    stripped = _NOTES_DOMAIN.sub("", text.strip()) if text.count("@") > 1 else text.strip()
    if is_email(stripped):
        return stripped.strip("<>").strip().lower()
    found = _EMAIL_IN_TEXT.search(text)
    if found and is_email(found.group(0).strip(".'")):
        return found.group(0).strip(".'").lower()
    return None


# --- display-name cleaning --------------------------------------------------------------------------

_ANGLE = re.compile(r"<[^<>]*>?")
_PARENS = re.compile(r"\([^()]*\)?|\[[^\[\]]*\]?|\{[^{}]*\}?")
_NOTES_PATH = re.compile(r"^([^/]+?)\s*/\s*[^/]*(?:/[^/]*)*$")
_JUNK = re.compile(r"[^\w\s,.'-]+")
_SPACES = re.compile(r"\s+")


def clean_display_name(text: str) -> str:
    """The human part of a display string, with mail-system decoration removed.

    ``"Davis, Pete </O=ENRON/OU=NA/CN=RECIPIENTS/CN=PDAVIS1>"`` → ``"Davis, Pete"``;
    ``"Jeff Skilling/HOU/ECT@ECT"`` → ``"Jeff Skilling"``;
    ``"'Shane Rutherford (E-mail)' <srutherford@x.com>"`` → ``"Shane Rutherford"``.
    Returns ``""`` when nothing but an address (or nothing at all) is left. Quotes,
    brackets and query-language punctuation are removed, so the result is safe to
    show and to compare.
    """
    if not text:
        return ""
    text = text[:MAX_INPUT].replace("\x00", " ")
    outside = _ANGLE.sub(" ", text)
    if not outside.strip(" \t\"'@") or outside.strip().startswith("/"):
        # Only an address (or an X.400 path) in brackets: the bracket content is all there is.
        inner = text[text.find("<") + 1 :].rstrip(">").strip() if "<" in text else text
        outside = inner if not inner.startswith("/") else ""
    cleaned = _PARENS.sub(" ", outside).translate(_QUOTE_TABLE).strip()
    cleaned = _NOTES_DOMAIN.sub("", cleaned) if "@" in cleaned else cleaned
    if is_email(cleaned) or extract_email(cleaned) == cleaned.lower():
        return ""
    notes = _NOTES_PATH.match(cleaned) if "/" in cleaned else None
    if notes:
        cleaned = notes.group(1)
    cleaned = _JUNK.sub(" ", cleaned)
    # Hyphens hugging words ("Kay Chapman-", "- Legal") are separators, not name parts.
    cleaned = " ".join(part.strip("-") for part in _SPACES.split(cleaned) if part.strip("-"))
    return cleaned.strip(" ,")


# --- name parts --------------------------------------------------------------------------------------


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: word lists stay readable as prose."""
    return frozenset(text.split())


TITLES = word_set(
    """mr mrs ms miss mx dr prof professor sir dame rev reverend fr father hon sen senator rep
    gov capt col gen lt sgt maj mme mlle herr frau"""
)
SUFFIXES = word_set("jr jnr sr snr ii iii iv phd md esq cpa mba dds jd cfa pe rn")
# Lower-case words that belong to a surname ("van der Berg", "de la Cruz").
PARTICLES = word_set("van von der den de del della di da du la le st ste dos das do bin ibn al el ter ten")
_GENERATIONAL = frozenset({"jr", "jnr", "sr", "snr", "ii", "iii", "iv"})


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A person name split into folded parts.

    Attributes:
        raw: the input text.
        first: the given name (``""`` when unknown, e.g. for a single word).
        middle: middle names or initials.
        last: the family name with particles and hyphens joined (``"vanderberg"``).
        last_parts: the family name's words without particles (``("smith", "jones")``).
        suffix: a generational suffix (``"jr"``, ``"iii"``) or ``""``.
        tokens: every name word in reading order (first, middle..., last words).
        email: the address the input was (or held), if any.
        from_email: the name parts were read from an address's local part.
        comma: the input used ``"Last, First"`` order, so first and last are certain.
        compact: an unsegmented local part (``"jskilling"``) when that is all there is.
    """

    # Two spellings that parse alike are equal (and share cache entries downstream).
    raw: str = field(compare=False)
    first: str = ""
    middle: tuple[str, ...] = ()
    last: str = ""
    last_parts: tuple[str, ...] = ()
    suffix: str = ""
    tokens: tuple[str, ...] = ()
    email: str | None = None
    from_email: bool = False
    comma: bool = False
    compact: str = ""

    @property
    def is_empty(self) -> bool:
        """Nothing usable as a name."""
        return not self.tokens and not self.compact

    @property
    def has_full_name(self) -> bool:
        """Both a first and a last name are known."""
        return bool(self.first and self.last)

    @property
    def key(self) -> str:
        """``"first last"`` (folded); the exact-match key of a full name."""
        return f"{self.first} {self.last}".strip() if self.has_full_name else " ".join(self.tokens)

    @property
    def full(self) -> str:
        """Every name word joined, folded."""
        return " ".join(self.tokens)


def _words(text: str) -> list[str]:
    """Folded words of a cleaned name: apostrophes joined (O'Brien → obrien), dots and digits dropped."""
    folded = fold(text)
    folded = folded.replace("'", "").replace("’", "")
    words = []
    for raw_word in re.split(r"[\s._]+", folded):
        word = "".join(ch for ch in raw_word if ch.isalpha() or ch == "-").strip("-")
        if word:
            words.append(word)
    return words


def _strip_affixes(words: list[str]) -> tuple[list[str], str]:
    """Drop leading titles and trailing suffixes; returns the words and the generational suffix."""
    suffix = ""
    while len(words) > 1 and words[0].rstrip(".") in TITLES:
        words = words[1:]
    while len(words) > 1 and words[-1] in SUFFIXES:
        if words[-1] in _GENERATIONAL and not suffix:
            suffix = _normal_suffix(words[-1])
        words = words[:-1]
    return words, suffix


def _normal_suffix(word: str) -> str:
    return {"jnr": "jr", "snr": "sr"}.get(word, word)


def _surname(words: list[str]) -> tuple[str, tuple[str, ...]]:
    """Joined surname and its core parts: particles and hyphens are joined, ``van der Berg`` → ``vanderberg``."""
    parts: list[str] = []
    core: list[str] = []
    for word in words:
        for piece in word.split("-"):
            if not piece:
                continue
            parts.append(piece)
            if piece not in PARTICLES:
                core.append(piece)
    if not core and parts:
        core = parts[-1:]
    return "".join(parts), tuple(core)


def _given(words: list[str]) -> tuple[str, tuple[str, ...]]:
    """First name and middle names; a hyphenated first name keeps its first part first (Jean-Luc → jean, luc)."""
    pieces = [piece for word in words for piece in word.split("-") if piece]
    if not pieces:
        return "", ()
    return pieces[0], tuple(pieces[1:])


def _split_surname_start(words: list[str]) -> int:
    """Index where the surname begins in ``First [Middle] [particles] Last`` order."""
    start = len(words) - 1
    while start > 1 and words[start - 1] in PARTICLES:
        start -= 1
    return start


@lru_cache(maxsize=200_000)
def parse_name(text: str) -> ParsedName:
    """Parse a display name, an Enron header form or an address into name parts.

    Never raises: empty or junk input gives an empty :class:`ParsedName`.

    Examples: ``"Skilling, Jeff"`` and ``"Jeff Skilling"`` → first ``jeff``, last
    ``skilling``; ``"Jeffrey K. Skilling"`` → middle ``("k",)``; ``"Williams III, Bill"``
    → suffix ``iii``; ``"jeff.skilling@enron.com@ENRON"`` → an address, name read
    from its local part; ``"jskilling@enron.com"`` → ``compact="jskilling"``.
    """
    raw = text
    if not text or not text.strip():
        return ParsedName(raw=raw)
    text = text[:MAX_INPUT]
    display = clean_display_name(text)
    email = extract_email(text) if not display or "@" in text else None
    if not display:
        return parse_email(email, raw=raw) if email else ParsedName(raw=raw)
    if display.count(",") >= 1:
        parsed = _parse_comma(display, raw=raw)
        if parsed is not None:
            return _with_email(parsed, email)
    words, suffix = _strip_affixes(_words(display.replace(",", " ")))
    return _with_email(_from_words(words, suffix=suffix, raw=raw, comma=False), email)


def _with_email(parsed: ParsedName, email: str | None) -> ParsedName:
    if email is None:
        return parsed
    return ParsedName(
        raw=parsed.raw,
        first=parsed.first,
        middle=parsed.middle,
        last=parsed.last,
        last_parts=parsed.last_parts,
        suffix=parsed.suffix,
        tokens=parsed.tokens,
        email=email,
        comma=parsed.comma,
    )


def _from_words(words: list[str], *, suffix: str, raw: str, comma: bool) -> ParsedName:
    if not words:
        return ParsedName(raw=raw, suffix=suffix)
    if len(words) == 1:
        pieces = tuple(p for p in words[0].split("-") if p)
        if len(pieces) >= 2:
            # "Smith-Jones" alone: a surname, not a first and last name.
            last, core = _surname(words)
            return ParsedName(raw=raw, last=last, last_parts=core, suffix=suffix, tokens=pieces)
        return ParsedName(raw=raw, suffix=suffix, tokens=pieces)
    start = _split_surname_start(words)
    first, middle = _given(words[:start])
    last, core = _surname(words[start:])
    tokens = (first, *middle, *[p for w in words[start:] for p in w.split("-") if p])
    return ParsedName(
        raw=raw, first=first, middle=middle, last=last, last_parts=core, suffix=suffix, tokens=tokens, comma=comma
    )


def _parse_comma(display: str, *, raw: str) -> ParsedName | None:
    """``Last, First Middle`` (with optional ``, Jr.`` parts); ``None`` when the commas mean something else."""
    parts = [p.strip() for p in display.split(",") if p.strip()]
    suffix = ""
    kept: list[list[str]] = []
    for part in parts:
        words = _words(part)
        if words and all(w in SUFFIXES or w.rstrip(".") in TITLES for w in words):
            gen = [w for w in words if w in _GENERATIONAL]
            suffix = suffix or (_normal_suffix(gen[0]) if gen else "")
            continue
        if words:
            kept.append(words)
    if len(kept) == 1:
        words, found = _strip_affixes(kept[0])
        return _from_words(words, suffix=suffix or found, raw=raw, comma=False)
    if len(kept) != 2:
        return None
    surname_words, found = _strip_affixes(kept[0])
    suffix = suffix or found
    given_words, found = _strip_affixes(kept[1])
    suffix = suffix or found
    # Particles written after the given name belong to the surname ("Beethoven, Ludwig van").
    while len(given_words) > 1 and given_words[-1] in PARTICLES:
        surname_words = [given_words.pop(), *surname_words]
    first, middle = _given(given_words)
    last, core = _surname(surname_words)
    if not first or not last:
        return None
    tokens = (first, *middle, *[p for w in surname_words for p in w.split("-") if p])
    return ParsedName(
        raw=raw, first=first, middle=middle, last=last, last_parts=core, suffix=suffix, tokens=tokens, comma=True
    )


_LOCAL_SPLIT = re.compile(r"[._\-]+")
# Local parts (separators removed) that name a role or a shared mailbox, not a person.
ROLE_LOCALS = word_set(
    """info admin administrator support sales help helpdesk noreply donotreply noaddress webmaster postmaster
    office contact team hello mail enquiries inquiries billing accounts marketing news newsletter service
    hr jobs careers press media security abuse root system mailerdaemon announcements notifications alerts
    unsubscribe bounce bounces"""
)


def is_role_address(email: str) -> bool:
    """Whether an address is a role or shared mailbox (``info@``, ``no.address@``, ``mailer-daemon@``).

    Such an address is written by many people, so the names seen with it say nothing
    about who it is.
    """
    local, _domain = email_parts(email)
    return _LOCAL_SPLIT.sub("", local) in ROLE_LOCALS


@lru_cache(maxsize=200_000)
def parse_email(email: str, *, raw: str | None = None) -> ParsedName:
    """The name an address's local part spells: ``jeff.skilling`` → jeff skilling, ``jskilling`` → compact.

    The order of dotted parts is not known (Exchange rewrote external contacts as
    ``last.first@enron.com``), so ``comma`` stays ``False`` and matching tries both orders.
    """
    address = email.strip().lower()
    local, _domain = email_parts(address)
    base = ParsedName(raw=raw if raw is not None else email, email=address, from_email=True)
    if not local or is_role_address(address):
        return base
    words = []
    for piece in _LOCAL_SPLIT.split(fold(local)):
        word = "".join(ch for ch in piece if ch.isalpha())
        if word:
            words.append(word)
    if not words:
        return base
    if len(words) == 1:
        return ParsedName(raw=base.raw, email=address, from_email=True, compact=words[0])
    first, middle = words[0], tuple(words[1:-1])
    last, core = _surname(words[-1:])
    return ParsedName(
        raw=base.raw,
        first=first,
        middle=middle,
        last=last,
        last_parts=core,
        tokens=tuple(words),
        email=address,
        from_email=True,
    )


# --- nicknames ---------------------------------------------------------------------------------------

# Each group is one formal name with its common short forms and spellings. A name may
# sit in several groups ("chris" is Christopher, Christine and Christina), and two first
# names are nickname-compatible when they share a group.
NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("abraham", "abe"), ("abigail", "abby", "abbie"), ("albert", "al", "bert", "albie"),
    ("alan", "al", "allan", "allen"), ("alexander", "alex", "alec", "sandy", "xander", "alexandr"),
    ("alexandra", "alex", "sandra", "sandy", "lexi", "alexa"), ("alfred", "al", "fred", "alf", "freddie"),
    ("allison", "alison", "ali", "allie"), ("andrew", "andy", "drew"), ("angela", "angie"),
    ("anthony", "tony", "antony"), ("antonio", "tony"), ("arthur", "art", "artie"),
    ("barbara", "barb", "barbie", "babs"), ("benjamin", "ben", "benny", "benji", "benjie"),
    ("bernard", "bernie", "bernhard"), ("beverly", "bev", "beverley"), ("bradley", "brad"),
    ("brian", "bryan"), ("catherine", "cathy", "kate", "katie", "cat", "cathryn", "catharine"),
    ("katherine", "kathy", "kate", "katie", "kathryn", "kat", "kathie", "katharine", "kitty"),
    ("kathleen", "kathy", "kate", "kath"), ("charles", "charlie", "chuck", "chas", "chaz", "chip"),
    ("christopher", "chris", "kit", "topher", "cris"), ("kristopher", "kris", "chris"),
    ("christine", "chris", "chrissy", "tina", "christy", "christi"), ("christina", "chris", "tina", "christy"),
    ("cynthia", "cindy", "cyndi"), ("clinton", "clint"), ("daniel", "dan", "danny", "dani"),
    ("danielle", "dani", "danni"), ("david", "dave", "davy", "davey"),
    ("deborah", "debbie", "deb", "debra", "debby", "debi"), ("dennis", "denny"),
    ("donald", "don", "donnie", "donny"), ("dorothy", "dot", "dottie", "dory"), ("douglas", "doug"),
    ("edward", "ed", "eddie", "ted", "ned", "teddy", "eddy"), ("edwin", "ed", "eddie"), ("edmund", "ed", "ned"),
    ("elizabeth", "liz", "beth", "betty", "eliza", "libby", "betsy", "liza", "lizzie", "elisabeth", "bette"),
    ("eugene", "gene"), ("frances", "fran", "francie", "frannie"), ("francis", "frank", "fran"),
    ("franklin", "frank"), ("frederick", "fred", "freddie", "fredrick", "fritz"),
    ("gerald", "gerry", "jerry"), ("geoffrey", "jeff", "geoff"),
    ("jeffrey", "jeff", "jeffery", "jeffry"), ("gregory", "greg", "gregg"),
    ("harold", "hal", "harry"), ("henry", "hank", "harry", "hal"), ("herbert", "herb", "bert"),
    ("jacob", "jake", "jakob"), ("james", "jim", "jimmy", "jamie", "jimmie"), ("janet", "jan"),
    ("jennifer", "jen", "jenny", "jenn", "jenni"), ("jessica", "jess", "jessie"),
    ("john", "jack", "johnny", "jon", "jonny"), ("jonathan", "jon", "jonny", "johnathan", "jonathon"),
    ("joseph", "joe", "joey"), ("joshua", "josh"), ("judith", "judy", "judi"),
    ("kenneth", "ken", "kenny"), ("kimberly", "kim", "kimberley", "kimmy"), ("lawrence", "larry", "laurence"),
    ("leonard", "len", "lenny", "leo"), ("louis", "lou", "louie"), ("lucinda", "cindy", "lucy"),
    ("margaret", "maggie", "peggy", "meg", "marge", "margie", "greta", "peg"),
    ("matthew", "matt", "matty"), ("melissa", "missy", "mel"), ("michael", "mike", "mick", "mickey", "micheal"),
    ("mitchell", "mitch"), ("nathan", "nate"), ("nathaniel", "nate", "nat", "nathan"),
    ("nicholas", "nick", "nicky", "nico", "nicolas"), ("pamela", "pam", "pammy"),
    ("patricia", "pat", "patty", "trish", "tricia", "patti"), ("patrick", "pat", "paddy"),
    ("peter", "pete"), ("philip", "phil", "phillip"), ("randall", "randy", "rand"), ("raymond", "ray"),
    ("rebecca", "becky", "becca", "beck"), ("richard", "rick", "dick", "rich", "ricky", "richie", "rickey"),
    ("robert", "bob", "rob", "bobby", "robbie", "bert", "robby"), ("ronald", "ron", "ronnie", "ronny"),
    ("russell", "russ", "rusty"), ("samuel", "sam", "sammy"), ("samantha", "sam", "sammy"),
    ("sandra", "sandy", "sandi"), ("stanley", "stan"), ("stephen", "steve", "steven", "stevie", "stephan"),
    ("steven", "steve", "stephen", "stevie"), ("stephanie", "steph", "stephany"),
    ("susan", "sue", "susie", "suzy", "suzie"), ("suzanne", "sue", "suzy"),
    ("teresa", "terry", "tess", "theresa", "terri", "tessa"), ("terrence", "terry", "terence"),
    ("theodore", "ted", "teddy", "theo"), ("thomas", "tom", "tommy", "thom"), ("timothy", "tim", "timmy"),
    ("victoria", "vicky", "tori", "vicki", "vickie"), ("vincent", "vince", "vinny"), ("virginia", "ginny", "ginger"),
    ("walter", "walt", "wally"), ("william", "bill", "will", "billy", "willy", "liam", "willie"),
    ("zachary", "zach", "zack", "zak"), ("gwendolyn", "gwen"), ("valerie", "val"),
    ("leslie", "les"), ("lester", "les"), ("wesley", "wes"), ("jacqueline", "jackie", "jacquie"),
    ("jacqueline", "jacky"), ("gabriel", "gabe"), ("gabrielle", "gabby", "gaby"), ("isabel", "izzy", "isabelle"),
    ("michelle", "shelly", "michele", "shelley"), ("rachel", "rach"), ("sarah", "sara", "sally"),
    ("mary", "molly", "polly"), ("ann", "anne", "anna", "annie"),
    ("helen", "nell"), ("eleanor", "ellie", "nell", "elle"), ("evelyn", "evie", "eve"),
    ("frederica", "freda"), ("howard", "howie"), ("jerome", "jerry"), ("joan", "joanie"), ("joanne", "jo"),
    ("kristin", "kris", "kristen", "kirsten"), ("kristina", "kris", "tina"), ("laura", "laurie", "lori"),
    ("linda", "lindy"), ("maxwell", "max"), ("maximilian", "max"), ("norman", "norm"),
    ("oliver", "ollie"), ("phyllis", "phyl"), ("roger", "rodge"), ("roland", "rolly"),
    ("sylvia", "syl"), ("tobias", "toby"), ("virgil", "virg"), ("wilfred", "will", "fred"),
    ("cameron", "cam"), ("curtis", "curt"), ("dominic", "dom"), ("elias", "eli"), ("ezekiel", "zeke"),
    ("gilbert", "gil"), ("ignatius", "iggy"), ("kendall", "ken"), ("kenton", "ken"), ("lucas", "luke"),
    ("montgomery", "monty"), ("nicole", "nikki", "nicky", "niki"), ("ralph", "rafe"),
    ("reginald", "reggie", "reg"), ("sidney", "sid"), ("sydney", "syd"), ("solomon", "sol"),
    ("thaddeus", "tad"), ("vernon", "vern"), ("winston", "win"), ("woodrow", "woody"),
)  # fmt: skip


def _nickname_index() -> dict[str, frozenset[int]]:
    index: dict[str, set[int]] = {}
    for number, group in enumerate(NICKNAME_GROUPS):
        for name in group:
            index.setdefault(name, set()).add(number)
    return {name: frozenset(groups) for name, groups in index.items()}


_NICKNAMES = _nickname_index()


def nickname_groups(first: str) -> frozenset[int]:
    """The nickname groups a folded first name belongs to (empty when it is in none)."""
    return _NICKNAMES.get(first, frozenset())


def canonical_first(first: str) -> str:
    """One representative of a first name's nickname groups (the formal name of its first group).

    Used as a blocking key so that "Bill" and "William" land in one block; names in
    several groups ("chris") map to the first group listed.
    """
    groups = _NICKNAMES.get(first)
    if not groups:
        return first
    return NICKNAME_GROUPS[min(groups)][0]


@lru_cache(maxsize=100_000)
def first_name_relation(a: str, b: str) -> str | None:
    """How two folded first names relate: ``exact``, ``nickname``, ``prefix``, ``typo``, ``initial`` or ``None``.

    ``None`` means they conflict (Clint and Craig). Empty names have no relation.
    """
    if not a or not b:
        return None
    if a == b:
        return "exact"
    if len(a) == 1 or len(b) == 1:
        if a[0] == b[0]:
            return "initial"
        # "E. Fernandez" may be Gene (Eugene) Fernandez, "B. Smith" Bill (William) Smith:
        # the initial of any form of the name counts.
        initial, other = (a, b) if len(a) == 1 else (b, a)
        forms = {name[0] for g in nickname_groups(other) for name in NICKNAME_GROUPS[g]}
        return "initial" if initial in forms else None
    if nickname_groups(a) & nickname_groups(b):
        return "nickname"
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    # Only a real shortening counts: "Dan"/"Daniel" yes, but "Paul"/"Paula" and
    # "Don"/"Donna" are different names that happen to share letters.
    if len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) >= 3:
        return "prefix"
    if min(len(a), len(b)) >= 5 and Levenshtein.distance(a, b, score_cutoff=1) <= 1:
        return "typo"
    return None


def last_name_relation(a: ParsedName, b: ParsedName) -> str | None:
    """How two family names relate: ``exact``, ``particle``, ``compound``, ``typo``, ``truncated`` or ``None``.

    ``particle``: equal once particles are dropped (de Boisblanc / Boisblanc);
    ``compound``: one is a part of a hyphenated or double name (Smith / Smith-Jones);
    ``truncated``: one is a long prefix of the other (Notes cut names at 8 characters);
    ``typo``: one edit apart on a long name.
    """
    if not a.last or not b.last:
        return None
    if a.last == b.last:
        return "exact"
    a_core, b_core = "".join(a.last_parts), "".join(b.last_parts)
    if a_core and a_core == b_core:
        return "particle"
    if len(a.last_parts) != len(b.last_parts) and (set(a.last_parts) & set(b.last_parts)):
        shorter = a.last_parts if len(a.last_parts) < len(b.last_parts) else b.last_parts
        longer = b.last_parts if shorter is a.last_parts else a.last_parts
        if set(shorter) <= set(longer):
            return "compound"
    if min(len(a.last), len(b.last)) >= 5 and Levenshtein.distance(a.last, b.last, score_cutoff=1) <= 1:
        return "typo"
    short, long_ = (a.last, b.last) if len(a.last) <= len(b.last) else (b.last, a.last)
    if len(short) >= 6 and long_.startswith(short):
        return "truncated"
    return None


# --- local parts and keys ------------------------------------------------------------------------------


def local_part_forms(first: str, middle: tuple[str, ...], last: str) -> dict[str, float]:
    """Common corporate address local parts for a name, with how strongly each points at it.

    ``jeff skilling`` → ``jeffskilling``/``jeff.skilling`` (1.0), ``jskilling`` (0.8),
    ``skillingj`` (0.7), ``jeffs`` (0.5), plus the 8-character Lotus Notes cut
    (``jdasovic`` for Jeff Dasovich). Separators are removed before comparing.
    """
    return dict(_local_part_forms(first, middle, last))


@lru_cache(maxsize=100_000)
def _local_part_forms(first: str, middle: tuple[str, ...], last: str) -> tuple[tuple[str, float], ...]:
    if not first or not last:
        return ()
    forms: dict[str, float] = {}

    def add(form: str, weight: float) -> None:
        if len(form) >= 3 and forms.get(form, 0.0) < weight:
            forms[form] = weight

    initial = first[0]
    mid = "".join(m[0] for m in middle)
    add(first + last, 1.0)
    add(last + first, 0.95)
    add(initial + last, 0.8)
    # Lotus Notes / Exchange ids cut initial + surname at 8 or 7 characters (jdasovic, mhaedic).
    add(initial + last[:7], 0.75)
    add(initial + last[:6], 0.75)
    if mid:
        add(first + mid + last, 1.0)
        add(initial + mid + last, 0.82)
        add((initial + mid + last)[:8], 0.75)
    add(last + initial, 0.7)
    add(first + last[0], 0.5)
    add(last, 0.45)
    return tuple(forms.items())


@lru_cache(maxsize=100_000)
def local_part_score(compact: str, name: ParsedName) -> tuple[float, str]:
    """How well an unsegmented local part (``jskilling``) fits a parsed name; ``(0, "")`` when it does not."""
    if not compact or not name.has_full_name:
        return 0.0, ""
    best, how = 0.0, ""
    firsts = {name.first} | {n for g in nickname_groups(name.first) for n in NICKNAME_GROUPS[g]}
    for first in sorted(firsts):
        penalty = 1.0 if first == name.first else 0.95
        for form, weight in _local_part_forms(first, name.middle, name.last):
            if compact == form and weight * penalty > best:
                best, how = weight * penalty, form
    if best == 0.0 and not name.middle and len(compact) >= 6 and compact[0] == name.first[0]:
        # An unknown middle initial: "bsbinion" for Brian Binion, "bckirtley" for Bruce Kirtley.
        rest = compact[2:]
        if rest == name.last or (len(rest) >= 5 and name.last.startswith(rest)):
            best, how = 0.72, compact
    return best, how


@lru_cache(maxsize=100_000)
def soundex(word: str) -> str:
    """American Soundex of a folded word (``dasovich`` → ``D212``); a phonetic blocking key."""
    letters = [ch for ch in word if "a" <= ch <= "z"]
    if not letters:
        return ""
    codes = {
        **dict.fromkeys("bfpv", "1"),
        **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt", "3"),
        "l": "4",
        **dict.fromkeys("mn", "5"),
        "r": "6",
    }
    out = [letters[0].upper()]
    previous = codes.get(letters[0], "")
    for ch in letters[1:]:
        code = codes.get(ch, "")
        if code and code != previous:
            out.append(code)
        if ch not in "hw":
            previous = code
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")


def name_variants(text: str) -> set[str]:
    """Normalised spellings a name is likely to appear under (for blocking, search and tests).

    ``"Skilling, Jeffrey K."`` → ``{"jeffrey skilling", "jeff skilling", "j skilling",
    "skilling jeffrey", "jeffrey k skilling", ...}``.
    """
    parsed = parse_name(text)
    if not parsed.has_full_name:
        return {parsed.full} if parsed.full else set()
    firsts = {parsed.first} | {n for g in nickname_groups(parsed.first) for n in NICKNAME_GROUPS[g]}
    variants = {parsed.full}
    for first in firsts:
        variants.add(f"{first} {parsed.last}")
        variants.add(f"{parsed.last} {first}")
    variants.add(f"{parsed.first[0]} {parsed.last}")
    if parsed.middle:
        variants.add(" ".join((parsed.first, *parsed.middle, parsed.last)))
    return variants
