# Darbaza. `make run` serves the demo; `make test` runs what CI runs.
GO          ?= go
BIN         := bin/darbaza
VERSION     := $(shell cat VERSION)
COMMIT      := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Debian packages the tests drive (interop-deps installs them), one a line.
DEB_PACKAGES := \
	adduser \
	chromium \
	libxml2-utils \
	poppler-utils \
	python3-xmlsec \
	python3-zeep \
	strace \
	softhsm2 \
	systemd \
	xmlsec1 \
	zbar-tools
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s

.PHONY: all build run test check deb deb-check fmt vet staticcheck bench bench-postgres bench-smoke fuzz interop-deps pg-deps pg-up pg-down clean

# The throwaway PostgreSQL cluster of the tests (.ci/postgres): `make pg-up`
# starts it; `make test` then passes its DSN to the tests.
PGDIR       ?= /tmp/darbaza-pg
PGPORT      ?= 55432

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/darbaza

## run: a server on the embedded demo data with demo keys (made in ./demo on first start)
run: build
	$(BIN) serve --demo

## test: unit, end-to-end, interop and PostgreSQL tests with the race detector.
# It first installs what is missing (test-deps) and starts the throwaway
# PostgreSQL cluster, and runs with CI set unless it is already, so that a
# test whose tool or server is missing fails instead of skipping.
test: test-deps
	CI=$${CI:-make-test} DARBAZA_TEST_POSTGRES=$$(cat $(PGDIR)/dsn) \
	DARBAZA_XMLCRYPTO_NODE_PATH=$(CURDIR)/testdata/interop/node_modules $(GO) test -race -count=1 ./...

## test-deps: the Debian packages, node modules and PostgreSQL cluster the
## tests need; installs only what is missing (as root), then starts the cluster
test-deps: interop-deps pg-deps pg-up

## check: exactly what CI runs
check: fmt vet staticcheck test

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

## bench: darbaza bench (a server process driven over HTTP with signed requests,
## against the raw cost of its cryptography; PEOPLE, BENCHTIME per run, CALLERS),
## then the Go micro-benchmarks that explain it (parse, canonicalise, sign, verify,
## log append, pipeline). docs/benchmarks.md says how to read it.
PEOPLE    ?= 1000000
BENCHTIME ?= 10s
CALLERS   ?= 1,16,64
bench: build
	$(BIN) bench --people $(PEOPLE) --duration $(BENCHTIME) --callers $(CALLERS)
	DARBAZA_TEST_POSTGRES=$$(cat $(PGDIR)/dsn 2>/dev/null) \
	$(GO) test -run='^$$' -bench=. -benchmem -count=5 ./soap ./signing ./adapter/... ./registry/...

## bench-postgres: darbaza bench with storage: postgres on the tests' cluster
## (make pg-up), in a schema of its own that it drops at the end, with one
## and with two serve processes on the one database (NODES); PEOPLE,
## BENCHTIME, CALLERS and KEYS as for bench. PGDSN and PGPASSFILE name
## another database (a postgres:// URL without the password, and the file
## holding it).
PGDSN      ?= postgres://darbaza@127.0.0.1:$(PGPORT)/darbaza?sslmode=disable
PGPASSFILE ?= $(PGDIR)/password
NODES      ?= 1,2
KEYS       ?= ecdsa-p256,rsa-2048
bench-postgres: build pg-up
	$(BIN) bench --postgres '$(PGDSN)' --postgres-password-file $(PGPASSFILE) --nodes $(NODES) \
	  --people $(PEOPLE) --duration $(BENCHTIME) --callers $(CALLERS) --keys $(KEYS)

## bench-smoke: the bench on a tiny dataset in seconds (CI runs it as TestBenchSmoke
## and, on PostgreSQL, TestBenchSmokePostgres)
bench-smoke: build
	$(BIN) bench --people 1000 --duration 1s --callers 1,16

## fuzz: every fuzz target for FUZZTIME each
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=3s $$pkg || exit 1; \
	  done; \
	done

## interop-deps: the Debian packages the tests drive (DEB_PACKAGES: the real
## SOAP clients, strace for the access log's fsync test, poppler-utils and
## zbar-tools for the certificate's PDF and QR tests, SoftHSM2 for keys held
## through PKCS #11, chromium for the auditors' console's browser test) and
## node-soap from npm
interop-deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# npm ci again only when package-lock.json changed since the last one
	@if [ ! -f testdata/interop/node_modules/.ci-lock ] || \
	    ! cmp -s testdata/interop/package-lock.json testdata/interop/node_modules/.ci-lock; then \
	  cd testdata/interop && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.ci-lock; fi

## pg-deps: PostgreSQL from Debian's packages, for the tests of storage: postgres
pg-deps:
	.ci/postgres install

## pg-up / pg-down: start / stop the tests' throwaway cluster in PGDIR
pg-up:
	.ci/postgres start $(PGDIR) $(PGPORT)

pg-down:
	.ci/postgres stop $(PGDIR)

## deb: the Debian package, bin/darbaza_VERSION_ARCH.deb (cmd/darbaza/package)
deb: build
	cmd/darbaza/package/build-deb $(BIN) $(VERSION) bin

## deb-check: install the package here (as root) and check what it installed
deb-check: deb
	dpkg -i bin/darbaza_$(VERSION)_$$(dpkg --print-architecture).deb
	darbaza version | grep -F "darbaza $(VERSION) (commit $(COMMIT)"
	darbaza serve --check-config --config /etc/darbaza/darbaza.yaml
	systemd-analyze verify /lib/systemd/system/darbaza.service
	systemd-analyze security --offline=true /lib/systemd/system/darbaza.service | tail -1

clean:
	rm -rf bin
