#!/usr/bin/env bash
# The whole test suite on a fresh machine: bootstrap, then pytest. "No tests ran" is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh --browser || exit 1

.venv/bin/ruff check gamesched discord_sandbox tests benchmarks || exit 1
.venv/bin/ruff format --check gamesched discord_sandbox tests benchmarks || exit 1
.venv/bin/mypy || exit 1
.venv/bin/lint-imports || exit 1

# Discord's OpenAPI description: the tests check every sandbox answer against it (tests/conformance.py).
# Name a copy with GAMESCHED_DISCORD_OPENAPI; the project's CI machines keep one beside the checkout.
beside="$(cd .. && pwd)/shared/discord-api-spec/openapi.json"
if [ -z "${GAMESCHED_DISCORD_OPENAPI:-}" ] && [ -f "$beside" ]; then
    export GAMESCHED_DISCORD_OPENAPI="$beside"
fi

# Two pytest-xdist workers by default: the CI machine has two cores, and most tests spend their time waiting
# on PostgreSQL, subprocesses or Chromium. Each worker has its own template database, sandboxes, ports and
# Chromium; --dist loadgroup keeps the tests marked @pytest.mark.xdist_group("name") on one worker (a
# module-scoped fixture they share). GAMESCHED_TEST_WORKERS=N runs N workers; 0 runs the suite serially in
# one process, as plain `.venv/bin/pytest` does.
workers="${GAMESCHED_TEST_WORKERS:-2}"
parallel=()
if [ "$workers" != "0" ]; then
    parallel=(-n "$workers" --dist loadgroup)
fi

.venv/bin/pytest ${parallel[@]+"${parallel[@]}"} "$@"
code=$?
if [ "$code" -eq 5 ]; then
    echo "test: pytest collected no tests — treating that as a failure" >&2
    exit 1
fi
exit "$code"
