# notify-streams — the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DEB_PACKAGES := zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev
# librdkafka is built against the machine's libraries (never downloaded) and node-gyp uses the
# headers that the machine's Node ships in /usr/include/node (never downloaded either).
NPM_ENV := CKJS_LINKING=dynamic npm_config_nodedir=/usr
KAFKA := tools/kafka/kafka.sh
CONFIG ?= topology/notify-streams.yaml

.PHONY: help setup deps node-modules kafka-fetch kafka-up kafka-down kafka-reset typecheck lint cycles \
        test test-unit test-integration chaos chaos-kafka-up chaos-kafka-down run bench clean

help:
	@echo "make run    — local Kafka, topics, processor, demo traffic and a live outcome table; ends by itself"
	@echo "make test   — typecheck, lint, import cycles, unit and integration tests on a local broker"
	@echo "make chaos  — the chaos suite (SIGKILL, broker and provider outages, zombie, rebalance storm) on a broker of its own"
	@echo "make bench  — benchmarks on the local broker; numbers go to bench/RESULTS.md"
	@echo "make kafka-up / kafka-down — the local single-node KRaft broker on 127.0.0.1:9092"

setup: deps node-modules kafka-fetch

# Installs only the Debian packages that are absent.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Reinstalls only when package-lock.json changed since the last install.
node-modules: node_modules/.installed
node_modules/.installed: package-lock.json
	$(NPM_ENV) npm ci --no-audit --no-fund
	@touch $@

kafka-fetch:
	@$(KAFKA) fetch

kafka-up: kafka-fetch
	@$(KAFKA) up

kafka-down:
	@$(KAFKA) down

kafka-reset:
	@$(KAFKA) reset

typecheck: node-modules
	npx tsc --noEmit

lint: node-modules
	npx eslint src test bench

cycles: node-modules
	npx dpdm --no-warning --no-tree --exit-code circular:1 -T 'src/**/*.ts'

test-unit: node-modules
	npx vitest run test/unit

test-integration: node-modules
	npx vitest run test/integration --no-file-parallelism

# The broker starts empty (tests leave their uniquely named topics behind) unless one is
# already running; it is stopped whatever the tests' outcome, and the exit code is the tests'.
test: setup typecheck lint cycles kafka-fetch
	@$(KAFKA) up-empty
	@status=0; \
	npx vitest run test/unit || status=$$?; \
	npx vitest run test/integration --no-file-parallelism || status=$$?; \
	$(MAKE) --no-print-directory kafka-down; \
	exit $$status

# The chaos suite (test/chaos, README "Chaos suite") stops and starts its broker, so it runs on
# one of its own: kafka.sh with its home in .kafka-chaos on 127.0.0.1:19092, the jars of
# .kafka/lib. CHAOS_SHORT=1 runs the short version of each case; CHAOS_TESTS picks files.
CHAOS_KAFKA := KAFKA_HOME_DIR=.kafka-chaos KAFKA_LIB_DIR=$${KAFKA_LIB_DIR:-$(CURDIR)/.kafka/lib} KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19093 $(KAFKA)
CHAOS_TESTS ?= test/chaos
chaos-kafka-up: kafka-fetch
	@$(CHAOS_KAFKA) up-empty

chaos-kafka-down:
	@$(CHAOS_KAFKA) down

chaos: setup chaos-kafka-up
	@status=0; \
	KAFKA_BOOTSTRAP=127.0.0.1:19092 npx vitest run --config vitest.chaos.config.ts $(CHAOS_TESTS) || status=$$?; \
	$(MAKE) --no-print-directory chaos-kafka-down; \
	exit $$status

# The quick start: topics, then the processor with a few hundred demo requests and a live table
# of outcomes; it stops by itself once every request has settled (at most DEMO_DURATION), or on
# Ctrl-C, and leaves the broker running (make kafka-down stops it).
DEMO_COUNT ?= 300
DEMO_DURATION ?= 90s
# The processor's V8 settings, as deploy/statefulset.yaml sets them (see README, Deployment and
# Memory): a 64 MB semi-space, and the old generation capped at 256 MB (one stream thread).
PROCESSOR_NODE_OPTIONS ?= --max-semi-space-size=64 --max-old-space-size=256
run: setup kafka-up
	node bin/notify-streams.js topics create -c $(CONFIG)
	NODE_OPTIONS="$(PROCESSOR_NODE_OPTIONS)" node bin/notify-streams.js demo -c $(CONFIG) --count $(DEMO_COUNT) --duration $(DEMO_DURATION)

bench: setup kafka-up
	bench/run-all.sh

clean:
	rm -rf dist .state
