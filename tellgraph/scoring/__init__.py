"""Relationship scoring: tie strength with its breakdown, health, history and inferred ties.

``tellgraph score`` runs :func:`rebuild_knows`; after an ingest,
:func:`rescore_communications` refreshes only the ties new messages touch.
The math (``contacts``, ``sequence``, ``strength``, ``health``, ``inference``,
``backtest``) is pure and store-free; ``derive``, ``incremental``, ``history``,
``team`` and ``company`` read and write the store.
"""

from __future__ import annotations

from tellgraph.scoring.breakdown import ScoreBreakdown
from tellgraph.scoring.company import CompanySignals, company_signals
from tellgraph.scoring.config import COMPONENTS, DEFAULT_WEIGHTS, ScoringConfig
from tellgraph.scoring.derive import ScoreReport, rebuild_knows
from tellgraph.scoring.history import strength_at, strength_series
from tellgraph.scoring.incremental import rescore_communications, rescore_pairs
from tellgraph.scoring.team import MemberTie, TeamTie, team_view

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "CompanySignals",
    "MemberTie",
    "ScoreBreakdown",
    "ScoreReport",
    "ScoringConfig",
    "TeamTie",
    "company_signals",
    "rebuild_knows",
    "rescore_communications",
    "rescore_pairs",
    "strength_at",
    "strength_series",
    "team_view",
]
