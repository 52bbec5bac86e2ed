"""The reliability suite: faults the app must survive, each scenario a pass or a fail with what it counted.

``python -m benchmarks.reliability [--only NAME ...]`` (``make reliability``); exit status 1 if any check
failed. Scenarios: ``kill9``, ``pg_outage``, ``discord_faults``, ``processes`` (see each module).
"""
