// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "PullGuard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pullguard", targets: ["pullguard"]),
        .library(name: "PullGuard", targets: ["PullGuard"]),
        .executable(name: "pullguard-bench", targets: ["pullguard-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
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
        .target(
            name: "PullGuard",
            dependencies: [
                "COpenSSL",
                "CNGHTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "pullguard",
            dependencies: [
                "PullGuard",
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
                "PullGuard",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HandshakeMicrobench"
        ),
        /// The mTLS load generator: drives the client role of the OpenSSL wrapper.
        .executableTarget(
            name: "pullguard-bench",
            dependencies: [
                "PullGuard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        /// Test PKI and helpers shared by the unit and integration tests.
        .target(
            name: "PullGuardTestSupport",
            dependencies: [
                "PullGuard",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/PullGuardTestSupport"
        ),
        .testTarget(
            name: "PullGuardTests",
            dependencies: [
                "PullGuard",
                "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PullGuardIntegrationTests",
            dependencies: [
                "PullGuard",
                "PullGuardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
