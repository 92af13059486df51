"""The composition root: builds the object graph from settings and owns what a process starts and stops.

The only package of the gateway that names concrete adapters (docs/architecture.md#the-composition-root)."""
