# SUNK Bridge. `make test` runs every suite (unit, HTTP, real SQLite, real sshd, real NSS) and
# ends with Swift Testing's closing line; it installs the Debian packages it needs first.
SWIFT ?= swift
STATIC_HELPER := .build/static/release/sunk-authorized-keys

.PHONY: deps build helper test serve bench deb fuzz clean

deps:
	bash scripts/install-deps.sh

build:
	$(SWIFT) build --build-tests

# The sshd key helper ships fully static and without Foundation: it runs on every login attempt.
helper:
	$(SWIFT) build -c release --scratch-path .build/static --product sunk-authorized-keys -Xswiftc -static-executable

# Tests run in parallel (Swift Testing): every child process goes through TestSupport's spawner
# (swift-subprocess), which is safe from many tasks at once. Suites that must not overlap with
# themselves are `.serialized`; the heaviest end-to-end suites (real Slurm, the .deb and systemd
# containers, timed SIGKILL loops) are `.exclusive`, one at a time. TEST_FLAGS=--no-parallel runs
# everything one test at a time as before.
# The doctor's suites still start children with Foundation's Process (DoctorTestTools.run), whose
# run() crashes when called from several threads at once on Linux: they run first, one at a time,
# and the parallel run of everything else ends `make test` with Swift Testing's summary line.
TEST_FLAGS ?=
SERIAL_SUITES ?= NodeSyncTests\.Doctor
# How many `.exclusive` suites may overlap (TestSupport/Exclusive.swift).
SUNK_TEST_HEAVY_LANES ?= 2
TEST_ENV = SUNK_AUTHORIZED_KEYS_BIN=$(CURDIR)/$(STATIC_HELPER) SUNK_BRIDGE_BIN=$(CURDIR)/.build/debug/sunk-bridge \
	SUNK_TEST_HEAVY_LANES=$(SUNK_TEST_HEAVY_LANES)
test: deps build helper
	$(TEST_ENV) $(SWIFT) test --skip-build --no-parallel --filter '$(SERIAL_SUITES)'
	$(TEST_ENV) $(SWIFT) test --skip-build --skip '$(SERIAL_SUITES)' $(TEST_FLAGS)

# Debian package from static release builds (nodes have no Swift runtime).
VERSION ?= 0.1.0
deb:
	$(SWIFT) build -c release --scratch-path .build/static-stdlib --static-swift-stdlib --product sunk-bridge
	$(SWIFT) build -c release --scratch-path .build/static --product sunk-authorized-keys -Xswiftc -static-executable
	mkdir -p dist/bin
	cp .build/static-stdlib/release/sunk-bridge $(STATIC_HELPER) dist/bin/
	bash packaging/deb/build-deb.sh dist/bin $(VERSION) dist

serve:
	$(SWIFT) run sunk-bridge serve

bench: helper
	bash Benchmarks/helper-startup.sh $(STATIC_HELPER)

# libFuzzer targets (Fuzz/README.md): builds the Fuzz/ package (scratch Fuzz/.build) and fuzzes each
# target for FUZZ_SECONDS; fails, printing the reproducer paths, if any target crashes.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh

clean:
	rm -rf .build Fuzz/.build dist
