"""Create, read and list goals: a ``Goal`` node with ``TARGETS``, ``OWNS`` and ``MEMBER_OF`` edges.

Targets are given as references (a company domain, id or name; a person's email
or id; a project name or id) or suggested from the description by matching the
names of companies, projects and people in the graph: exactly, by acronym,
fuzzily (rapidfuzz) and, when an embedder is given, semantically
(all-MiniLM-L6-v2). A target that is not in the graph yet is created as a stub:
knowing nobody there is exactly the gap a goal map should show.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from rapidfuzz import fuzz

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.goals.embedding import Embedder, cosine
from tellgraph.goals.models import (
    GoalInput,
    GoalRecord,
    GoalTarget,
    PersonRef,
    TargetOrigin,
    TargetSuggestion,
)
from tellgraph.goals.text import acronym, contains_phrase, fold, words
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import (
    Company,
    Edge,
    Entity,
    Goal,
    Identity,
    Node,
    Person,
    Project,
    company_id_for,
    identity_key,
    person_id_for,
    stable_id,
)
from tellgraph.services import audit
from tellgraph.services.people import resolve_person

logger = logging.getLogger(__name__)

SUGGEST_APPLY_SCORE = 0.85
"""Suggestions at or above this score become targets when the input asks for suggestions."""
SUGGEST_MIN_SCORE = 0.55
SEMANTIC_MIN = 0.55
FUZZY_MIN = 90.0
SCAN_LIMIT = 20_000
"""At most this many companies, projects and people are scanned for suggestions."""
_PAGE = 1000


def goal_id_for(name: str) -> str:
    """The id of the goal with that name: creating the same goal twice updates it."""
    return stable_id("g", fold(name))


def project_id_for(name: str) -> str:
    """The id of a project created from its name."""
    return stable_id("proj", fold(name))


def parse_deadline(value: str | date | datetime | None) -> datetime | None:
    """A deadline: a date means the end of that day in UTC; naive datetimes are UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("deadline", f"{value!r} is not an ISO date") from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(23, 59, 59), tzinfo=UTC)


# -- reading --------------------------------------------------------------------------------


def _goal_node(store: GraphStore, goal_id: str) -> Node:
    nodes = store.get_nodes(label=NodeLabel.GOAL, ids=[goal_id])
    if not nodes:
        raise NotFound("goal", goal_id)
    return nodes[0]


def get_goal(store: GraphStore, *, goal_id: str) -> GoalRecord:
    """A goal with its targets, owner and team.

    Raises:
        NotFound: no goal has that id.
    """
    node = _goal_node(store, goal_id)
    goal = Goal.from_props(node.id, node.props)
    targets: list[GoalTarget] = []
    owner: PersonRef | None = None
    team: list[PersonRef] = []
    for neighbour in store.neighbours(
        label=NodeLabel.GOAL,
        node_id=goal_id,
        rel_types=[RelType.TARGETS, RelType.OWNS, RelType.MEMBER_OF],
        limit=1000,
    ):
        edge, other = neighbour.edge, neighbour.node
        if edge.type is RelType.TARGETS and edge.src_id == goal_id:
            props = edge.props
            targets.append(
                GoalTarget(
                    id=other.id,
                    label=other.label,
                    name=other.name,
                    origin=TargetOrigin(props.get("origin", TargetOrigin.GIVEN.value)),
                    ref=props.get("ref"),
                    domain=props.get("domain"),
                    score=props.get("score"),
                    reason=props.get("reason"),
                )
            )
        elif edge.type is RelType.OWNS and other.label is NodeLabel.PERSON:
            owner = PersonRef.from_node(other)
        elif edge.type is RelType.MEMBER_OF and other.label is NodeLabel.PERSON:
            team.append(PersonRef.from_node(other))
    order = {NodeLabel.COMPANY: 0, NodeLabel.PERSON: 1, NodeLabel.PROJECT: 2}
    targets.sort(key=lambda t: (order.get(t.label, 3), t.origin != TargetOrigin.GIVEN, t.name or "", t.id))
    team.sort(key=lambda p: (p.id != (owner.id if owner else None), p.label, p.id))
    return GoalRecord(goal=goal, targets=targets, owner=owner, team=team)


def list_goals(store: GraphStore, *, after: str | None = None, limit: int = 20) -> list[Goal]:
    """Goals ordered by id, after ``after`` (keyset paging)."""
    return [Goal.from_props(n.id, n.props) for n in store.list_nodes(label=NodeLabel.GOAL, after=after, limit=limit)]


# -- resolving references ---------------------------------------------------------------------


def _looks_like_domain(ref: str) -> bool:
    return "." in ref and " " not in ref and "@" not in ref


def resolve_company(store: GraphStore, *, ref: str) -> tuple[Node | None, Company | None, str | None, str]:
    """The company a reference means: (existing node, stub to create, domain, how it was found).

    A domain is looked up as a company domain, then through the people with an
    address at that domain and the company they work at; a name exactly, then
    case- and accent-insensitively. Anything else becomes a stub company.
    """
    ref = ref.strip()
    if not ref:
        raise InvalidInput("companies", "empty company reference")
    found = store.get_nodes(label=NodeLabel.COMPANY, ids=[ref])
    if found:
        return found[0], None, found[0].props.get("domain"), "by id"
    if _looks_like_domain(ref):
        domain = ref.lower().removeprefix("www.")
        by_domain = store.find_nodes(label=NodeLabel.COMPANY, prop="domain", value=domain, limit=1)
        if by_domain:
            return by_domain[0], None, domain, f"company domain {domain}"
        employers: Counter[str] = Counter()
        nodes: dict[str, Node] = {}
        for person in store.people_at_domain(domain=domain, limit=200):
            for tie in store.neighbours(
                label=NodeLabel.PERSON, node_id=person.id, rel_types=[RelType.WORKS_AT], limit=10
            ):
                employers[tie.node.id] += 1
                nodes[tie.node.id] = tie.node
        if employers:
            best = sorted(employers.items(), key=lambda item: (-item[1], item[0]))[0][0]
            reason = f"{employers[best]} people with @{domain} addresses work at {nodes[best].name or best}"
            return nodes[best], None, domain, reason
        stub = Company(id=company_id_for(domain), name=domain, domain=domain, sources=["goal"])
        return None, stub, domain, f"no company with domain {domain} yet: created"
    exact = store.find_nodes(label=NodeLabel.COMPANY, prop="name", value=ref, limit=1)
    if exact:
        return exact[0], None, exact[0].props.get("domain"), "by name"
    wanted = fold(ref)
    for node in _scan(store, NodeLabel.COMPANY):
        if node.name and fold(node.name) == wanted:
            return node, None, node.props.get("domain"), "by name (case-insensitive)"
    stub = Company(id=company_id_for(ref), name=ref, sources=["goal"])
    return None, stub, None, f"no company named {ref!r} yet: created"


def resolve_target_person(store: GraphStore, *, ref: str) -> tuple[Node | None, list[Entity], list[Edge], str]:
    """A person by email or id (or exact name); an unknown email becomes a stub person with its identity."""
    ref = ref.strip()
    try:
        return resolve_person(store, ref=ref), [], [], "by email or id"
    except NotFound:
        pass
    if "@" in ref:
        key = identity_key("email", ref)
        person_id = person_id_for(key)
        email = ref.lower()
        entities: list[Entity] = [
            Person(id=person_id, name=email, emails=[email], sources=["goal"]),
            Identity(id=key, kind="email", value=email),
        ]
        edges = [
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id=key,
                dst_label=NodeLabel.PERSON,
                dst_id=person_id,
                provenance=["goal"],
            )
        ]
        return None, entities, edges, f"nobody with {email} yet: created"
    by_name = store.find_nodes(label=NodeLabel.PERSON, prop="name", value=ref, limit=2)
    if len(by_name) == 1:
        return by_name[0], [], [], "by name"
    raise NotFound("person", ref)


def resolve_project(store: GraphStore, *, ref: str) -> tuple[Node | None, Project | None, str]:
    """A project by id or name (case-insensitively); else a stub project."""
    ref = ref.strip()
    if not ref:
        raise InvalidInput("projects", "empty project reference")
    found = store.get_nodes(label=NodeLabel.PROJECT, ids=[ref]) or store.find_nodes(
        label=NodeLabel.PROJECT, prop="name", value=ref, limit=1
    )
    if found:
        return found[0], None, "by id or name"
    wanted = fold(ref)
    for node in _scan(store, NodeLabel.PROJECT):
        names = [node.name or "", *(node.props.get("aliases") or [])]
        if any(fold(n) == wanted for n in names if n):
            return node, None, "by name (case-insensitive)"
    return None, Project(id=project_id_for(ref), name=ref, sources=["goal"]), f"no project named {ref!r} yet: created"


def _scan(store: GraphStore, label: NodeLabel, *, limit: int = SCAN_LIMIT) -> list[Node]:
    """Up to ``limit`` nodes of a label, paged by id."""
    nodes: list[Node] = []
    after: str | None = None
    while len(nodes) < limit:
        page = store.list_nodes(label=label, after=after, limit=min(_PAGE, limit - len(nodes)))
        nodes.extend(page)
        if len(page) < _PAGE:
            break
        after = page[-1].id
    return nodes


# -- suggestions ------------------------------------------------------------------------------


def _team_company_ids(store: GraphStore, team_ids: Sequence[str]) -> set[str]:
    ids: set[str] = set()
    for person_id in team_ids:
        for tie in store.neighbours(label=NodeLabel.PERSON, node_id=person_id, rel_types=[RelType.WORKS_AT], limit=10):
            ids.add(tie.node.id)
    return ids


def suggest_targets(
    store: GraphStore,
    *,
    text: str,
    embedder: Embedder | None = None,
    exclude_ids: Sequence[str] = (),
    limit: int = 10,
) -> list[TargetSuggestion]:
    """Companies, projects and people the text seems to be about, best first.

    Methods, strongest first: the full name (or an alias) appears in the text
    (score 1.0); the text uses the name's acronym ("AFC"; 0.85); a fuzzy partial
    match of at least 90 (0.6-0.8); semantic similarity of the text and the name
    with its description (the cosine, from 0.55). People are suggested only by
    their full name (two words or more): single names are too ambiguous.
    """
    folded = fold(text)
    if not folded:
        return []
    upper_tokens = {w for w in text.replace("(", " ").replace(")", " ").split() if w.isupper() and 2 <= len(w) <= 6}
    excluded = set(exclude_ids)
    best: dict[str, TargetSuggestion] = {}

    def offer(node: Node, score: float, method: str, matched: str, reason: str) -> None:
        current = best.get(node.id)
        if score >= SUGGEST_MIN_SCORE and (current is None or score > current.score):
            best[node.id] = TargetSuggestion(
                id=node.id,
                label=node.label,
                name=node.name or node.id,
                score=round(score, 4),
                method=method,
                matched=matched,
                reason=reason,
            )

    semantic_pool: list[Node] = []
    for label in (NodeLabel.COMPANY, NodeLabel.PROJECT):
        for node in _scan(store, label):
            if node.id in excluded or not node.name or ("." in node.name and " " not in node.name):
                continue
            names = [node.name, *(node.props.get("aliases") or [])]
            for name in names:
                if len(name) >= 3 and contains_phrase(folded, name):
                    offer(node, 1.0, "exact", name, f"the description names {name!r}")
            initials = acronym(node.name)
            if len(initials) >= 2 and initials in upper_tokens:
                offer(node, 0.85, "acronym", initials, f"{initials!r} in the description is {node.name}'s acronym")
            if len(node.name) >= 5:
                ratio = fuzz.partial_ratio(fold(node.name), folded)
                if ratio >= FUZZY_MIN:
                    offer(
                        node,
                        0.6 + 0.2 * (ratio - FUZZY_MIN) / (100 - FUZZY_MIN),
                        "fuzzy",
                        node.name,
                        f"the description nearly names {node.name!r} (similarity {ratio:.0f})",
                    )
            semantic_pool.append(node)
    text_words = set(words(text))
    for node in _scan(store, NodeLabel.PERSON):
        name = node.name or ""
        parts = name.split()
        if node.id in excluded or len(parts) < 2 or "@" in name or not text_words.issuperset(words(name)):
            continue
        if contains_phrase(folded, name):
            offer(node, 0.95, "exact", name, f"the description names {name}")
    if embedder is not None and semantic_pool:
        texts = [f"{n.name}. {n.props.get('description') or ''}".strip() for n in semantic_pool[:2000]]
        vectors = embedder.encode([text, *texts])
        for node, vector in zip(semantic_pool, vectors[1:], strict=False):
            similarity = cosine(vectors[0], vector)
            if similarity >= SEMANTIC_MIN:
                offer(
                    node,
                    similarity,
                    "semantic",
                    node.name or node.id,
                    f"the description is about {node.name} (semantic similarity {similarity:.2f})",
                )
    ranked = sorted(best.values(), key=lambda s: (-s.score, s.name, s.id))
    return ranked[:limit]


# -- creating ---------------------------------------------------------------------------------


def create_goal(
    store: GraphStore,
    *,
    goal: GoalInput,
    now: datetime,
    embedder: Embedder | None = None,
    goal_id: str | None = None,
    actor: str | None = None,
) -> GoalRecord:
    """Create (or update, by name) a goal with its targets, owner and team.

    Args:
        store: the graph.
        goal: the goal's name, description, target references, deadline, owner and team.
        now: when the goal is created (edges' ``created_at``).
        embedder: enables semantic target suggestions and stores the goal's embedding.
        goal_id: an explicit id; by default derived from the name.
        actor: who asked (the API's caller); when given, the change is audited (counts, no text).

    Raises:
        InvalidInput: a blank reference or more targets than allowed.
        NotFound: the owner or a team member is not in the graph.
    """
    owner = resolve_person(store, ref=goal.owner) if goal.owner else None
    team = [resolve_person(store, ref=ref) for ref in goal.team]
    team_ids = list(dict.fromkeys(([owner.id] if owner else []) + [p.id for p in team]))
    gid = goal_id or goal_id_for(goal.name)
    entities: list[Entity] = []
    edges: list[Edge] = []
    targets: list[GoalTarget] = []

    def target(node_id: str, label: NodeLabel, name: str | None, origin: TargetOrigin, **props: object) -> None:
        if any(t.id == node_id for t in targets):
            return
        created = bool(props.pop("created", False))
        clean = {k: v for k, v in props.items() if v is not None}
        targets.append(GoalTarget(id=node_id, label=label, name=name, origin=origin, created=created, **clean))  # type: ignore[arg-type]
        edges.append(
            Edge(
                type=RelType.TARGETS,
                src_label=NodeLabel.GOAL,
                src_id=gid,
                dst_label=label,
                dst_id=node_id,
                props={"origin": origin.value, **clean},  # type: ignore[dict-item]
                provenance=["goal"],
            )
        )

    for ref in goal.companies:
        node, stub, domain, how = resolve_company(store, ref=ref)
        if stub is not None:
            entities.append(stub)
        chosen_id = node.id if node else stub.id  # type: ignore[union-attr]
        chosen_name = node.name if node else stub.name  # type: ignore[union-attr]
        target(
            chosen_id,
            NodeLabel.COMPANY,
            chosen_name,
            TargetOrigin.GIVEN,
            ref=ref,
            domain=domain,
            reason=how,
            created=stub is not None,
        )
    for ref in goal.people:
        person, new_entities, new_edges, how = resolve_target_person(store, ref=ref)
        entities += new_entities
        edges += new_edges
        pid = person.id if person else new_entities[0].id
        name = person.name if person else ref.strip().lower()
        target(pid, NodeLabel.PERSON, name, TargetOrigin.GIVEN, ref=ref, reason=how, created=person is None)
    for ref in goal.projects:
        project, stub_project, how = resolve_project(store, ref=ref)
        if stub_project is not None:
            entities.append(stub_project)
        pid = project.id if project else stub_project.id  # type: ignore[union-attr]
        pname = project.name if project else stub_project.name  # type: ignore[union-attr]
        target(pid, NodeLabel.PROJECT, pname, TargetOrigin.GIVEN, ref=ref, reason=how, created=project is None)

    suggestions: list[TargetSuggestion] = []
    text = " ".join(filter(None, [goal.name, goal.description]))
    if goal.suggest or not targets:
        exclude = [*team_ids, *(t.id for t in targets), *_team_company_ids(store, team_ids)]
        suggestions = suggest_targets(store, text=text, embedder=embedder, exclude_ids=exclude)
        for suggestion in suggestions:
            if suggestion.score >= SUGGEST_APPLY_SCORE:
                suggestion.applied = True
                target(
                    suggestion.id,
                    suggestion.label,
                    suggestion.name,
                    TargetOrigin.SUGGESTED,
                    score=suggestion.score,
                    reason=suggestion.reason,
                )

    embedding = embedder.encode([text])[0] if embedder is not None else None
    goal_entity = Goal(
        id=gid,
        name=goal.name,
        description=goal.description,
        deadline=parse_deadline(goal.deadline),
        owner_id=owner.id if owner else None,
        embedding=embedding,
    )
    for person_id in team_ids:
        rel = RelType.OWNS if owner is not None and person_id == owner.id else RelType.MEMBER_OF
        edges.append(
            Edge(
                type=rel,
                src_label=NodeLabel.PERSON,
                src_id=person_id,
                dst_label=NodeLabel.GOAL,
                dst_id=gid,
                props={"since": now},
                provenance=["goal"],
            )
        )
        if rel is RelType.OWNS:
            # The owner is on the team too, so "the team" is always MEMBER_OF.
            edges.append(
                Edge(
                    type=RelType.MEMBER_OF,
                    src_label=NodeLabel.PERSON,
                    src_id=person_id,
                    dst_label=NodeLabel.GOAL,
                    dst_id=gid,
                    props={"since": now},
                    provenance=["goal"],
                )
            )
    store.write_batch(entities=[goal_entity, *entities], edges=edges, now=now)
    if actor is not None:
        audit.record(
            store,
            entry=audit.audit_entry(
                action="create_goal",
                actor=actor,
                subject_ids=[gid],
                details={"targets": len(targets), "team": len(team_ids), "created": len(entities)},
                now=now,
            ),
        )
    store.flush()
    record = get_goal(store, goal_id=gid)
    created = {t.id for t in targets if t.created}
    for t in record.targets:
        t.created = t.id in created
    record.suggestions = suggestions
    logger.info("goal %s: %d targets, team of %d", gid, len(record.targets), len(record.team_ids))
    return record
