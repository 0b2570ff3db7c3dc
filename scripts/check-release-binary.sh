#!/usr/bin/env bash
# Checks release binaries (make release): none may load a Swift runtime or Foundation
# library at run time. They are installed on machines without a Swift toolchain, where
# such a library is missing, or is another version than the one the binary was built with.
# Exits 1 naming each binary and library.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: check-release-binary.sh BINARY..." >&2; exit 2; }
problems=0
for binary in "$@"; do
    [ -x "$binary" ] || { echo "check-release-binary: $binary is not an executable" >&2; problems=1; continue; }
    libraries=$(ldd "$binary" | awk '/libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime/ {print $1}')
    if [ -n "$libraries" ]; then
        echo "check-release-binary: $binary loads $(echo $libraries | tr ' ' ',') at run time (build with: swift build -c release --static-swift-stdlib)" >&2
        problems=1
    fi
done
[ $problems -eq 0 ] && echo "check-release-binary: $* carry the Swift runtime inside"
exit $problems
