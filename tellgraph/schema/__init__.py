"""The domain schema. Importing the package registers every entity type, the agents' ones included."""

from tellgraph.schema import actions as actions
