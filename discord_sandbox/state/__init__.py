"""The in-memory world: plain data, its lookups, the default world, JSON shapes, errors and payload limits."""
