# Surety: `make run` to use it, `make test` to prove it.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
SURETY := node --import tsx apps/cli/src/main.ts

.PHONY: help bootstrap infra-up infra-down infra-status migrate run test test-short check fmt

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

bootstrap: ## install dependencies and start RabbitMQ and PostgreSQL in .local/
	@bash scripts/bootstrap.sh

infra-up: ## start RabbitMQ and PostgreSQL (no-op when running)
	@bash scripts/infra.sh up

infra-down: ## stop RabbitMQ and PostgreSQL
	@bash scripts/infra.sh down

infra-status: ## are RabbitMQ and PostgreSQL up?
	@bash scripts/infra.sh status

migrate: bootstrap ## bring every schema up to date
	@$(SURETY) migrate

run: bootstrap ## run the whole pipeline locally; REPLICAS=payment=2,saga=2 scales consumers
	@$(SURETY) run $(if $(REPLICAS),--replicas $(REPLICAS))

test: bootstrap check ## lint, type-check, then every test against the real RabbitMQ and PostgreSQL
	@bash scripts/test.sh

test-short: ## type-check and the fast unit tests only (no servers needed)
	@bash scripts/bootstrap.sh --no-infra
	@tsc -p tsconfig.json
	@vitest run --project unit

check: ## type-check, lint and format check
	@bash scripts/bootstrap.sh --no-infra
	@echo "[check] tsc"; tsc -p tsconfig.json
	@echo "[check] eslint"; eslint .
	@echo "[check] prettier"; prettier --check . --log-level warn
	@echo "[check] shellcheck"; if command -v shellcheck >/dev/null; then shellcheck scripts/*.sh .ci/run; else echo "shellcheck not installed; skipped"; fi

fmt: ## format every file
	@prettier --write . --log-level warn
