# giropops-senhas — every course step as a make target. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

IMAGE    ?= giropops-senhas:dev
ENGINE   ?= $(shell command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && echo docker || echo podman)
PORT     ?= 5000
ARCH     ?= $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,amd64)
REDIS_IMAGE ?= redis:7.2-alpine

.PHONY: help build run run-local image network redis-run compose-up compose-down compose-test image-test repro readme-image test clean k8s-check

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the release binary (target/release/giropops-senhas)
	cargo build --release --locked

run-local: ## run the app from source (cargo) on the embedded store at http://localhost:5000
	cargo run --release --locked

image: ## build the image: static binaries for amd64 + arm64, one layer FROM scratch, a manifest list (IMAGE)
	ENGINE=$(ENGINE) bash scripts/image-build.sh --tag $(IMAGE)

network: ## create the container network `giropops` (app and Redis find each other by name)
	$(ENGINE) network inspect giropops >/dev/null 2>&1 || $(ENGINE) network create giropops

redis-run: network ## run Redis 7 (container `redis`, password in .secrets/redis_password, not in ps) on the network
	@bash scripts/compose-secret.sh
	$(ENGINE) run -d --name redis --network giropops --user redis --read-only --cap-drop=ALL \
	  --security-opt=no-new-privileges -v giropops-redis:/data \
	  -v "$(CURDIR)/.secrets/redis_password:/run/secrets/redis_password:ro" \
	  $(REDIS_IMAGE) sh -c $$'exec redis-server - --appendonly yes <<EOF\nrequirepass $$(cat /run/secrets/redis_password)\nEOF\n'

run: network ## run the image hardened (read-only, no capabilities, uid 65532) on localhost:PORT; Redis if redis-run ran
	@redis=(); if $(ENGINE) container inspect redis >/dev/null 2>&1; then \
	  redis=(-e REDIS_HOST=redis -e REDIS_PASSWORD_FILE=/run/secrets/redis_password \
	         -v "$(CURDIR)/.secrets/redis_password:/run/secrets/redis_password:ro"); fi; \
	set -x; $(ENGINE) run -d --name giropops-senhas --network giropops -p 127.0.0.1:$(PORT):5000 \
	  --read-only --cap-drop=ALL --security-opt=no-new-privileges "$${redis[@]}" $(IMAGE)-$(ARCH)

# The compose provider: `docker compose`, `podman compose`, or Debian's podman-compose (podman 4.3 has no
# `compose` subcommand; 1.0.3 has no --wait: poll http://127.0.0.1:$(PORT)/readyz). The compose stage of
# `make test` runs these two targets with COMPOSE="podman-compose --podman-path …" COMPOSE_UP_FLAGS=--no-build.
COMPOSE ?= $(shell if $(ENGINE) compose version >/dev/null 2>&1; then echo $(ENGINE) compose; \
  elif command -v podman-compose >/dev/null 2>&1; then echo podman-compose -p giropops-senhas; \
  else echo $(ENGINE) compose; fi)
COMPOSE_UP_FLAGS ?= $(if $(filter podman-compose%,$(COMPOSE)),--build,--build --wait)
COMPOSE_PODMAN ?= podman

compose-up: ## app + Redis with compose.yaml (builds the image first; compose stage of make test: see docs/compose.md)
	@bash scripts/compose-secret.sh
	$(COMPOSE) up -d $(COMPOSE_UP_FLAGS)

# podman-compose 1.0.3 leaves the project network behind (Docker Compose removes it): removed by name.
compose-down: ## stop and remove the compose.yaml services and network (the Redis volume stays)
	$(COMPOSE) down
	$(if $(filter podman-compose%,$(COMPOSE)),$(COMPOSE_PODMAN) network rm giropops-senhas_giropops)

compose-test: ## make compose-up for real (podman-compose, local images), a password through it, make compose-down
	bash scripts/compose-test.sh

image-test: ## the image test: build, package amd64 + arm64, run hardened with Redis, budgets, reproducibility
	bash scripts/image-test.sh

repro: ## build HEAD's static binaries (amd64 + arm64; ARCHS=…) twice, fresh clones and caches, compare byte for byte
	bash scripts/repro.sh

readme-image: ## regenerate the image table of docs/image.md from docs/image-report.md (written by image-test)
	python3 scripts/readme-image.py

test: ## install what the tests need, then run every test (times each stage)
	bash scripts/test.sh

clean: ## remove build output and test leftovers
	cargo clean

k8s-check: ## offline checks of deploy/k8s: render, schemas, hardening + mutations, promtool, trivy, yamllint
	bash scripts/k8s-check.sh

# ---- Helm chart deploy/helm/giropops-senhas (docs/deploy-helm.md), through PyPI helm-python-sdk: no helm binary
.PHONY: helm-template helm-lint helm-package helm-push helm-test
HELM_PY     ?= .cache/venv/bin/python scripts/helm.py
HELM_VALUES ?=
HELM_OUT    ?= target/helm
CHART_REPO  ?=
CHART_VERSION = $(shell sed -n 's/^version: *//p' deploy/helm/giropops-senhas/Chart.yaml)

helm-template: ## render the chart (HELM_VALUES="a.yaml b.yaml" to add values files) like `helm template`
	@$(HELM_PY) template $(foreach f,$(HELM_VALUES),-f $(f))

helm-lint: ## helm lint --strict of the chart (with HELM_VALUES files if given)
	$(HELM_PY) lint $(foreach f,$(HELM_VALUES),-f $(f))

helm-package: ## package the chart into HELM_OUT (target/helm/giropops-senhas-VERSION.tgz)
	$(HELM_PY) package --out $(HELM_OUT)

helm-push: helm-package ## push the packaged chart to CHART_REPO=oci://registry/path (PLAIN_HTTP=1 for a local registry)
	@test -n "$(CHART_REPO)" || { echo "CHART_REPO=oci://registry.example/charts is required" >&2; exit 2; }
	$(HELM_PY) push $(HELM_OUT)/giropops-senhas-$(CHART_VERSION).tgz $(CHART_REPO) $(if $(filter 1,$(PLAIN_HTTP)),--plain-http)

helm-test: ## the chart tests: lint, schema, checklist + mutations on a matrix, kustomize equivalence, OCI + cosign
	bash scripts/helm-test.sh

# ---- supply chain (docs/supply-chain.md) ----------------------------------------------------------
# IMAGE for sign/verify/attest/push must name a registry repository: make sign IMAGE=registry.example/you/giropops-senhas:1.0
.PHONY: audit deny sbom scan push sign verify attest verify-attestation supply-chain-test

audit: ## cargo audit of Cargo.lock + the auditable binaries (ADVISORY_DB=dir: offline database)
	bash scripts/audit.sh

deny: ## cargo deny: accepted licences, bans/duplicates, crates.io only (deny.toml)
	cargo fetch --locked --quiet && cargo deny --offline check licenses bans sources

sbom: ## CycloneDX SBOM per architecture (target/sbom/), schema-valid, every compiled crate checked
	bash scripts/sbom.sh

scan: ## trivy: Dockerfile misconfigurations + image vulnerabilities (IMAGE=… or SCAN_INPUT=…; needs trivy's DB)
	bash scripts/scan.sh

push: ## push the amd64+arm64 manifest list to IMAGE (builds it first if needed)
	bash scripts/push.sh "$(IMAGE)"

sign: ## cosign sign IMAGE by digest (COSIGN_KEY=cosign.key; COSIGN_KEY=keyless in CI with OIDC)
	bash scripts/cosign.sh sign "$(IMAGE)"

verify: ## cosign verify IMAGE with COSIGN_PUB=cosign.pub (keyless: COSIGN_IDENTITY, COSIGN_ISSUER)
	bash scripts/cosign.sh verify "$(IMAGE)"

attest: ## attach each platform's SBOM to IMAGE as a signed CycloneDX attestation
	bash scripts/cosign.sh attest "$(IMAGE)"

verify-attestation: ## verify IMAGE's SBOM attestations (signer, subject digest, crates listed)
	bash scripts/cosign.sh verify-attestation "$(IMAGE)"

supply-chain-test: ## all supply-chain checks offline, each with a broken case that must fail
	bash scripts/supply-chain-test.sh

# ---- benchmark (docs/performance.md) ------------------------------------------------------------------------
.PHONY: bench bench-smoke bench-profile bench-instructions

bench: ## benchmark: static release binary, own Redis, wrk at 1/32/256 conn., the original app and ceilings in the same run; bench/results/<date>.{md,json,svg} + docs/performance.md (~12 min + build)
	python3 bench/bench.py --readme $(BENCH_ARGS)

bench-smoke: ## the benchmark's code path, a second per case, checks only that every case ran with sane numbers
	python3 bench/bench.py --smoke $(BENCH_ARGS)

bench-profile: ## perf profile of POST /api/gerar-senha with Redis: instructions and CPU per request, by component
	bash bench/profile.sh $(BENCH_ARGS)

bench-instructions: ## callgrind: instructions per request by component; the same on a busy machine (compare builds)
	bash bench/instructions.sh $(BENCH_ARGS)

# ---- hard to break (README: "Testes", "Confiabilidade") -------------------------------------------------------
.PHONY: api-fuzz fuzz soak soak-smoke

api-fuzz: ## schemathesis from /api/openapi.json against the binary (embedded store, then Redis): no 5xx, no schema violation
	bash scripts/fuzz-api.sh

fuzz: ## cargo-fuzz (nightly) on the request parsers and policies, FUZZ_SECONDS each (60); installs cargo-fuzz on first use
	bash scripts/fuzz.sh

soak: ## static binary + Redis under moderate load for SOAK_SECONDS (600): RSS and fds sampled, CSV + SVG in target/soak, fails on growth
	python3 scripts/soak.py

soak-smoke: ## the soak for 30 s (as in make test)
	python3 scripts/soak.py --seconds 30 --interval 2
