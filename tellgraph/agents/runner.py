"""Run the agents: ``tellgraph agents run``.

Every agent takes the same keyword arguments and returns an
:class:`~tellgraph.agents.base.AgentReport`; one agent failing does not stop the
others (its error is in its report).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from tellgraph.agents import coordination, goal_agent, relationship, research, strategy
from tellgraph.agents.base import AgentConfig, AgentReport
from tellgraph.agents.drafting import Drafter
from tellgraph.errors import InvalidInput, TellgraphError
from tellgraph.graph.store import GraphStore
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

AgentFn = Callable[..., AgentReport]
AGENTS: dict[str, AgentFn] = {
    "relationship": relationship.run,
    "coordination": coordination.run,
    "goal": goal_agent.run,
    "research": research.run,
    "strategy": strategy.run,
}
"""Agents by name, in the order they run (goal after relationship, so its touchpoints come first)."""


class RunReport(BaseModel):
    """What a run of several agents did."""

    now: datetime
    reports: list[AgentReport] = Field(default_factory=list)

    @property
    def proposed(self) -> int:
        """Actions created in this run, over all agents."""
        return sum(len(r.proposed) for r in self.reports)


def run_agents(
    store: GraphStore,
    *,
    settings: Settings,
    now: datetime,
    agents: Sequence[str] | None = None,
    config: AgentConfig | None = None,
    drafter: Drafter | None = None,
) -> RunReport:
    """Run the named agents (all by default) under the clock ``now``.

    Raises:
        InvalidInput: an unknown agent name.
    """
    names = list(agents) if agents else list(AGENTS)
    unknown = [n for n in names if n not in AGENTS]
    if unknown:
        raise InvalidInput("agents", f"unknown {', '.join(unknown)}; choose from {', '.join(AGENTS)}")
    config = config or AgentConfig()
    report = RunReport(now=now)
    for name in names:
        try:
            result = AGENTS[name](store, now=now, settings=settings, config=config, drafter=drafter)
        except TellgraphError as exc:
            logger.warning("agent %s failed: %s", name, exc)
            result = AgentReport(agent=name, errors=[str(exc)])
        report.reports.append(result)
        logger.info("agent %s: %d proposed, %d refreshed", name, len(result.proposed), len(result.refreshed))
    return report
