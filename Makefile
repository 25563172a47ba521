# Darbaza. `make run` serves the demo; `make test` runs what CI runs.
GO          ?= go
BIN         := bin/darbaza
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s

.PHONY: all build run test check fmt vet staticcheck bench bench-smoke fuzz interop-deps clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/darbaza

## run: a server on the embedded demo data with demo keys (made in ./demo on first start)
run: build
	$(BIN) serve --demo

## test: unit, end-to-end and interop tests with the race detector
# The xml-crypto check of signed responses uses the node modules that
# interop-deps installs; without them that one test skips (and fails in CI).
test:
	DARBAZA_XMLCRYPTO_NODE_PATH=$(CURDIR)/testdata/interop/node_modules $(GO) test -race -count=1 ./...

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
	$(GO) test -run='^$$' -bench=. -benchmem -count=5 ./soap ./signing ./adapter/... ./registry/...

## bench-smoke: the bench on a tiny dataset in seconds (CI runs it as TestBenchSmoke)
bench-smoke: build
	$(BIN) bench --people 1000 --duration 1s --callers 1,16

## fuzz: every fuzz target for FUZZTIME each
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=3s $$pkg || exit 1; \
	  done; \
	done

## interop-deps: the real SOAP clients the interop tests drive, and strace for the
## access log's fsync test (Debian + npm)
interop-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1 libxml2-utils python3-zeep python3-xmlsec strace >/dev/null
	cd testdata/interop && npm ci --no-audit --no-fund --silent

clean:
	rm -rf bin
