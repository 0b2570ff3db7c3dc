#!/usr/bin/env bash
# Installs the Debian packages PullGuard builds and tests with, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command and exits non-zero.
# With --test, also systemd (for systemd-analyze), then the PyPI packages the integration tests' probes import
# (Tests/Scripts/h2_probe.py: h2, which brings hyperframe and hpack; Tests/Scripts/h11_client.py: h11), with pip, when they
# are missing; building and the demo need none of them.
set -euo pipefail

with_test_packages=false
[ "${1:-}" = "--test" ] && with_test_packages=true

# The PyPI packages the tests use: `pip install` spec, and the module that proves it is there.
python_packages=("h2==4.*:h2" "h11==0.*:h11")

install_python_packages() {
    $with_test_packages || return 0
    local entry spec module missing_specs=()
    if ! command -v python3 >/dev/null 2>&1; then
        echo "pullguard: python3 is not on PATH; install it (Debian: apt-get install -y python3 python3-pip)" >&2
        return 1
    fi
    for entry in "${python_packages[@]}"; do
        spec=${entry%%:*}
        module=${entry##*:}
        python3 -c "import $module" >/dev/null 2>&1 || missing_specs+=("$spec")
    done
    [ ${#missing_specs[@]} -eq 0 ] && return 0
    # Quoted for the messages: `h2==4.*` is a glob to the shell.
    local quoted
    quoted=$(printf "'%s' " "${missing_specs[@]}")
    if ! python3 -m pip --version >/dev/null 2>&1; then
        echo "pullguard: missing Python packages: ${missing_specs[*]}, and pip is not available" >&2
        echo "pullguard: install pip (Debian: apt-get install -y python3-pip), then run: python3 -m pip install ${quoted% }" >&2
        return 1
    fi
    # Root installs for everyone; anyone else into their user site (no sudo needed).
    local user=()
    [ "$(id -u)" -eq 0 ] || user=(--user)
    echo "pullguard: running: python3 -m pip install --quiet ${user[*]:+${user[*]} }${quoted% }" >&2
    if ! python3 -m pip install --quiet "${user[@]}" "${missing_specs[@]}"; then
        echo "pullguard: pip could not install ${missing_specs[*]}; run it by hand: python3 -m pip install ${quoted% }" >&2
        return 1
    fi
}

packages=(libssl-dev libnghttp2-dev curl nghttp2-client openssl pkg-config)
# The tests also check the installed systemd unit with systemd-analyze (InstallTests).
$with_test_packages && packages+=(systemd)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ! command -v swift >/dev/null 2>&1; then
    echo "pullguard: swift is not on PATH; install Swift 6.3 (https://www.swift.org/install/linux/)" >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
    install_python_packages
    exit $?
fi

if [ "$(id -u)" -eq 0 ]; then
    echo "pullguard: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    install_python_packages
else
    echo "pullguard: missing Debian packages: ${missing[*]}" >&2
    echo "pullguard: run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
