# PullGuard: the README's two commands are `make demo` and `make test`.
SWIFT ?= swift
BUILD_FLAGS ?=

.PHONY: deps test-deps build demo test unit-test integration-test clean

## Install missing Debian packages (as root) or print the apt-get line.
deps:
	@scripts/install-deps.sh

## deps, plus the PyPI packages the integration tests use (h2).
test-deps:
	@scripts/install-deps.sh --test

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --product pullguard

## A private demo PKI, a built-in upstream and the proxy on 127.0.0.1:8443 (Ctrl-C stops it).
demo: build
	$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/pullguard demo

## The layer check (scripts/check-layers.py), unit tests (in memory) and integration tests (the real binary with curl and openssl over loopback).
test: test-deps
	python3 scripts/check-layers.py
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build

unit-test: deps
	$(SWIFT) test $(BUILD_FLAGS) --skip PullGuardIntegrationTests

integration-test: test-deps
	$(SWIFT) test $(BUILD_FLAGS) --filter PullGuardIntegrationTests

clean:
	rm -rf .build .pullguard-demo
