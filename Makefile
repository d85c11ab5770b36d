# leadops — run `make help` for the targets.

IMG ?= leadops/controller:dev
CONTROLLER_TOOLS_VERSION ?= v0.23.0
LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GO ?= go
# Tests start a real kube-apiserver + etcd (envtest) and real PostgreSQL servers; give them room.
TEST_TIMEOUT ?= 30m
TEST_FLAGS ?=

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec
.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Try it

.PHONY: demo
demo: envtest ## Run everything locally: kube-apiserver + etcd, CRDs, manager, samples, synthetic leads (Ctrl-C stops it; ARGS="--speed 60").
	@mkdir -p $(LOCALBIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(LOCALBIN)/leadctl ./cmd/leadctl
	$(GO) build -o $(LOCALBIN)/leadops-demo ./cmd/leadops-demo
	@KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" $(LOCALBIN)/leadops-demo $(ARGS)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRDs and RBAC from the API types and kubebuilder markers (and copy them into the Helm chart).
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./api/..." paths="./controllers/..." output:crd:artifacts:config=config/crd/bases
	@$(MAKE) --no-print-directory chart-sync

.PHONY: chart-sync
chart-sync: ## Copy the CRDs, the manager's RBAC rules and the alerts from config/ into charts/leadops (Helm reads only the chart's own files).
	rm -f charts/leadops/crds/*.yaml
	cp config/crd/bases/*.yaml charts/leadops/crds/
	cp config/rbac/role.yaml charts/leadops/files/role.yaml
	cp config/prometheus/alerts.rules.yaml charts/leadops/files/alerts.rules.yaml

.PHONY: generate
generate: controller-gen ## Generate the DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run gofmt over the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: test
test: controller-gen envtest promtool ## Run every test: unit, envtest (real kube-apiserver + etcd), PostgreSQL-backed, promtool, the Helm chart (its own Go module).
	@fmt_out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt_out" ]; then echo "gofmt needed: $$fmt_out"; exit 1; fi
	$(GO) vet ./...
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" CONTROLLER_GEN="$(CONTROLLER_GEN)" \
		$(GO) test ./... -count=1 -timeout $(TEST_TIMEOUT) $(TEST_FLAGS)
	cd charts/leadops/test && $(GO) vet ./... && $(GO) test ./... -count=1 -timeout $(TEST_TIMEOUT)

.PHONY: test-deploy
test-deploy: promtool ## Test only what ships for clusters: kustomize renders, the Helm chart, alerts (promtool), dashboard, Argo CD health, API reference, Dockerfile.
	$(GO) test ./hack/deploycheck/ ./hack/apiref/ -count=1
	cd charts/leadops/test && $(GO) test ./... -count=1

.PHONY: docs
docs: ## Regenerate docs/api-reference.md from the CRDs (run after `make manifests`).
	$(GO) run ./hack/apiref -o docs/api-reference.md

# BENCH selects benchmarks by name (a -bench pattern), e.g. `make bench BENCH=Routing`.
BENCH ?= .

.PHONY: bench
bench: envtest ## Run the benchmarks and print their figures: lead store (ingest with normalization, commits, SLA scans, goal metrics), normalization, leadctl (validate of the samples, preview of 100,000 leads), the HTTP API under load (vegeta: rising upsert rates on both stores with routing, a flood, RSS with 1,000,000 leads), then the controllers end to end (routing latency, routing behind an expensive waiting queue, 100,000-lead burst vs a plain UPDATE, SLA breach delay).
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" \
		$(GO) test $$($(GO) list ./... | grep -v '/controllers$$') -p 1 -run '^$$' -bench '$(BENCH)' -benchmem -count=1 -timeout 30m
	@# Each controller benchmark runs one whole scenario (manager, envtest, store) per iteration: once.
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" \
		$(GO) test ./controllers/ -run '^$$' -bench '$(BENCH)' -benchtime=1x -count=1 -timeout 30m

.PHONY: soak
soak: envtest ## Run the cluster fault scenarios at soak size (LEADOPS_SOAK=1): 50,000 leads through 50 SIGKILLs of two manager processes on PostgreSQL, six SIGKILLed leaders of two `--leader-elect` processes, the kube-apiserver restart under load. `make test` runs them at the issue's size (10,000 leads, 10 kills; 2 leaders).
	LEADOPS_SOAK=1 KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" \
		$(GO) test ./controllers/ -run 'Killed|APIServerRestart' -count=1 -v -timeout 30m

# FUZZTIME is how long `make fuzz` runs each fuzz target; FUZZ selects targets by name (a grep pattern).
FUZZTIME ?= 1m
FUZZ ?= .
# FUZZFLAGS adds go test flags to each run, e.g. FUZZFLAGS=-parallel=1 on a shared machine.
FUZZFLAGS ?=
FUZZ_TARGETS = ./internal/api:FuzzUpsertBody ./internal/csvimport:FuzzParse ./internal/celenv:FuzzCompileEval \
	./internal/slaclock:FuzzDeadlineElapsed ./internal/goals:FuzzResolvePeriod

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 1m), one after the other: API JSON bodies, CSV import, CEL expressions, business-hours clock, goal periods. A crasher is written to the package's testdata/fuzz/ (commit it: it becomes a regression seed that `make test` runs).
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "$$name" | grep -qE '$(FUZZ)' || continue; \
		echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) || exit 1; \
	done

##@ Build

.PHONY: build
build: ## Build the manager and leadctl binaries into ./bin, and leadctl again as the kubectl plugin kubectl-leads (`kubectl leads …`).
	CGO_ENABLED=0 $(GO) build -trimpath -o $(LOCALBIN)/manager .
	CGO_ENABLED=0 $(GO) build -trimpath -o $(LOCALBIN)/leadctl ./cmd/leadctl
	cp $(LOCALBIN)/leadctl $(LOCALBIN)/kubectl-leads

.PHONY: run
run: ## Run the manager against the cluster in the current kubeconfig with the embedded SQLite store (./leadops.db). Add the HTTP API with ARGS="--api-bind-address=:8082 --api-token-file=FILE".
	$(GO) run . --metrics-insecure --metrics-bind-address=127.0.0.1:8080 --api-bind-address=0 $(ARGS)

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

.PHONY: install
install: manifests ## Install the CRDs into the cluster in the current kubeconfig.
	kubectl apply -k config/crd

##@ Tools

.PHONY: envtest
envtest: ## Provide kube-apiserver and etcd for envtest (cached outside the clone; built from source once).
	@hack/envtest-assets.sh >/dev/null

.PHONY: promtool
promtool: ## Provide promtool for the alert tests (Debian's prometheus package when missing; quick when present).
	@hack/install-promtool.sh >/dev/null

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen at its pinned version into ./bin.
$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/controller-gen $(CONTROLLER_GEN)
