# SUNK Bridge. `make test` runs every suite (unit, HTTP, real SQLite, real sshd, real NSS) and
# ends with Swift Testing's closing line; it installs the Debian packages it needs first.
SWIFT ?= swift
STATIC_HELPER := .build/static/release/sunk-authorized-keys

.PHONY: deps build helper test serve bench bench-smoke deb fuzz clean

deps:
	bash scripts/install-deps.sh

build:
	$(SWIFT) build --build-tests

# The sshd key helper ships fully static and without Foundation: it runs on every login attempt.
helper:
	$(SWIFT) build -c release --scratch-path .build/static --product sunk-authorized-keys -Xswiftc -static-executable

# Tests run in parallel (Swift Testing), in one `swift test` whose last line covers every suite:
# every child a test starts goes through TestSupport's spawner (swift-subprocess), and the node
# code's own launches (visudo, hooks, sshd -T, sacctmgr) through ProcessRunner. Suites that must not overlap
# with themselves are `.serialized`; the heaviest end-to-end suites (real Slurm, the .deb and
# systemd containers, timed SIGKILL loops) are `.exclusive`, SUNK_TEST_HEAVY_LANES at a time.
# TEST_FLAGS=--no-parallel runs everything one test at a time.
TEST_FLAGS ?=
# How many `.exclusive` suites may overlap (TestSupport/Exclusive.swift).
SUNK_TEST_HEAVY_LANES ?= 2
TEST_ENV = SUNK_AUTHORIZED_KEYS_BIN=$(CURDIR)/$(STATIC_HELPER) SUNK_BRIDGE_BIN=$(CURDIR)/.build/debug/sunk-bridge \
	SUNK_TEST_HEAVY_LANES=$(SUNK_TEST_HEAVY_LANES)
test: deps build helper
	$(TEST_ENV) $(SWIFT) test --skip-build $(TEST_FLAGS)

# Debian package from static release builds (nodes have no Swift runtime). Not part of CI: the
# package test in `make test` packages what the test build made (one compile per run).
VERSION ?= 0.1.0
deb:
	$(SWIFT) build -c release --scratch-path .build/static-stdlib --static-swift-stdlib --product sunk-bridge
	$(SWIFT) build -c release --scratch-path .build/static --product sunk-authorized-keys -Xswiftc -static-executable
	mkdir -p dist/bin
	cp .build/static-stdlib/release/sunk-bridge $(STATIC_HELPER) dist/bin/
	bash packaging/deb/build-deb.sh dist/bin $(VERSION) dist

serve:
	$(SWIFT) run sunk-bridge serve

# Benchmarks (issue 12; Benchmarks/run.py, docs/benchmarks.md): one table, every figure a ratio to a
# reference measured in the same run. Release builds of sunk-bridge and the static helper, the
# ordo-one/benchmark package Benchmarks/InProcess (its own scratch path: `make test` never builds
# it), then the full sizes (1k/10k/100k users; BENCH_SIZES=... and BENCH_ARGS="--only nss" for
# quick runs). Not part of `make test`; `make bench-smoke` (and the test suite) runs every
# benchmark with tiny sizes in seconds.
BENCH_ARGS ?=
bench: helper
	bash Benchmarks/bench-deps.sh
	$(SWIFT) build -c release --product sunk-bridge
	python3 Benchmarks/run.py --bridge .build/release/sunk-bridge --helper $(STATIC_HELPER) \
		--inprocess $(CURDIR)/.build/bench-inprocess --out docs/benchmarks.md $(BENCH_ARGS)

bench-smoke: build helper
	python3 Benchmarks/run.py --smoke --bridge .build/debug/sunk-bridge --helper $(STATIC_HELPER) $(BENCH_ARGS)

# libFuzzer targets (Fuzz/README.md): builds the Fuzz/ package (scratch Fuzz/.build) and fuzzes each
# target for FUZZ_SECONDS; fails, printing the reproducer paths, if any target crashes.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh

clean:
	rm -rf .build Fuzz/.build Benchmarks/InProcess/.build dist
