# Surety: `make run` to use it, `make test` to prove it.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# The CLI runs compiled, like every app (bootstrap builds dist/ when a source changed).
SURETY := node --enable-source-maps dist/cli.js

.PHONY: help bootstrap infra-up infra-down infra-status migrate run test test-short check fmt drill drills load bench bench-cost bench-smoke

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

bootstrap: ## install dependencies and start RabbitMQ and PostgreSQL in .local/
	@bash scripts/bootstrap.sh

infra-up: ## start RabbitMQ and PostgreSQL (no-op when running)
	@bash scripts/infra.sh up

infra-down: ## stop RabbitMQ, PostgreSQL, Jaeger and Prometheus
	@bash scripts/infra.sh down
	@bash scripts/jaeger.sh down
	@bash scripts/prometheus.sh down

infra-status: ## are RabbitMQ and PostgreSQL up?
	@bash scripts/infra.sh status

migrate: bootstrap ## bring every schema up to date
	@$(SURETY) migrate

run: bootstrap ## run the whole pipeline with Jaeger and Prometheus (JAEGER=0, PROMETHEUS=0 start neither), consumers autoscaled by keda/; REPLICAS=payment=2 pins one; RELAY_MODE=cdc reads the outbox from the WAL; CLUSTER=3 runs it on three RabbitMQ nodes and a Postgres primary and standby (scripts/cluster.sh)
	@if [ "$(JAEGER)" != 0 ]; then bash scripts/jaeger.sh up || echo "[surety] Jaeger did not start: traces are not exported"; fi
	@if [ "$(PROMETHEUS)" != 0 ]; then bash scripts/prometheus.sh up || echo "[surety] Prometheus did not start: alerts are not evaluated"; fi
	@if [ "$(CLUSTER)" = 3 ]; then bash scripts/cluster.sh up && bash scripts/cluster.sh pg-up; fi
	@$(if $(filter 3,$(CLUSTER)),DATABASE_URL="$$(bash scripts/cluster.sh pg-url)" AMQP_URL="$$(bash scripts/cluster.sh amqp-urls)" RABBITMQ_MANAGEMENT_URL=$$(bash scripts/cluster.sh management-url)) $(SURETY) run $(if $(REPLICAS),--replicas $(REPLICAS)) $(ARGS)

test: bootstrap check ## lint, type-check, then every test against the real RabbitMQ and PostgreSQL
	@bash scripts/test.sh

test-short: ## type-check and the fast unit tests only (no servers needed)
	@bash scripts/bootstrap.sh --no-infra
	@tsc -p tsconfig.json
	@vitest run --project unit

drill: bootstrap ## one crash drill: make drill NAME=payment-crash-before-commit [ARGS=--short]; CLUSTER=3 runs it on three RabbitMQ nodes and a Postgres primary and standby (scripts/cluster.sh)
	@$(SURETY) drill $(NAME) $(if $(filter 3,$(CLUSTER)),--cluster) $(ARGS)

drills: bootstrap ## every crash drill, full size; reports in reports/drills/
	@$(SURETY) drill all $(ARGS)

load: ## k6 on the local stack (make run first): make load SCRIPT=smoke|spike|soak|ramp [ARGS='-e RATE=20']
	@bash scripts/tools.sh k6
	@.tools/bin/k6 run $(ARGS) load/$(or $(SCRIPT),smoke).js

bench: bootstrap ## ceilings, scale-out, spike, outage, autoscaling, cost, then bench-cost's phases and the targets; report in reports/bench/<time>/
	@bash scripts/tools.sh k6
	@$(SURETY) bench $(ARGS)

bench-cost: bootstrap ## what an order costs: the stack idle, then CPU, transactions and latency at open-model rates, then an overload [ARGS='--rates 20,100,200 --overload 3 --profile']
	@$(SURETY) bench --cost $(ARGS)

bench-smoke: bootstrap ## the bench harness at a tiny size (no timing claims): checks it runs end to end
	@bash scripts/tools.sh k6
	@$(SURETY) bench --smoke $(ARGS)

check: ## type-check, lint and format check
	@bash scripts/bootstrap.sh --no-infra
	@echo "[check] tsc"; tsc -p tsconfig.json && tsc -p apps/web/tsconfig.json
	@echo "[check] eslint"; eslint .
	@echo "[check] prettier"; prettier --check . --log-level warn
	@echo "[check] shellcheck"; if command -v shellcheck >/dev/null; then shellcheck scripts/*.sh .ci/run; else echo "shellcheck not installed; skipped"; fi

fmt: ## format every file
	@prettier --write . --log-level warn

# Kubernetes: a local kind cluster with every operator, the image and the chart. Each step of `up`
# is scripts/kind-up.sh <step>, safe to run again; `make -n up` lists them.
KIND_UP := bash scripts/kind-up.sh
.PHONY: up down status chaos traces load-cluster helm-template

up: ## kind cluster, operators, image and chart, then every URL (needs docker, kind, kubectl, helm)
	@$(KIND_UP) preflight
	@$(KIND_UP) cluster
	@$(KIND_UP) cert-manager
	@$(KIND_UP) rabbitmq
	@$(KIND_UP) cnpg
	@$(KIND_UP) metrics-server
	@$(KIND_UP) keda
	@$(KIND_UP) chaos-mesh
	@$(KIND_UP) monitoring
	@$(KIND_UP) infra
	@$(KIND_UP) image
	@$(KIND_UP) chart
	@$(KIND_UP) autoscaling
	@$(KIND_UP) urls

down: ## delete the kind cluster and everything in it
	@bash scripts/kind.sh down

status: ## what runs on the kind cluster: pods, autoscalers, broker, database, chaos
	@bash scripts/kind.sh status

chaos: ## start a Chaos Mesh experiment: make chaos EXP=kill-payment (no EXP lists them)
	@bash scripts/kind.sh chaos $(EXP)

traces: ## where the traces are (Jaeger), and which services have sent any
	@bash scripts/kind.sh traces

load-cluster: ## k6 on the kind cluster's api: make load-cluster SCRIPT=spike
	@bash scripts/kind.sh load $(SCRIPT)

helm-template: ## render charts/surety: make helm-template [VALUES=default|minimal|no-keda]
	@bash scripts/tools.sh
	@.tools/bin/helm template surety charts/surety --namespace surety --values charts/surety/ci/$(or $(VALUES),default)-values.yaml
