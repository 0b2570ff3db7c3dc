#!/usr/bin/env bash
# Checks a generated pullguard(1) page (make man): section 1, the version from
# Sources/PullGuardCore/PullGuardVersion.swift, and every subcommand the binary has.
# Exits 1 naming what is missing.
set -euo pipefail
page=${1:?usage: check-manual.sh PAGE}
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' "$root/Sources/PullGuardCore/PullGuardVersion.swift")
problems=0
need() {
    grep -q -- "$1" "$page" || { echo "check-manual: $page lacks $2" >&2; problems=1; }
}
need '^\.Dt PULLGUARD 1' "the .Dt PULLGUARD 1 header"
[ -n "$version" ] || { echo "check-manual: no version in PullGuardVersion.swift" >&2; exit 1; }
need "PullGuard $version" "the version $version"
for subcommand in $(sed -n 's/.*subcommands: \[\(.*\)\].*/\1/p' "$root/Sources/pullguard/PullGuardCommand.swift" \
        | tr ',' '\n' | sed 's/[ ]*\([A-Za-z]*\)Command\.self.*/\1/' | tr 'A-Z' 'a-z'); do
    need "$subcommand" "the subcommand $subcommand"
done
[ $problems -eq 0 ] && echo "check-manual: $page has the header, version $version and every subcommand"
exit $problems
