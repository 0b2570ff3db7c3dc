# PullGuard: the README's two commands are `make demo` and `make test`.
SWIFT ?= swift
BUILD_FLAGS ?=
# Release binaries carry the Swift runtime and Foundation inside them: they run without a
# Swift toolchain on the machine, and each runtime call (reference counting, exclusivity
# checks, thread-local look-ups) is a direct call instead of one through a shared
# library's tables (docs/performance.md). scripts/bench-compare.sh builds with the same
# flags: SwiftPM recompiles the whole tree when they change.
RELEASE_FLAGS ?= --static-swift-stdlib

.PHONY: deps test-deps build demo test unit-test integration-test clean release man man-pages install install-files uninstall

## Install missing Debian packages (as root) or print the apt-get line.
deps:
	@scripts/install-deps.sh

## deps, plus the PyPI packages the integration tests use (h2, h11).
test-deps:
	@scripts/install-deps.sh --test

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --product pullguard

## A private demo PKI, a built-in upstream and the proxy on 127.0.0.1:8443 (Ctrl-C stops it).
demo: build
	$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/pullguard demo

## The layer check (scripts/check-layers.py), the generated man page (scripts/check-manual.sh), unit tests (in memory) and integration tests (the real binary with curl and openssl over loopback).
test: test-deps
	python3 scripts/check-layers.py
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(MAKE) man-pages MAN_CONFIGURATION=debug
	$(SWIFT) test $(BUILD_FLAGS) --skip-build

unit-test: deps
	$(SWIFT) test $(BUILD_FLAGS) --skip PullGuardIntegrationTests

integration-test: test-deps
	$(SWIFT) test $(BUILD_FLAGS) --filter PullGuardIntegrationTests

## Installing (docs/operations.md#installing), by the GNU conventions: PREFIX (or prefix),
## DESTDIR for staging, and each folder overridable (bindir, datadir, sysconfdir, mandir...).
PREFIX ?= /usr/local
prefix ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir ?= $(exec_prefix)/bin
datarootdir ?= $(prefix)/share
datadir ?= $(datarootdir)
mandir ?= $(datarootdir)/man
man1dir ?= $(mandir)/man1
# A /usr install (a distribution's package) keeps its configuration in /etc, as
# `configure --prefix=/usr --sysconfdir=/etc` does; any other prefix in $(prefix)/etc.
sysconfdir ?= $(if $(filter /usr,$(prefix)),/etc,$(prefix)/etc)
systemdunitdir ?= $(prefix)/lib/systemd/system
sysusersdir ?= $(prefix)/lib/sysusers.d
INSTALL ?= install
# What install-files copies: the release binaries and the generated man pages, unless given.
BIN_DIR ?=
MAN_DIR ?= .build/man
# The shipped data (the Cloudflare CA and whatever else certs/ holds), by a glob.
SHIPPED_DATA = $(wildcard certs/*)
MAN_PAGES = pullguard.1 pullguard-bench.1

## The release binaries, checked to carry the Swift runtime inside (scripts/check-release-binary.sh).
release: deps
	$(SWIFT) build $(BUILD_FLAGS) $(RELEASE_FLAGS) -c release --product pullguard
	$(SWIFT) build $(BUILD_FLAGS) $(RELEASE_FLAGS) -c release --product pullguard-bench
	bin=$$($(SWIFT) build $(BUILD_FLAGS) $(RELEASE_FLAGS) -c release --show-bin-path) && \
		scripts/check-release-binary.sh "$$bin/pullguard" "$$bin/pullguard-bench"

## pullguard(1) and pullguard-bench(1) in .build/man, generated from the argument parser's help
## by swift-argument-parser's generate-manual plugin; scripts/check-manual.sh checks the result.
## From the debug build: the plugin takes no RELEASE_FLAGS, so a release build of its own would
## recompile the release tree without them. The help text is the same source in both.
man: deps
	$(MAKE) man-pages MAN_CONFIGURATION=debug

## The same from the binaries of MAN_CONFIGURATION (the plugin builds them).
MAN_CONFIGURATION ?= debug
man-pages:
	$(SWIFT) package $(BUILD_FLAGS) generate-manual --configuration $(MAN_CONFIGURATION)
	mkdir -p .build/man
	for page in $(MAN_PAGES); do \
		cp ".build/plugins/GenerateManual/outputs/$${page%.1}/$$page" .build/man/ || exit 1; \
	done
	scripts/check-manual.sh .build/man/pullguard.1

## make release, make man, then install-files (PREFIX=/usr/local, DESTDIR for staging).
install: release man
	$(MAKE) install-files BIN_DIR="$$($(SWIFT) build $(BUILD_FLAGS) $(RELEASE_FLAGS) -c release --show-bin-path)"

## Copies what install lays out, without building: BIN_DIR (the binaries) and MAN_DIR (the pages).
## An existing configuration file is kept.
install-files:
	@test -n "$(BIN_DIR)" || { echo "install-files: set BIN_DIR (make install sets it)" >&2; exit 1; }
	$(INSTALL) -d "$(DESTDIR)$(bindir)" "$(DESTDIR)$(datadir)/pullguard/certs" "$(DESTDIR)$(man1dir)" \
		"$(DESTDIR)$(sysconfdir)/pullguard" "$(DESTDIR)$(systemdunitdir)" "$(DESTDIR)$(sysusersdir)"
	$(INSTALL) -m 0755 "$(BIN_DIR)/pullguard" "$(BIN_DIR)/pullguard-bench" "$(DESTDIR)$(bindir)/"
	$(INSTALL) -m 0644 $(SHIPPED_DATA) "$(DESTDIR)$(datadir)/pullguard/certs/"
	for page in $(MAN_PAGES); do $(INSTALL) -m 0644 "$(MAN_DIR)/$$page" "$(DESTDIR)$(man1dir)/" || exit 1; done
	@if [ -e "$(DESTDIR)$(sysconfdir)/pullguard/pullguard.yaml" ]; then \
		echo "install: keeping the existing $(DESTDIR)$(sysconfdir)/pullguard/pullguard.yaml"; \
	else \
		echo "$(INSTALL) -m 0644 dist/pullguard.yaml $(DESTDIR)$(sysconfdir)/pullguard/pullguard.yaml"; \
		$(INSTALL) -m 0644 dist/pullguard.yaml "$(DESTDIR)$(sysconfdir)/pullguard/pullguard.yaml"; \
	fi
	sed -e 's|@bindir@|$(bindir)|g' -e 's|@sysconfdir@|$(sysconfdir)|g' -e 's|@sysusersdir@|$(sysusersdir)|g' \
		dist/systemd/pullguard.service.in > "$(DESTDIR)$(systemdunitdir)/pullguard.service"
	chmod 0644 "$(DESTDIR)$(systemdunitdir)/pullguard.service"
	$(INSTALL) -m 0644 dist/sysusers.d/pullguard.conf "$(DESTDIR)$(sysusersdir)/pullguard.conf"

## Removes what install-files put in place, except the configuration (yours by then).
uninstall:
	rm -f "$(DESTDIR)$(bindir)/pullguard" "$(DESTDIR)$(bindir)/pullguard-bench"
	rm -f $(addprefix "$(DESTDIR)$(datadir)/pullguard/certs/,$(addsuffix ",$(notdir $(SHIPPED_DATA))))
	-rmdir "$(DESTDIR)$(datadir)/pullguard/certs" "$(DESTDIR)$(datadir)/pullguard" 2>/dev/null
	rm -f $(addprefix "$(DESTDIR)$(man1dir)/,$(addsuffix ",$(MAN_PAGES)))
	rm -f "$(DESTDIR)$(systemdunitdir)/pullguard.service" "$(DESTDIR)$(sysusersdir)/pullguard.conf"
	@echo "uninstall: kept $(DESTDIR)$(sysconfdir)/pullguard (configuration and keys)"

clean:
	rm -rf .build .pullguard-demo
