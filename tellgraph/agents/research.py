"""Research: read news feeds and announcement pages, flag trigger events, brief on new contacts.

Feeds (RSS or Atom) are parsed with ``feedparser``; announcement pages (HTML) are
split into headline + text items. Each item is matched against the names of
companies and people in the graph (whole words, case- and accent-insensitive), and
classified as a trigger event by keywords: a funding round, a leadership change,
an expansion, a job change. Matches become :class:`~tellgraph.schema.actions.Signal`
nodes with ``CONCERNS`` edges to what they are about; ids come from the item's
link (or title) and kind, so reading a feed again adds nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser

from pydantic import BaseModel, Field

from tellgraph.agents.base import AgentConfig, AgentReport, iso_week, propose, team_members
from tellgraph.agents.context import first_email, works_at
from tellgraph.agents.drafting import DraftContext, Drafter, TemplateDrafter, first_name
from tellgraph.goals.models import PersonRef
from tellgraph.goals.text import fold, short_date, words
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, Signal, SignalKind, SuggestedAction, action_id
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Node, stable_id
from tellgraph.services.people import explain_path, resolve_person
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

AGENT = "research"
MAX_NGRAM = 5
SCAN_LIMIT = 100_000
Fetch = Callable[[str], bytes]

TRIGGERS: tuple[tuple[SignalKind, re.Pattern[str]], ...] = (
    (
        SignalKind.FUNDING,
        re.compile(
            r"\b(rais(e|es|ed|ing)\b.{0,40}\b(million|billion|round|funding|capital)|funding round|series [a-f]\b|"
            r"seed round|secures? .{0,30}(funding|investment)|investment from|backed by|valuation)",
            re.I,
        ),
    ),
    (
        SignalKind.LEADERSHIP_CHANGE,
        re.compile(
            r"\b(appoint(s|ed|ment)?|names? .{0,60}\bas (new )?(ceo|chief|president|managing director|director|head)|"
            r"new (ceo|chief \w+ officer|president|managing director|commercial director|director|head of)|"
            r"steps? down|stepping down|resign(s|ed|ation)|succeed(s|ed)? .{0,40} as|promoted to)\b",
            re.I,
        ),
    ),
    (
        SignalKind.EXPANSION,
        re.compile(
            r"\b(expand(s|ed|ing)?|expansion|opens? (a |an |its )?(new )?(office|hub|studio|headquarters)|"
            r"launch(es|ed)? in|enters? (the )?[\w ]{0,20}market|new markets?|acquir(es|ed)|acquisition of|"
            r"partnership with)\b",
            re.I,
        ),
    ),
    (
        SignalKind.JOB_CHANGE,
        re.compile(r"\b(joins?|joined|has joined|moves? to|hired as|new role|takes? over as|appointed)\b", re.I),
    ),
)


class FeedItem(BaseModel):
    """One news item from a feed or page."""

    title: str
    summary: str = ""
    link: str | None = None
    published: datetime | None = None
    source: str


class _PageParser(HTMLParser):
    """Headlines (h1-h3, or article titles) with the paragraphs that follow them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, list[str], str | None]] = []
        self._tag: str | None = None
        self._text: list[str] = []
        self._link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"h1", "h2", "h3", "p", "li"}:
            self._tag, self._text = tag, []
        if tag == "a" and self._tag in {"h1", "h2", "h3"}:
            self._link = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag != self._tag:
            return
        text = " ".join("".join(self._text).split())
        if text:
            if tag in {"h1", "h2", "h3"}:
                self.items.append((text, [], self._link))
                self._link = None
            elif self.items:
                self.items[-1][1].append(text)
        self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._text.append(data)


def parse_feed(content: bytes, *, source: str) -> list[FeedItem]:
    """Items of an RSS or Atom document."""
    import feedparser  # type: ignore[import-untyped]

    parsed = feedparser.parse(content)
    items = []
    for entry in parsed.entries:
        title = " ".join(str(entry.get("title") or "").split())
        if not title:
            continue
        summary = re.sub(r"<[^>]+>", " ", str(entry.get("summary") or entry.get("description") or ""))
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime(*stamp[:6]).replace(tzinfo=UTC) if stamp else None
        items.append(
            FeedItem(
                title=title[:300],
                summary=" ".join(summary.split())[:2000],
                link=entry.get("link") or entry.get("id"),
                published=published,
                source=source,
            )
        )
    return items


def parse_page(content: bytes, *, source: str) -> list[FeedItem]:
    """Items of an announcement page: each headline with the text under it."""
    parser = _PageParser()
    parser.feed(content.decode("utf-8", errors="replace"))
    items = []
    for index, (headline, paragraphs, link) in enumerate(parser.items):
        if len(headline) < 10:
            continue
        items.append(
            FeedItem(
                title=headline[:300],
                summary=" ".join(paragraphs)[:2000],
                link=link or f"{source}#item-{index}",
                source=source,
            )
        )
    return items


def http_fetch(timeout: float) -> Fetch:
    """A fetcher over httpx with a timeout and a size cap."""
    import httpx

    def fetch(url: str) -> bytes:
        with httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": "tellgraph-research"}) as c:
            response = c.get(url)
            response.raise_for_status()
            return response.content[:5_000_000]

    return fetch


class NameIndex:
    """Folded names of companies and people → their nodes, matched by word n-grams."""

    def __init__(self, store: GraphStore, *, limit: int = SCAN_LIMIT) -> None:
        self.names: dict[str, list[Node]] = {}
        for label in (NodeLabel.COMPANY, NodeLabel.PERSON):
            after: str | None = None
            seen = 0
            while seen < limit:
                page = store.list_nodes(label=label, after=after, limit=1000)
                for node in page:
                    self._add(node)
                seen += len(page)
                if len(page) < 1000:
                    break
                after = page[-1].id

    def _add(self, node: Node) -> None:
        names = [node.name or "", *(node.props.get("aliases") or [])]
        for name in names:
            if not name or "@" in name or ("." in name and " " not in name):
                continue
            key = " ".join(words(name))
            # People need two words; companies three characters: single first names match everything.
            if (node.label is NodeLabel.PERSON and len(key.split()) < 2) or len(key) < 3:
                continue
            bucket = self.names.setdefault(key, [])
            if all(n.id != node.id for n in bucket):
                bucket.append(node)

    def match(self, text: str) -> list[tuple[str, Node]]:
        """Every (name, node) whose name appears in ``text`` on word boundaries."""
        tokens = words(text)
        found: dict[str, tuple[str, Node]] = {}
        for size in range(MAX_NGRAM, 0, -1):
            for start in range(len(tokens) - size + 1):
                key = " ".join(tokens[start : start + size])
                for node in self.names.get(key, []):
                    found.setdefault(node.id, (key, node))
        return sorted(found.values(), key=lambda item: item[1].id)


def classify(item: FeedItem, *, person_matched: bool) -> list[tuple[SignalKind, list[str]]]:
    """The trigger kinds of an item, with the words that made each."""
    text = f"{item.title}. {item.summary}"
    kinds = []
    for kind, pattern in TRIGGERS:
        if kind is SignalKind.JOB_CHANGE and not person_matched:
            continue
        hits = sorted({m.group(0).lower() for m in pattern.finditer(text)})
        if hits:
            kinds.append((kind, hits[:5]))
    return kinds


class ResearchResult(BaseModel):
    """Signals found in one run."""

    items: int = 0
    signals: list[Signal] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)


def ingest_sources(
    store: GraphStore,
    *,
    feeds: Sequence[str] = (),
    pages: Sequence[str] = (),
    now: datetime,
    fetch: Fetch | None = None,
    index: NameIndex | None = None,
) -> ResearchResult:
    """Read feeds and pages, store matched trigger events as signals with ``CONCERNS`` edges."""
    fetch = fetch or http_fetch(15.0)
    result = ResearchResult()
    items: list[FeedItem] = []
    for url, parser in [*((u, parse_feed) for u in feeds), *((u, parse_page) for u in pages)]:
        try:
            items += parser(fetch(url), source=url)
        except Exception as exc:  # one bad source must not stop the others
            result.errors.append(f"{url}: {type(exc).__name__}: {exc}"[:300])
    result.items = len(items)
    if not items:
        return result
    index = index or NameIndex(store)
    signals: dict[str, Signal] = {}
    edges: list[Edge] = []
    for item in items:
        matches = index.match(f"{item.title}. {item.summary}")
        if not matches:
            continue
        people = [n for _, n in matches if n.label is NodeLabel.PERSON]
        title_words = set(words(item.title))
        for kind, hits in classify(item, person_matched=bool(people)):
            concerned = matches
            in_title = any(set(name.split()) <= title_words for name, _ in concerned)
            keyword_in_title = any(h in fold(item.title) for h in hits)
            signal = Signal(
                id=stable_id("signal", item.link or item.title, kind.value),
                kind=kind,
                title=item.title,
                summary=item.summary[:2000] or None,
                url=item.link,
                source=item.source,
                published_at=item.published,
                detected_at=now,
                confidence=round(min(1.0, 0.5 + 0.2 * in_title + 0.2 * keyword_in_title), 2),
                matched=sorted({(n.name or name) for name, n in concerned}),
                keywords=hits,
            )
            signals[signal.id] = signal
            edges += [
                Edge(
                    type=RelType.CONCERNS,
                    src_label=NodeLabel.SIGNAL,
                    src_id=signal.id,
                    dst_label=n.label,
                    dst_id=n.id,
                    props={"matched": name},
                    provenance=[item.source],
                )
                for name, n in concerned
            ]
    if signals:
        store.write_batch(entities=list(signals.values()), edges=edges, now=now)
        store.flush()
    result.signals = sorted(signals.values(), key=lambda s: s.id)
    return result


# -- research brief -------------------------------------------------------------------------


class ResearchBrief(BaseModel):
    """What to know before meeting someone new."""

    person: PersonRef
    company: str | None
    signals: list[str]
    paths: list[str]
    mutual: list[str]
    recent: list[str]
    goals: list[str]

    def text(self) -> str:
        """The brief as plain text."""
        head = (
            self.person.label
            + (f", {self.person.title}" if self.person.title else "")
            + (f" at {self.company}" if self.company else "")
        )
        lines = [f"Research brief: {head}", ""]
        sections = (
            ("News", self.signals),
            ("How we are connected", self.paths),
            ("Mutual connections", self.mutual),
            ("Recent communications", self.recent),
            ("Goals they matter for", self.goals),
        )
        for name, values in sections:
            lines.append(f"{name}:")
            lines += [f"- {v}" for v in values] or ["- nothing found"]
        return "\n".join(lines)


def research_brief(store: GraphStore, *, person: str, now: datetime, team_ids: Sequence[str]) -> ResearchBrief:
    """A pre-meeting brief on a (new) contact: company, news, warm paths, mutual connections, goals.

    Raises:
        NotFound: the person is unknown.
    """
    node = resolve_person(store, ref=person)
    company, title = works_at(store, person_id=node.id)
    signal_nodes: list[Node] = []
    goals = []
    for owner_label, owner_id in [(NodeLabel.PERSON, node.id), *([(NodeLabel.COMPANY, company.id)] if company else [])]:
        for neighbour in store.neighbours(
            label=owner_label, node_id=owner_id, rel_types=[RelType.CONCERNS, RelType.TARGETS], limit=200
        ):
            if neighbour.node.label is NodeLabel.SIGNAL:
                signal_nodes.append(neighbour.node)
            elif neighbour.node.label is NodeLabel.GOAL:
                goals.append(neighbour.node.name or neighbour.node.id)
    signal_nodes.sort(
        key=lambda s: (s.props.get("published_at") or s.props.get("detected_at") or now, s.id), reverse=True
    )
    signals = [
        f"{s.props.get('kind')}: {s.props.get('title')} ({short_date(s.props.get('published_at'))})"
        for s in signal_nodes[:5]
    ]
    team = [t for t in team_ids if t != node.id]
    paths = (
        store.k_best_paths(sources=team, targets=[node.id], max_hops=3, k=3, min_strength=0.05, with_nodes=True)
        if team
        else []
    )
    names = {n.id: n for p in paths for n in p.nodes}
    theirs = {
        n.node.id: n.node
        for n in store.neighbours(label=NodeLabel.PERSON, node_id=node.id, rel_types=[RelType.KNOWS], limit=2000)
    }
    mutual: set[str] = set()
    for member in team:
        for n in store.neighbours(label=NodeLabel.PERSON, node_id=member, rel_types=[RelType.KNOWS], limit=2000):
            if n.node.id in theirs and n.node.id not in team_ids:
                mutual.add(n.node.name or n.node.id)
    recent_ids = [i.id for i in store.find_interactions(person_ids=[node.id], limit=5) if i.timestamp <= now]
    recent = [
        f"{short_date(c.props.get('timestamp'))}: {c.props.get('subject') or '(no subject)'}"
        for c in store.get_nodes(label=NodeLabel.COMMUNICATION, ids=recent_ids)
    ]
    return ResearchBrief(
        person=PersonRef.from_node(node, title=title),
        company=company.name if company else None,
        signals=signals,
        paths=[explain_path(p, names) for p in paths],
        mutual=sorted(mutual)[:10],
        recent=recent,
        goals=sorted(goals),
    )


def _goal_target_ids(store: GraphStore) -> set[str]:
    ids: set[str] = set()
    for goal in store.list_nodes(label=NodeLabel.GOAL, limit=500):
        for n in store.neighbours(label=NodeLabel.GOAL, node_id=goal.id, rel_types=[RelType.TARGETS], limit=500):
            ids.add(n.node.id)
    return ids


def run(
    store: GraphStore,
    *,
    now: datetime,
    settings: Settings,
    config: AgentConfig,
    drafter: Drafter | None = None,
    fetch: Fetch | None = None,
) -> AgentReport:
    """Read the configured sources; for signals about people the team knows, propose a congratulation."""
    report = AgentReport(agent=AGENT)
    if not config.feeds and not config.pages:
        report.notes.append("no feeds or pages configured")
        return report
    result = ingest_sources(
        store, feeds=config.feeds, pages=config.pages, now=now, fetch=fetch or http_fetch(config.fetch_timeout)
    )
    report.errors += result.errors
    report.signals = [s.id for s in result.signals]
    report.notes.append(f"{result.items} items read, {len(result.signals)} trigger events matched")
    drafter = drafter or TemplateDrafter()
    team = team_members(store, settings=settings)
    team_ids = {p.id for p in team}
    targets = _goal_target_ids(store)
    period = iso_week(now)
    actions = []
    for signal in result.signals:
        concerned = [
            n.node
            for n in store.neighbours(label=NodeLabel.SIGNAL, node_id=signal.id, rel_types=[RelType.CONCERNS], limit=50)
        ]
        for node in concerned:
            if node.label is not NodeLabel.PERSON or node.id in team_ids:
                continue
            ties = [
                n
                for n in store.neighbours(
                    label=NodeLabel.PERSON, node_id=node.id, rel_types=[RelType.KNOWS], limit=2000
                )
                if n.node.id in team_ids
            ]
            if not ties and node.id not in targets:
                continue
            email = first_email(node)
            member = ties[0].node if ties else None
            draft = drafter.draft(
                DraftContext(
                    kind="congratulate",
                    sender_name=member.name if member else None,
                    recipient_name=node.name,
                    recipient_first_name=first_name(node.name),
                    reason=signal.title,
                )
            )
            actions.append(
                SuggestedAction(
                    id=action_id(AGENT, "congratulate", f"{node.id}:{signal.id}", period),
                    kind="congratulate",
                    agent=AGENT,
                    channel=ActionChannel.EMAIL if email else ActionChannel.INTERNAL,
                    period=period,
                    title=f"Congratulate {node.name or node.id}: {signal.title}"[:300],
                    target_ids=[node.id, signal.id],
                    actor_id=member.id if member else None,
                    recipients=[email] if email else [],
                    subject=draft.subject,
                    draft=draft.body,
                    reasons=[
                        f"{signal.kind.value.replace('_', ' ')}: {signal.title}",
                        *(
                            [
                                f"{member.name} knows them (strength "
                                f"{float(ties[0].edge.props.get('strength') or 0):.2f})"
                            ]
                            if member
                            else []
                        ),
                        *(["a goal target"] if node.id in targets else []),
                    ],
                    evidence=[signal.url or signal.source],
                    priority=round(0.4 + 0.3 * signal.confidence, 4),
                )
            )
    propose(store, actions=actions, now=now, report=report)
    return report


def brief_action(store: GraphStore, *, person: str, now: datetime, team_ids: Sequence[str]) -> SuggestedAction:
    """Store a research brief as an internal action (one per person per day) and return it."""
    brief = research_brief(store, person=person, now=now, team_ids=team_ids)
    action = SuggestedAction(
        id=action_id(AGENT, "research_brief", brief.person.id, now.date().isoformat()),
        kind="research_brief",
        agent=AGENT,
        channel=ActionChannel.INTERNAL,
        period=now.date().isoformat(),
        title=f"Research brief: {brief.person.label}",
        target_ids=[brief.person.id],
        draft=brief.text(),
        reasons=["before meeting a new contact"],
        priority=0.4,
    )
    report = AgentReport(agent=AGENT)
    propose(store, actions=[action], now=now, report=report)
    return action
