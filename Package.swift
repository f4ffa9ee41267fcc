// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Paperboy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "paperboy", targets: ["paperboy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/pointfreeco/swift-snapshot-testing.git", from: "1.19.7"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Only the OTLP/HTTP exporter: the gRPC one would add grpc-swift to every build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Models, dates, ranking and text helpers: pure logic, no I/O.
        .target(
            name: "PaperboyCore"
        ),
        // The store contract: the protocols both stores implement, the paper row described once,
        // keyword-search planning and the copy schema. No database driver.
        .target(
            name: "PaperboyStore",
            dependencies: ["PaperboyCore"]
        ),
        // The store on SQLite (GRDB, FTS5): the embedded default, with its migrations.
        .target(
            name: "PaperboySQLite",
            dependencies: [
                "PaperboyCore",
                "PaperboyStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // The same store protocol over PostgreSQL (postgres-nio's pooled client), with its own migrations.
        .target(
            name: "PaperboyPostgres",
            dependencies: [
                "PaperboyCore",
                "PaperboyStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // OpenBLAS from Debian's libopenblas-dev, for the embedding model and vector search.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: nil,
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The embedding model's products for a short text (a query's few tokens), where
        // OpenBLAS spends more time copying the weights than multiplying: AVX2+FMA, chosen at run time.
        .target(
            name: "CMatrixKernels",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),
        // Tokenizer, embedding model, vector index, hybrid ranking: search logic without SQL.
        .target(
            name: "PaperboySearch",
            dependencies: [
                "PaperboyCore", "PaperboyStore", "COpenBLAS", "CMatrixKernels",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // The model's inner loops are 50× slower unoptimised; debug builds (and so the test
            // suite) would spend minutes embedding the demo corpus without this.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // Bulk imports (Paperboy JSONL, arXiv snapshot, HF daily_papers JSON) and the synthetic generator.
        .target(
            name: "PaperboyIngest",
            dependencies: [
                "PaperboyCore",
                "PaperboyStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Mail messages (RFC 5322, MIME) and transports: a folder of .eml files, SMTP.
        .target(
            name: "PaperboyMail",
            dependencies: [
                "PaperboyCore",
                "PaperboyStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Routes, page models, templates, the HF-compatible JSON API and the Atom feed.
        .target(
            name: "PaperboyWeb",
            dependencies: [
                "PaperboyCore",
                "PaperboyStore",
                "PaperboySearch",
                "PaperboyMail",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            resources: [.copy("Resources")]
        ),
        // Synthetic corpora, OAI-PMH pages and vectors, and the benchmarks that use them: kept
        // out of the modules the server runs.
        .target(
            name: "PaperboyBench",
            dependencies: ["PaperboyCore", "PaperboyStore", "PaperboyIngest", "PaperboySearch"]
        ),
        // The composition root: one typed configuration (command line, environment, JSON file),
        // opening stores, the scheduled jobs and everything `serve` runs, so tests can start it in-process.
        .target(
            name: "PaperboyApp",
            dependencies: [
                "PaperboyCore",
                "PaperboyStore", "PaperboySQLite",
                "PaperboyPostgres",
                "PaperboyIngest",
                "PaperboySearch",
                "PaperboyMail",
                "PaperboyWeb",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        .executableTarget(
            name: "paperboy",
            dependencies: [
                "PaperboyApp",
                "PaperboyBench",
                "PaperboyCore",
                "PaperboyStore",
                "PaperboySQLite",
                "PaperboyIngest",
                "PaperboySearch",
                "PaperboyWeb",
                "PaperboyMail",
                "PaperboyPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Temporary databases, sample papers and a fixed clock for the test targets.
        .target(
            name: "PaperboyTestSupport",
            dependencies: ["PaperboyCore", "PaperboyStore", "PaperboySQLite", "PaperboyPostgres"],
            path: "Tests/PaperboyTestSupport"
        ),
        .testTarget(name: "PaperboyCoreTests", dependencies: ["PaperboyCore"]),
        .testTarget(
            name: "PaperboySearchTests",
            dependencies: ["PaperboySearch", "PaperboyBench", "PaperboyCore", "PaperboyStore", "PaperboySQLite", "PaperboyIngest", "PaperboyTestSupport", "PaperboyPostgres"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "PaperboyStoreTests",
            dependencies: [
                "PaperboyStore", "PaperboySearch", "PaperboySQLite", "PaperboyCore", "PaperboyPostgres", "PaperboyTestSupport",
                // Only to drive the SQLite store's readers directly.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "PaperboyIngestTests",
            dependencies: [
                "PaperboyIngest", "PaperboyBench", "PaperboyStore", "PaperboySearch", "PaperboySQLite", "PaperboyCore", "PaperboyTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "PaperboyWebTests",
            dependencies: [
                "PaperboyWeb", "PaperboyApp", "PaperboyStore", "PaperboySQLite", "PaperboyCore", "PaperboyIngest", "PaperboyTestSupport", "PaperboyMail", "PaperboyPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Only to give a test database a migration this binary does not know, and to write
                // to it as another process would.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SnapshotTesting", package: "swift-snapshot-testing"),
                // Only to render a probe page through layout.mustache (SiteDocumentTests).
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            exclude: ["__Snapshots__"]
        ),
        .testTarget(name: "PaperboyMailTests", dependencies: ["PaperboyMail", "PaperboyCore", "PaperboyTestSupport"]),
        .testTarget(
            name: "PaperboyAppTests",
            dependencies: [
                "PaperboyApp", "PaperboyStore", "PaperboySQLite", "PaperboyCore", "PaperboyTestSupport", "PaperboyPostgres", "PaperboyIngest",
                "PaperboySearch",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                // Only to store a personal API token's hash, as the server does.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "PaperboyCore", "PaperboyStore", "PaperboySQLite", "PaperboyTestSupport", "PaperboyPostgres", "PaperboySearch",
                // A local OAI-PMH server for the ingest binary to harvest.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
