// swift-tools-version:6.1
import PackageDescription

/// Full cross-module optimisation in release builds: the request path crosses several of
/// our targets per request (Proxy → HTTP → Core), and with SwiftPM's default (conservative)
/// mode the small functions there stayed calls, costing ~10% of a keep-alive request
/// (docs/performance.md). Our targets are built together, so nothing is lost by letting
/// the optimiser see across them.
let acrossTargets: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "PullGuard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pullguard", targets: ["pullguard"]),
        .library(name: "PullGuard", targets: ["PullGuard", "PullGuardConfig", "PullGuardTooling"]),
        .executable(name: "pullguard-bench", targets: ["pullguard-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        /// The system OpenSSL 3 (libssl-dev): a module map and one shim header.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        /// The system libnghttp2 (libnghttp2-dev): a module map and one shim header.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        /// Values only: the resolved sites and settings, verification policy on certificate facts, site selection by name, session bindings.
        .target(
            name: "PullGuardCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: acrossTargets
        ),
        /// Counters (and later the access log), injected from the composition root, and their
        /// Prometheus exposition (swift-prometheus writes the text format at scrape time).
        /// Per-loop counters use the standard library's `Synchronization.Atomic` (hence macOS 15).
        .target(
            name: "PullGuardObservability",
            dependencies: [
                "PullGuardCore",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: acrossTargets
        ),
        /// The OpenSSL wrapper: the only importer of COpenSSL. One Swift owner per C object, thin callback trampolines.
        .target(
            name: "PullGuardOpenSSL",
            dependencies: [
                "COpenSSL",
                "PullGuardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: acrossTargets
        ),
        /// TLS termination: the server handler and its value state machine.
        .target(
            name: "PullGuardTLS",
            dependencies: [
                "PullGuardOpenSSL",
                "PullGuardCore",
                "PullGuardObservability",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: acrossTargets
        ),
        /// Header policy, request framing and Host binding: pure functions on request heads.
        .target(
            name: "PullGuardHTTP",
            dependencies: [
                "PullGuardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: acrossTargets
        ),
        /// HTTP/2 on libnghttp2: the only importer of CNGHTTP2.
        .target(
            name: "PullGuardHTTP2",
            dependencies: [
                "CNGHTTP2",
                "PullGuardCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: acrossTargets
        ),
        /// Forwarding: the connection and exchange state machines, the upstream pool, tunnels.
        .target(
            name: "PullGuardProxy",
            dependencies: [
                "PullGuardHTTP",
                "PullGuardHTTP2",
                "PullGuardCore",
                "PullGuardObservability",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: acrossTargets
        ),
        /// One strict schema, validated once, mapped into the core values.
        .target(
            name: "PullGuardConfig",
            dependencies: [
                "PullGuardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: acrossTargets
        ),
        /// The composition root: listeners, accept-time limits, pipelines per connection, the current configuration generation.
        .target(
            name: "PullGuard",
            dependencies: [
                "PullGuardCore",
                "PullGuardObservability",
                "PullGuardOpenSSL",
                "PullGuardTLS",
                "PullGuardHTTP",
                "PullGuardHTTP2",
                "PullGuardProxy",
                "PullGuardConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: acrossTargets
        ),
        /// Outside the server's path: the private PKI, the demo upstream, the load generator's client TLS role and reports.
        .target(
            name: "PullGuardTooling",
            dependencies: [
                "PullGuardCore",
                "PullGuardOpenSSL",
                "PullGuardObservability",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: acrossTargets
        ),
        .executableTarget(
            name: "pullguard",
            dependencies: [
                "PullGuard", "PullGuardConfig", "PullGuardCore", "PullGuardObservability", "PullGuardTooling",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// In-memory handshake microbenchmark (server-side CPU per handshake); see docs/performance.md.
        .executableTarget(
            name: "pullguard-handshake-microbench",
            dependencies: [
                "PullGuardCore", "PullGuardObservability", "PullGuardOpenSSL", "PullGuardTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HandshakeMicrobench"
        ),
        /// In-memory proxy microbenchmark (CPU per proxied request, HTTP/1.1 and HTTP/2, no TLS, no sockets).
        .executableTarget(
            name: "pullguard-proxy-microbench",
            dependencies: [
                "PullGuardCore", "PullGuardObservability", "PullGuardProxy", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ProxyMicrobench"
        ),
        /// The mTLS load generator: drives the client role of the OpenSSL wrapper (and of nghttp2 for `--http 2`).
        .executableTarget(
            name: "pullguard-bench",
            dependencies: [
                "PullGuardCore", "PullGuardOpenSSL", "PullGuardTooling", "PullGuardHTTP2",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        /// Test PKI and helpers shared by the unit and integration tests.
        .target(
            name: "PullGuardTestSupport",
            dependencies: [
                "PullGuardCore", "PullGuardOpenSSL", "PullGuardTLS", "PullGuardObservability",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PullGuardTestSupport"
        ),
        // Unit tests mirror the source targets: one test target per target that has tests.
        .testTarget(
            name: "PullGuardCoreTests",
            dependencies: [
                "PullGuardCore", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardObservabilityTests",
            dependencies: [
                "PullGuardObservability", "PullGuardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardOpenSSLTests",
            dependencies: [
                "PullGuardOpenSSL", "PullGuardCore", "PullGuardTLS", "PullGuardObservability", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardTLSTests",
            dependencies: [
                "PullGuardTLS", "PullGuardOpenSSL", "PullGuardCore", "PullGuardObservability", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardHTTPTests",
            dependencies: [
                "PullGuardHTTP", "PullGuardCore", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardHTTP2Tests",
            dependencies: [
                "PullGuardHTTP2", "PullGuardCore", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardProxyTests",
            dependencies: [
                "PullGuardProxy", "PullGuardHTTP", "PullGuardHTTP2", "PullGuardCore", "PullGuardObservability", "PullGuardTooling", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardConfigTests",
            dependencies: [
                "PullGuardConfig", "PullGuardCore", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardToolingTests",
            dependencies: [
                "PullGuardTooling", "PullGuardOpenSSL", "PullGuardCore", "PullGuardObservability", "PullGuardTLS", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardTests",
            dependencies: [
                "PullGuard", "PullGuardCore", "PullGuardOpenSSL", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardIntegrationTests",
            dependencies: [
                "PullGuard", "PullGuardCore", "PullGuardOpenSSL", "PullGuardTooling", "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
