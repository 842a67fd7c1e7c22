"""The GraphQL schema: queries, mutations and the strawberry Schema with its limits.

Every root field carries a role check (``@RequiresViewer``, ``@RequiresEditor``,
``@RequiresAdmin`` in the SDL). Resolvers run store work in the request's thread
pool, so the event loop never waits on a database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from pydantic import BaseModel, ValidationError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext

from tellgraph.api import permissions
from tellgraph.api.context import Info
from tellgraph.api.limits import CostLimiter, GuardedValidationCache
from tellgraph.api.types import (
    AuditEntry,
    Communication,
    Company,
    CountEntry,
    Event,
    Goal,
    IntroPath,
    InvalidInputError,
    Network,
    Node,
    NotFoundError,
    Person,
    Project,
    Relationship,
    SearchConnection,
    SearchHit,
    Stats,
    Topic,
    page_size,
    to_graphql,
)
from tellgraph.api.types.health import HealthKind, RelationshipHealth
from tellgraph.api.types.inputs import (
    CompanyFilter,
    CompanyOrder,
    PersonFilter,
    PersonOrder,
    SortDirection,
)
from tellgraph.api.types.mutations import (
    ForgetPersonResult,
    ForgetPersonSuccess,
    LogInteractionInput,
    LogInteractionResult,
    LogInteractionSuccess,
    MergePeopleResult,
    MergePeopleSuccess,
    SplitPersonResult,
    SplitPersonSuccess,
    UpdatePersonInput,
    UpdatePersonResult,
    UpdatePersonSuccess,
)
from tellgraph.api.types.pagination import Connection, Edge, PageInfo, decode_offset, offset_connection, offset_cursor
from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.queries import CompanyQuery, CompanySort, PersonQuery, PersonSort
from tellgraph.graph.store import check_path_args
from tellgraph.resolution import merge
from tellgraph.schema.labels import NodeLabel
from tellgraph.services import health as health_service
from tellgraph.services import interactions, intros, people, person_edits
from tellgraph.services import network as network_service
from tellgraph.services import people as people_service
from tellgraph.services import search as search_service
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
MAX_NODES_PER_REQUEST = 100


def validated(model: type[M], **data: Any) -> M:
    """Build a service input, turning pydantic's complaints into :class:`InvalidInput`."""
    try:
        return model(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise InvalidInput(field, first["msg"]) from None


def _descending(direction: SortDirection | None, *, by_name: bool) -> bool:
    if direction is None:
        return not by_name
    return direction is SortDirection.DESC


def _relationships_key(info: Info, person_id: str) -> tuple[str, int] | None:
    """The relationships-loader key a ``person(id:)`` query's ``relationships`` field will ask for.

    That one store call also returns the person and their tie count, so the person need not
    be looked up on its own. None when the field is not selected or its arguments are bad
    (the field's resolver reports those).
    """
    ctx = info.context
    for selection in info.selected_fields[0].selections:
        if getattr(selection, "name", None) != "relationships":
            continue
        arguments = getattr(selection, "arguments", {})
        first, after = arguments.get("first"), arguments.get("after")
        try:
            # Literals arrive as their source text, variables as values.
            size = page_size(int(first) if first is not None else None, cap=ctx.settings.api_max_page)
            offset = decode_offset(after if isinstance(after, str) else None)
        except (InvalidInput, TypeError, ValueError):
            return None
        return (person_id, offset + size + 1)
    return None


@strawberry.type(description="Who is asking.")
class Viewer:
    role: str = strawberry.field(description="viewer, editor or admin.")
    actor: str = strawberry.field(description="How audit entries name this caller.")


@strawberry.type(description="Read the relationship graph.")
class Query:
    @strawberry.field(description="A person by email address or id.", extensions=permissions.viewer())
    async def person(self, info: Info, email: str | None = None, id: strawberry.ID | None = None) -> Person | None:
        ref = email or id
        if not ref:
            raise InvalidInput("person", "give email or id")
        ctx = info.context
        if id and not email and (key := _relationships_key(info, str(id))) is not None:
            page = await ctx.loaders.relationships.load(key)
            if page is not None:
                return Person.from_domain(page.node)
        node = await ctx.run(people.resolve_person, ctx.store, ref=str(ref))
        ctx.loaders.prime_people([node])
        return Person.from_domain(node)

    @strawberry.field(description="People, filtered and ordered.", extensions=permissions.viewer())
    async def people(
        self,
        info: Info,
        filter: PersonFilter | None = None,
        order_by: PersonOrder | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Person]:
        ctx = info.context
        size = page_size(first, cap=ctx.settings.api_max_page, default=20)
        offset = decode_offset(after)
        filter = filter or PersonFilter()
        order = order_by or PersonOrder()
        company_id = None
        if filter.company:
            company = await ctx.run(people.resolve_company, ctx.store, ref=filter.company)
            company_id = company.id
        query = validated(
            PersonQuery,
            ids=[str(i) for i in filter.ids][:1000] if filter.ids is not None else None,
            name_contains=filter.name_contains or None,
            email_domain=filter.email_domain or None,
            company_id=company_id,
            is_team=filter.is_team,
            sort=PersonSort(order.field.value),
            descending=_descending(order.direction, by_name=order.field.value == "name"),
            offset=offset,
            limit=size,
        )
        page = await ctx.run(ctx.store.query_people, query=query)
        ctx.loaders.prime_person_rows(page.rows)
        return offset_connection(
            page.rows, offset=offset, size=size, total=page.total, convert=lambda r: Person.from_domain(r.node)
        )

    @strawberry.field(description="A company by domain or id.", extensions=permissions.viewer())
    async def company(self, info: Info, domain: str | None = None, id: strawberry.ID | None = None) -> Company | None:
        ref = id or domain
        if not ref:
            raise InvalidInput("company", "give domain or id")
        ctx = info.context
        return Company.from_domain(await ctx.run(people.resolve_company, ctx.store, ref=str(ref)))

    @strawberry.field(description="Companies, filtered and ordered.", extensions=permissions.viewer())
    async def companies(
        self,
        info: Info,
        filter: CompanyFilter | None = None,
        order_by: CompanyOrder | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Company]:
        ctx = info.context
        size = page_size(first, cap=ctx.settings.api_max_page, default=20)
        offset = decode_offset(after)
        filter = filter or CompanyFilter()
        order = order_by or CompanyOrder()
        query = validated(
            CompanyQuery,
            name_contains=filter.name_contains or None,
            domain=filter.domain or None,
            sort=CompanySort(order.field.value),
            descending=_descending(order.direction, by_name=order.field.value == "name"),
            offset=offset,
            limit=size,
        )
        page = await ctx.run(ctx.store.query_companies, query=query)
        ctx.loaders.prime_company_rows(page.rows)
        return offset_connection(
            page.rows, offset=offset, size=size, total=page.total, convert=lambda r: Company.from_domain(r.node)
        )

    @strawberry.field(
        description="The relationship between two people (emails or ids).", extensions=permissions.viewer()
    )
    async def relationship(self, info: Info, a: str, b: str) -> Relationship | None:
        ctx = info.context
        found = await ctx.run(people.relationship, ctx.store, a=a, b=b)
        return Relationship.from_domain(found.edge, other=found.b, person=found.a)

    @strawberry.field(
        description=(
            "Who can introduce the team to someone: best paths first. `to` is a person (email or id) or a "
            "company (domain or id), whose current people are then all targets. Stale and negative ties count "
            "for less; paths through the same people are collapsed."
        ),
        extensions=permissions.viewer(),
    )
    async def warm_intro_paths(
        self,
        info: Info,
        from_: Annotated[list[str], strawberry.argument(name="from")],
        to: str,
        max_hops: int | None = 3,
        first: int | None = 5,
        min_strength: float | None = 0.0,
    ) -> list[IntroPath]:
        ctx = info.context
        max_hops = 3 if max_hops is None else max_hops
        first = 5 if first is None else first
        check_path_args(max_hops=max_hops, k=first)
        # One trip to the thread pool: the lookups and the search run back to back in it.
        plan = await ctx.run(
            intros.find_intro_paths,
            ctx.store,
            sources=from_,
            target=to,
            max_hops=max_hops,
            first=first,
            policy=ctx.shared.intro_policy,
            min_strength=min_strength or 0.0,
            as_of=lambda: ctx.shared.newest.get(ctx.store),
        )
        return [IntroPath.from_domain(p, plan.nodes) for p in plan.paths]

    @strawberry.field(
        description="Find people, companies, projects, topics and communications by words or meaning.",
        extensions=permissions.viewer(),
    )
    async def search(
        self, info: Info, query: str, first: int | None = 10, after: str | None = None
    ) -> SearchConnection:
        ctx = info.context
        size = page_size(first, cap=ctx.settings.api_max_page)
        offset = decode_offset(after)
        labels = await ctx.run(ctx.shared.embeddings.labels, ctx.store)
        embedder = ctx.shared.ready_embedder() if labels else None
        results = await ctx.run(
            search_service.search,
            ctx.store,
            query=query,
            first=size,
            offset=offset,
            embedder=embedder,
            semantic_labels=labels,
        )
        edges = [
            Edge(cursor=offset_cursor(offset + i + 1), node=SearchHit.from_domain(hit))
            for i, hit in enumerate(results.hits)
        ]
        return SearchConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=offset + len(edges) < results.total,
                has_previous_page=offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=results.total,
            semantic=results.semantic,
        )

    @strawberry.field(
        description="A person's neighbourhood for drawing: people and the ties among them, bounded in size.",
        extensions=permissions.viewer(),
    )
    async def network(
        self,
        info: Info,
        center: str,
        depth: int | None = 2,
        limit: int | None = 50,
        min_strength: float | None = 0.0,
    ) -> Network:
        ctx = info.context
        cap = ctx.settings.api_network_max_nodes
        limit = 50 if limit is None else limit
        if limit > cap:
            raise InvalidInput("limit", f"at most {cap} people")
        graph = await ctx.run(
            network_service.network,
            ctx.store,
            center=center,
            depth=2 if depth is None else depth,
            limit=limit,
            min_strength=min_strength or 0.0,
        )
        return Network.from_domain(graph)

    @strawberry.field(
        description=(
            "The ties of some people (a team, or one person) that are due, at risk or cooling, most urgent first; "
            "ties among those people themselves are left out."
        ),
        extensions=permissions.viewer(),
    )
    async def relationship_health(
        self,
        info: Info,
        people: Annotated[list[str], strawberry.argument(description="Emails or ids.")],
        kinds: list[HealthKind] | None = None,
        due_within_days: int | None = 7,
        min_strength: float | None = 0.0,
        first: int | None = 20,
    ) -> list[RelationshipHealth]:
        ctx = info.context
        size = page_size(first, cap=ctx.settings.api_max_page, default=20)
        if not people or len(people) > people_service.MAX_TEAM:
            raise InvalidInput("people", f"give between 1 and {people_service.MAX_TEAM} people")
        found = await ctx.run(people_service.resolve_people, ctx.store, refs=people)
        items = await ctx.run(
            health_service.relationship_health,
            ctx.store,
            people=found,
            kinds=[k.to_domain() for k in kinds] if kinds else None,
            due_within_days=7 if due_within_days is None else due_within_days,
            min_strength=min_strength or 0.0,
            limit=size,
        )
        return [RelationshipHealth.from_domain(i) for i in items]

    @strawberry.field(description="Anything with an id (Relay).", extensions=permissions.viewer())
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        found = await info.context.loaders.node.load(str(id))
        return to_graphql(found) if found else None

    @strawberry.field(
        description="Several objects by id, in order; null where none exists.", extensions=permissions.viewer()
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES_PER_REQUEST:
            raise InvalidInput("ids", f"at most {MAX_NODES_PER_REQUEST}")
        found = await info.context.loaders.node.load_many([str(i) for i in ids])
        return [to_graphql(n) if n else None for n in found]

    @strawberry.field(description="How many nodes and edges the graph holds.", extensions=permissions.viewer())
    async def stats(self, info: Info) -> Stats:
        ctx = info.context
        counts = await ctx.run(ctx.store.counts)
        return Stats(
            nodes=[CountEntry(name=k, count=v) for k, v in counts.nodes.items()],
            edges=[CountEntry(name=k, count=v) for k, v in counts.edges.items()],
        )

    @strawberry.field(description="The caller's role.", extensions=permissions.viewer())
    def viewer(self, info: Info) -> Viewer:
        return Viewer(role=info.context.role, actor=info.context.actor)


async def _user_errors(call: Callable[[], Any], info: Info) -> tuple[Any, InvalidInputError | NotFoundError | None]:
    """Run a service in the pool; expected failures become union members instead of errors."""
    try:
        return await info.context.run(call), None
    except InvalidInput as exc:
        return None, InvalidInputError.from_domain(exc)
    except NotFound as exc:
        return None, NotFoundError.from_domain(exc)


@strawberry.type(description="Change the graph (editors; erasure needs an admin).")
class Mutation:
    @strawberry.mutation(
        description="Log a call, meeting or message by hand. Idempotent: the same interaction is stored once.",
        extensions=permissions.editor(),
    )
    async def log_interaction(self, info: Info, input: LogInteractionInput) -> LogInteractionResult:
        ctx = info.context
        try:
            spec = validated(
                interactions.InteractionSpec,
                channel=input.channel.value,
                timestamp=input.timestamp,
                subject=input.subject,
                text=input.text,
                external_id=input.external_id,
                participants=[
                    validated(
                        interactions.ParticipantSpec,
                        email=p.email,
                        person_id=str(p.person_id) if p.person_id else None,
                        name=p.name,
                        role=p.role.value,
                    )
                    for p in input.participants
                ],
            )
        except InvalidInput as exc:
            return InvalidInputError.from_domain(exc)
        result, error = await _user_errors(
            lambda: interactions.log_interaction(ctx.store, spec=spec, settings=ctx.settings, actor=ctx.actor), info
        )
        if error is not None:
            return error
        return LogInteractionSuccess(
            communication=Communication.from_domain(result.communication),
            created=result.created,
            relationships_updated=result.relationships_updated,
        )

    @strawberry.mutation(description="Correct or complete a person; audited.", extensions=permissions.editor())
    async def update_person(self, info: Info, id: strawberry.ID, input: UpdatePersonInput) -> UpdatePersonResult:
        ctx = info.context
        try:
            update = validated(
                person_edits.PersonUpdate,
                name=input.name,
                title=input.title,
                add_emails=list(input.add_emails),
                phones=list(input.phones) if input.phones is not None else None,
                linkedin_url=input.linkedin_url,
                is_team=input.is_team,
                company_domain=input.company_domain,
                company_name=input.company_name,
            )
        except InvalidInput as exc:
            return InvalidInputError.from_domain(exc)
        result, error = await _user_errors(
            lambda: person_edits.update_person(ctx.store, ref=str(id), update=update, actor=ctx.actor), info
        )
        if error is not None:
            return error
        node, entry = result
        return UpdatePersonSuccess(person=Person.from_domain(node), audit_entry=AuditEntry.from_domain(entry))

    @strawberry.mutation(
        description="Merge `mergeId` into `keepId` (the same person seen twice); reversible with splitPerson.",
        extensions=permissions.editor(),
    )
    async def merge_people(
        self,
        info: Info,
        keep_id: strawberry.ID,
        merge_id: strawberry.ID,
        evidence: Annotated[
            list[str] | None, strawberry.argument(description="Why they are the same person, as short sentences.")
        ] = None,
    ) -> MergePeopleResult:
        ctx = info.context
        if str(keep_id) == str(merge_id):
            return InvalidInputError(
                message="Invalid mergeId: must differ from keepId", code="INVALID_INPUT", field="mergeId"
            )
        entry, error = await _user_errors(
            lambda: merge.merge_people(
                ctx.store, keep_id=str(keep_id), merge_id=str(merge_id), actor=ctx.actor, evidence=list(evidence or [])
            ),
            info,
        )
        if error is not None:
            return error
        kept = await ctx.run(ctx.store.get_nodes, label=NodeLabel.PERSON, ids=[str(keep_id)])
        return MergePeopleSuccess(
            person=Person.from_domain(kept[0]) if kept else None, audit_entry=AuditEntry.from_domain(entry)
        )

    @strawberry.mutation(description="Undo a merge, given its audit entry.", extensions=permissions.editor())
    async def split_person(self, info: Info, audit_id: strawberry.ID) -> SplitPersonResult:
        ctx = info.context
        entry, error = await _user_errors(
            lambda: merge.split_person(ctx.store, audit_id=str(audit_id), actor=ctx.actor), info
        )
        if error is not None:
            return error
        return SplitPersonSuccess(audit_entry=AuditEntry.from_domain(entry))

    @strawberry.mutation(
        description=(
            "Erase a person's personal data: name, addresses, phones, handles, identities, and the subjects and "
            "previews of their 1:1 communications; wherever other text still names them (group messages, events, "
            "drafts, goals, audit details) their name and addresses become [erased]. Ties keep their anonymous "
            "counts. Audited without the data."
        ),
        extensions=permissions.admin(),
    )
    async def forget_person(self, info: Info, id: strawberry.ID) -> ForgetPersonResult:
        ctx = info.context
        result, error = await _user_errors(
            lambda: person_edits.forget_person(
                ctx.store, ref=str(id), actor=ctx.actor, cipher=person_edits.body_cipher(ctx.settings)
            ),
            info,
        )
        if error is not None:
            return error
        report, entry = result
        return ForgetPersonSuccess(
            person_id=strawberry.ID(entry.subject_ids[0]),
            identities_removed=report.identities_removed,
            communications_redacted=report.communications_redacted,
            audit_entry=AuditEntry.from_domain(entry),
        )


class TellgraphSchema(strawberry.Schema):
    """The schema; errors are formatted (codes, masking) by the HTTP layer, so here they are only traced."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            # The kind and place only: messages quote the request's arguments (emails, names, search text).
            cause = type(error.original_error).__name__ if error.original_error is not None else "GraphQLError"
            logger.debug("graphql error at %s: %s", error.path or "request", cause)


# Node types reachable only through the Node interface or the search union.
EXTRA_TYPES = [Person, Company, Communication, Project, Topic, Event, Goal, AuditEntry]


def build_schema(*, settings: Settings | None = None) -> TellgraphSchema:
    """The schema with depth, size, alias, cost and (optionally) introspection limits."""
    settings = settings or Settings()
    # Stateless limiters are shared, so the validation cache sees the same rules on every request.
    depth = QueryDepthLimiter(max_depth=settings.api_max_depth)
    aliases = MaxAliasesLimiter(max_alias_count=settings.api_max_aliases)
    tokens = MaxTokensLimiter(max_token_count=settings.api_max_tokens)
    shared: list[SchemaExtension] = [depth, aliases, tokens]
    if not settings.api_introspection:
        shared.append(DisableIntrospection())
    max_cost = settings.api_max_cost
    extensions: list[Any] = [
        *(lambda ext=ext: ext for ext in shared),
        lambda: ParserCache(maxsize=512),
        # Refuses documents whose fragments expand past a bound before any rule walks them.
        lambda: GuardedValidationCache(maxsize=512),
        # Per request: it remembers the cost it reports.
        lambda: CostLimiter(max_cost=max_cost),
    ]
    # Goals and agents live in their own module; their fields join the root types here.
    from strawberry.tools import merge_types

    from tellgraph.api.goal_schema import GoalMutation, GoalQuery

    root_query = merge_types("Query", (Query, GoalQuery))
    root_mutation = merge_types("Mutation", (Mutation, GoalMutation))
    return TellgraphSchema(query=root_query, mutation=root_mutation, types=EXTRA_TYPES, extensions=extensions)
