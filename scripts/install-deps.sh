#!/usr/bin/env bash
# Installs the Debian packages PullGuard builds and tests with, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command and exits non-zero.
set -euo pipefail

packages=(libssl-dev libnghttp2-dev curl nghttp2-client openssl pkg-config)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ! command -v swift >/dev/null 2>&1; then
    echo "pullguard: swift is not on PATH; install Swift 6.3 (https://www.swift.org/install/linux/)" >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    echo "pullguard: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "pullguard: missing Debian packages: ${missing[*]}" >&2
    echo "pullguard: run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
