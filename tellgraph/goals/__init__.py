"""Goals: what the team wants to win, who matters for it, and how the team reaches them.

- :mod:`tellgraph.goals.service`: create, read and list goals; suggest targets.
- :mod:`tellgraph.goals.map`: the goal map (key people, reach, coverage, gaps,
  communications, momentum, stalls, next steps).
- :mod:`tellgraph.goals.snapshots`: goal state over time.
"""
