# The two commands of the README, plus the pieces they are made of.
.PHONY: run test bootstrap lint format typecheck bench faults reliability clean

run: bootstrap          ## run the app with the embedded PostgreSQL and the sandbox Discord
	.venv/bin/gamesched run --sandbox

test:                   ## lint, type-check and run the whole test suite on two workers (GAMESCHED_TEST_WORKERS=0: serially)
	./scripts/test.sh

bootstrap:
	./scripts/bootstrap.sh

lint: bootstrap
	.venv/bin/ruff check gamesched discord_sandbox tests benchmarks
	.venv/bin/ruff format --check gamesched discord_sandbox tests benchmarks
	.venv/bin/lint-imports

format: bootstrap
	.venv/bin/ruff format gamesched discord_sandbox tests benchmarks
	.venv/bin/ruff check --fix gamesched discord_sandbox tests benchmarks

typecheck: bootstrap
	.venv/bin/mypy

bench: bootstrap        ## print the benchmark figures described in the README
	.venv/bin/python -m benchmarks

faults: bootstrap       ## the reliability suite's two DM-loss scenarios only (kill -9, PostgreSQL outage)
	.venv/bin/python -m benchmarks.reliability --only kill9 pg_outage

reliability: bootstrap  ## the reliability suite (README, "Reliability suite"): pass/fail, exit status 1 on a failure
	.venv/bin/python -m benchmarks.reliability

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
