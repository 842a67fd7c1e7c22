"""Neo4j constraints, indexes and versioned migrations.

Each migration is a list of idempotent statements (``IF NOT EXISTS``). Applied
versions are recorded as ``(:SchemaMigration {version, name, applied_at})`` so
``tellgraph schema apply`` reports what it did and never repeats a data change.
"""

from __future__ import annotations

from dataclasses import dataclass

from tellgraph.schema.labels import NodeLabel

EMBEDDING_DIMENSIONS = 384
"""all-MiniLM-L6-v2 vectors."""

_ID_LABELS = [label for label in NodeLabel if label is not NodeLabel.SCHEMA_MIGRATION]


def _unique_id(label: NodeLabel) -> str:
    name = f"{label.value.lower()}_id_unique"
    return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label.value}) REQUIRE n.id IS UNIQUE"


def _vector_index(label: NodeLabel) -> str:
    name = f"{label.value.lower()}_embedding"
    return (
        f"CREATE VECTOR INDEX {name} IF NOT EXISTS FOR (n:{label.value}) ON n.embedding "
        f"OPTIONS {{indexConfig: {{`vector.dimensions`: {EMBEDDING_DIMENSIONS}, "
        "`vector.similarity_function`: 'cosine'}}"
    )


@dataclass(frozen=True)
class Migration:
    """One versioned step of the schema."""

    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        name="unique identity keys",
        statements=(
            *(_unique_id(label) for label in _ID_LABELS),
            "CREATE CONSTRAINT schema_migration_version IF NOT EXISTS "
            "FOR (n:SchemaMigration) REQUIRE n.version IS UNIQUE",
        ),
    ),
    Migration(
        version=2,
        name="lookup indexes",
        statements=(
            "CREATE INDEX person_name IF NOT EXISTS FOR (n:Person) ON (n.name)",
            "CREATE INDEX company_name IF NOT EXISTS FOR (n:Company) ON (n.name)",
            "CREATE INDEX communication_timestamp IF NOT EXISTS FOR (n:Communication) ON (n.timestamp)",
            "CREATE INDEX communication_thread IF NOT EXISTS FOR (n:Communication) ON (n.thread_key)",
            "CREATE INDEX identity_value IF NOT EXISTS FOR (n:Identity) ON (n.value)",
            "CREATE INDEX knows_strength IF NOT EXISTS FOR ()-[r:KNOWS]-() ON (r.strength)",
            "CREATE INDEX knows_last_interaction IF NOT EXISTS FOR ()-[r:KNOWS]-() ON (r.last_interaction)",
        ),
    ),
    Migration(
        version=3,
        name="full-text and vector indexes",
        statements=(
            "CREATE FULLTEXT INDEX entity_names IF NOT EXISTS "
            "FOR (n:Person|Company|Project|Topic|Event|Goal) ON EACH [n.name, n.aliases, n.title, n.description]",
            "CREATE FULLTEXT INDEX communication_text IF NOT EXISTS "
            "FOR (n:Communication) ON EACH [n.subject, n.preview]",
            *(
                _vector_index(label)
                for label in (
                    NodeLabel.PERSON,
                    NodeLabel.COMPANY,
                    NodeLabel.PROJECT,
                    NodeLabel.TOPIC,
                    NodeLabel.GOAL,
                    NodeLabel.COMMUNICATION,
                )
            ),
        ),
    ),
    Migration(
        version=4,
        name="company domains indexed, not unique",
        # Version 1 made Company.domain unique. Ids already follow the domain, so the constraint
        # only ever fired when a company first known by name later showed its domain, and then
        # it failed the whole ingest batch; the embedded store never enforced it. A lookup index
        # keeps domain queries fast; companies that share a domain are resolution's to merge.
        statements=(
            "DROP CONSTRAINT company_domain_unique IF EXISTS",
            "CREATE INDEX company_domain IF NOT EXISTS FOR (n:Company) ON (n.domain)",
        ),
    ),
)

LATEST_VERSION = max(m.version for m in MIGRATIONS)
