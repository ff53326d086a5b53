# giropops-senhas — every course step as a make target. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

IMAGE    ?= giropops-senhas:dev
ENGINE   ?= $(shell command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && echo docker || echo podman)
PORT     ?= 5000

.PHONY: help build run test clean k8s-check

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the release binary (target/release/giropops-senhas)
	cargo build --release --locked

run: ## run the app on the embedded store at http://localhost:5000
	cargo run --release --locked

test: ## install what the tests need, then run every test (times each stage)
	bash scripts/test.sh

clean: ## remove build output and test leftovers
	cargo clean

k8s-check: ## offline checks of deploy/k8s: render, schemas, hardening + mutations, promtool, trivy, yamllint
	bash scripts/k8s-check.sh
