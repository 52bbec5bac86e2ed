"""The Sandbox object: the world with its gateway, interactions, faults, rate limits and REST log."""
