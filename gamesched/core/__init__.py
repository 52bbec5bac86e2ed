"""Shared kernel: database, durable queue, event bus, clock, errors, logging. Imports no module."""
