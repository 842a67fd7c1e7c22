"""Entity resolution: which people are one person, and which company they work for.

- :mod:`~tellgraph.resolution.names`: parse and normalise names ("Skilling, Jeff",
  "Jeff Skilling/HOU/ECT@ECT", ``jskilling@enron.com``), nicknames, confusables.
- :mod:`~tellgraph.resolution.companies`: company domains from addresses, free-mail
  detection, ``Company`` nodes and dated ``WORKS_AT`` edges.
- :mod:`~tellgraph.resolution.matcher`: blocking, identity keys, name-variant scoring,
  embeddings for the uncertain rest; ``merge`` / ``review`` / ``distinct`` decisions.
- :mod:`~tellgraph.resolution.merge`: audited, reversible merges and splits on a
  ``GraphStore``, the review queue and whole-store resolution.

Only the matcher's embedding step imports sentence-transformers, and only when a
pair is uncertain.
"""

from __future__ import annotations

from tellgraph.resolution.companies import company_domain, company_name_from_domain, derive_employment, is_free_mail
from tellgraph.resolution.matcher import MatchConfig, MatchDecision, Matcher, MatchRun, NameEmbedder, PersonRecord
from tellgraph.resolution.merge import ResolutionReport, merge_people, queue_review, resolve_store, split_person
from tellgraph.resolution.names import ParsedName, fold, is_email, name_variants, parse_name

__all__ = [
    "MatchConfig",
    "MatchDecision",
    "MatchRun",
    "Matcher",
    "NameEmbedder",
    "ParsedName",
    "PersonRecord",
    "ResolutionReport",
    "company_domain",
    "company_name_from_domain",
    "derive_employment",
    "fold",
    "is_email",
    "is_free_mail",
    "merge_people",
    "name_variants",
    "parse_name",
    "queue_review",
    "resolve_store",
    "split_person",
]
