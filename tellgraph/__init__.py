"""tellgraph: a relationship-intelligence knowledge graph."""
