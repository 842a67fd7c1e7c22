"""Agents turn scores and goals into suggested actions that a person approves.

- :mod:`tellgraph.agents.relationship`: touchpoints for due and at-risk ties.
- :mod:`tellgraph.agents.coordination`: meeting briefs, outcomes, intro routing.
- :mod:`tellgraph.agents.goal_agent`: goal maps, snapshots and next steps.
- :mod:`tellgraph.agents.research`: feeds and pages into trigger-event signals; briefs.
- :mod:`tellgraph.agents.strategy`: win/loss patterns and price ranges.
- :mod:`tellgraph.agents.approval`: approve, reject, edit, execute (audited).
- :mod:`tellgraph.agents.runner`: :func:`~tellgraph.agents.runner.run_agents`.
"""
