#!/usr/bin/env python3
"""Fails when a source target imports a PullGuard target (or a C module) that its layer
may not import. The layers and their arrows are drawn in docs/architecture.md; this is
the same table, checked on every `import` line under Sources/ and Benchmarks/.

It also fails when any target, tests included, imports one of our modules that its
Package.swift entry does not list: such an import compiles only when another target
happened to build that module first, so a clean checkout would not build.
Run by `make test`; exits 1 naming each forbidden import with its file and line."""
import pathlib
import re
import sys

# Which of our modules each target may import. Modules not named here (Foundation,
# NIO, Logging, Yams...) are free; COpenSSL and CNGHTTP2 are ours to police.
ALLOWED = {
    "PullGuardCore": set(),
    "PullGuardObservability": {"PullGuardCore"},
    "PullGuardOpenSSL": {"COpenSSL", "PullGuardCore"},
    "PullGuardTLS": {"PullGuardCore", "PullGuardOpenSSL", "PullGuardObservability"},
    "PullGuardHTTP": {"PullGuardCore"},
    "PullGuardHTTP2": {"CNGHTTP2", "PullGuardCore", "PullGuardHTTP"},
    "PullGuardProxy": {"PullGuardCore", "PullGuardHTTP", "PullGuardHTTP2", "PullGuardObservability"},
    "PullGuardConfig": {"PullGuardCore"},
    "PullGuard": {"PullGuardCore", "PullGuardObservability", "PullGuardOpenSSL", "PullGuardTLS",
                  "PullGuardHTTP", "PullGuardHTTP2", "PullGuardProxy", "PullGuardConfig"},
    "PullGuardTooling": {"PullGuardCore", "PullGuardOpenSSL", "PullGuardObservability"},
    # Executables sit on top; they may not reach the C libraries directly.
    "pullguard": {"PullGuard", "PullGuardConfig", "PullGuardCore", "PullGuardTooling", "PullGuardObservability"},
    "pullguard-bench": {"PullGuardCore", "PullGuardOpenSSL", "PullGuardTooling", "PullGuardHTTP2"},
    "HandshakeMicrobench": {"PullGuardCore", "PullGuardObservability", "PullGuardOpenSSL", "PullGuardTLS"},
    # The proxy microbenchmark drives `HTTPProxy` with in-memory upstreams (its `package` connector hook).
    "ProxyMicrobench": {"PullGuardCore", "PullGuardObservability", "PullGuardProxy"},
}
POLICED = {"COpenSSL", "CNGHTTP2"} | {name for name in ALLOWED if name.startswith("PullGuard")}
IMPORT = re.compile(r"^\s*(?:@\w+\s+)*(?:(?:public|package|internal|private|fileprivate)\s+)?import\s+(?:\w+\s+)?(\w+)")


def declared_dependencies(root: pathlib.Path) -> dict:
    """Target folder -> the modules its Package.swift entry lists (ours and products)."""
    manifest = (root / "Package.swift").read_text()
    targets = {}
    for block in re.finditer(r"\.(?:target|testTarget|executableTarget)\(\s*name:\s*\"([^\"]+)\"(.*?)\n        \)", manifest, re.S):
        name, body = block.group(1), block.group(2)
        deps = re.search(r"dependencies:\s*\[(.*?)\n            \]", body, re.S)
        listed = set(re.findall(r"\"([^\"]+)\"", deps.group(1))) if deps else set()
        path = re.search(r"path:\s*\"([^\"]+)\"", body)
        kind = "Tests" if ".testTarget(" in manifest[max(0, block.start() - 1):block.start() + 12] else "Sources"
        folder = path.group(1) if path else f"{kind}/{name}"
        targets[folder] = listed
    return targets


def main(root: pathlib.Path) -> int:
    problems = []
    ours = POLICED | {"PullGuardTestSupport"}
    for folder, listed in declared_dependencies(root).items():
        for path in sorted((root / folder).rglob("*.swift")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                match = IMPORT.match(line)
                if match and match.group(1) in ours and match.group(1) not in listed:
                    problems.append(f"{path.relative_to(root)}:{number}: imports {match.group(1)}, "
                                    f"which its target does not list in Package.swift")
    for folder in ("Sources", "Benchmarks"):
        for path in sorted((root / folder).rglob("*.swift")):
            target = path.relative_to(root / folder).parts[0]
            if target not in ALLOWED:
                problems.append(f"{path.relative_to(root)}: target {target} is not in scripts/check-layers.py")
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                match = IMPORT.match(line)
                if match and match.group(1) in POLICED and match.group(1) not in ALLOWED[target] and match.group(1) != target:
                    problems.append(f"{path.relative_to(root)}:{number}: {target} may not import {match.group(1)}")
    for problem in problems:
        print(f"check-layers: {problem}", file=sys.stderr)
    if not problems:
        print("check-layers: every import follows docs/architecture.md")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(__file__).resolve().parent.parent))
