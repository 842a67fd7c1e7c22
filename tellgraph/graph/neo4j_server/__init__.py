"""The local Neo4j server behind ``tellgraph neo4j start|stop|status``.

Neo4j 5.26 Community runs from jars that Maven copies out of Maven Central
(``pom.xml`` in this package); see :mod:`tellgraph.graph.neo4j_server.manager`.
"""

from __future__ import annotations

from tellgraph.graph.neo4j_server.manager import (
    POM_PATH,
    ImportResult,
    LocalNeo4j,
    StartResult,
    Status,
    bolt_handshake,
    java_available,
    java_major_version,
    maven_available,
    port_is_free,
)

__all__ = [
    "POM_PATH",
    "ImportResult",
    "LocalNeo4j",
    "StartResult",
    "Status",
    "bolt_handshake",
    "java_available",
    "java_major_version",
    "maven_available",
    "port_is_free",
]
