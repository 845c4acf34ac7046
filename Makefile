# ftpspec — the two commands a new user needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/ftpspec
OUT     := out
# Stamped into every build (ftpspec version; the run document's tool field). Override any of them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo +dirty)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
# The container image `make image` builds and deploy/kubernetes runs (push it with podman push).
IMAGE   ?= ghcr.io/ftpspec/ftpspec

.PHONY: build run test deps vet race selftest bench bench-peers interop load-6k fuzz report-check lab clean release release-check image image-check

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ftpspec

# A full conformance + same-IP passive load run against the embedded reference server.
run: build
	@mkdir -p $(OUT)
	$(BIN) conform --json $(OUT)/conform.json --junit $(OUT)/junit.xml
	$(BIN) load --sessions 200 --transfers 5 --size 65536 --json $(OUT)/load.json
	$(BIN) report merge $(OUT)/conform.json $(OUT)/load.json -o $(OUT)/run.json
	$(BIN) report $(OUT)/run.json --html $(OUT)/report.html --markdown $(OUT)/summary.md
	@echo
	@echo "results: $(CURDIR)/$(OUT)/run.json"
	@echo "report:  $(CURDIR)/$(OUT)/report.html"

test: deps vet race selftest

# The real peers and tools the tests use (curl, lftp, xmllint, iperf3, pyftpdlib), from Debian's
# packages; tests that need one skip with a message when it is missing (not root, no apt).
deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then scripts/install-deps.sh; \
	else echo "deps: not root or no apt-get: tests that need curl, lftp, xmllint or pyftpdlib may skip"; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 -timeout 20m ./...

selftest: build
	$(BIN) selftest

# ftpspec bench of the reference with the ceiling (a few minutes), then the Go benchmarks.
bench: build
	scripts/bench.sh

# The reference and the four Debian peers side by side in one sitting (about 10 minutes; not in .ci/run).
bench-peers: build
	scripts/bench-peers.sh

# The four real servers (scripts/interop.sh); their verdicts compared with the golden files in
# suites/testdata/peers (any change fails; GOLDEN_UPDATE=1 rewrites them from the runs, keeping the
# justifications); then the Go integration tests that run the suite against pyftpdlib directly
# (build tag interop) to catch a case that would accuse a correct server.
interop: build
	scripts/interop.sh
	$(GO) build -o bin/interop-golden ./scripts/interop/golden
	bin/interop-golden -peers "$(INTEROP_SERVERS)" $(if $(filter 1,$(GOLDEN_UPDATE)),-update)
	$(GO) test -tags interop -count=1 -run Interop ./suites/...

load-6k: build
	scripts/load-6k.sh

fuzz:
	scripts/fuzz.sh

report-check: build
	scripts/report-check.sh

# The NAT lab (Linux, root): 4 client namespaces x 100 sessions behind one NAT against the reference,
# then with the server behind NAT, then pyftpdlib in the server namespace. Reports in out/lab/.
lab: build
	scripts/lab.sh

# Static binaries for linux, darwin and windows on amd64 and arm64, stamped, archived, with
# SHA256SUMS, in dist/ (scripts/release.sh says how, and why).
release:
	VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) scripts/release.sh

# .goreleaser.yaml (used to publish tagged releases) checked, and a snapshot release built with it
# into dist/ (the same names as make release). Installs goreleaser from the Go module proxy when it
# is missing, a long compile: outside .ci/run, see the README.
GORELEASER ?= $(shell command -v goreleaser || echo $$($(GO) env GOPATH)/bin/goreleaser)
release-check:
	@[ -x "$(GORELEASER)" ] || $(GO) install github.com/goreleaser/goreleaser/v2@v2.17.0
	$(GORELEASER) check
	$(GORELEASER) release --snapshot --clean --skip=publish

# The container image: the static linux binary in a FROM scratch image (Containerfile), with podman
# or docker, tagged $(IMAGE):$(VERSION) and $(IMAGE):latest. image-check builds it and checks it.
image:
	VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) IMAGE=$(IMAGE) scripts/image.sh build

image-check:
	VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) IMAGE=$(IMAGE) scripts/image.sh check

clean:
	rm -rf bin $(OUT) dist
