// swift-tools-version: 6.2
import PackageDescription

// Layers, bottom-up; each target imports only the ones below it:
// CReparamKernels → ReparamTensor → ReparamRandom → ReparamDistributions, ReparamNN →
// ReparamFlows, ReparamEstimators, ReparamData → ReparamModels, ReparamRL, ReparamPreference →
// Reparam (umbrella) → ReparamLab, ReparamSweep → reparam (CLI).
let package = Package(
    name: "Reparam",
    products: [
        // The umbrella (every layer, one import) and each layer on its own, so a project can take
        // only what it needs: tensors and autodiff, or distributions, without the applications.
        .library(name: "Reparam", targets: ["Reparam"]),
        .library(name: "ReparamTensor", targets: ["ReparamTensor"]),
        .library(name: "ReparamRandom", targets: ["ReparamRandom"]),
        .library(name: "ReparamDistributions", targets: ["ReparamDistributions"]),
        .library(name: "ReparamNN", targets: ["ReparamNN"]),
        .library(name: "ReparamEstimators", targets: ["ReparamEstimators"]),
        .library(name: "ReparamFlows", targets: ["ReparamFlows"]),
        .library(name: "ReparamData", targets: ["ReparamData"]),
        .library(name: "ReparamModels", targets: ["ReparamModels"]),
        .library(name: "ReparamRL", targets: ["ReparamRL"]),
        .library(name: "ReparamPreference", targets: ["ReparamPreference"]),
        .library(name: "ReparamLab", targets: ["ReparamLab"]),
        .library(name: "ReparamSweep", targets: ["ReparamSweep"]),
        .executable(name: "reparam", targets: ["ReparamCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        // `swift package generate-documentation` (docs/README: building the documentation).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .target(
            name: "CReparamKernels",
            cSettings: [
                // Kernels stay fast under `swift test` (debug); release uses SwiftPM's own -O.
                .unsafeFlags(["-O2"], .when(configuration: .debug))
            ],
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m")]
        ),
        .target(name: "ReparamTensor", dependencies: ["CReparamKernels"]),
        .target(name: "ReparamRandom", dependencies: ["ReparamTensor", "CReparamKernels"]),
        .target(name: "ReparamNN", dependencies: ["ReparamRandom", "ReparamTensor", "CReparamKernels"]),
        .target(name: "ReparamDistributions", dependencies: ["ReparamRandom", "ReparamTensor", "CReparamKernels"]),
        .target(name: "ReparamData", dependencies: ["ReparamTensor", "CZlib"]),
        .target(
            name: "ReparamEstimators",
            dependencies: ["ReparamDistributions", "ReparamNN", "ReparamRandom", "ReparamTensor"]),
        .target(
            name: "ReparamFlows",
            dependencies: [
                "ReparamDistributions", "ReparamNN", "ReparamData", "ReparamRandom", "ReparamTensor", "CReparamKernels",
            ]),
        .target(
            name: "ReparamModels",
            dependencies: [
                "ReparamFlows", "ReparamEstimators", "ReparamDistributions", "ReparamData", "ReparamNN",
                "ReparamRandom", "ReparamTensor",
            ]),
        .target(
            name: "ReparamRL",
            dependencies: ["ReparamDistributions", "ReparamNN", "ReparamData", "ReparamRandom", "ReparamTensor"]),
        .target(
            name: "ReparamPreference", dependencies: ["ReparamNN", "ReparamData", "ReparamRandom", "ReparamTensor"]),
        .target(
            name: "Reparam",
            dependencies: [
                "ReparamPreference", "ReparamRL", "ReparamModels", "ReparamFlows", "ReparamData", "ReparamEstimators",
                "ReparamDistributions", "ReparamNN", "ReparamRandom", "ReparamTensor",
            ]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "ReparamLab", dependencies: ["Reparam"]),
        // Sweeps run the CLI's own commands as tasks: a layer beside the lab, under the CLI.
        .target(name: "ReparamSweep"),
        .executableTarget(
            name: "ReparamCLI",
            dependencies: [
                "Reparam", "ReparamLab", "ReparamSweep", "CReparamKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "ReparamTestSupport",
            dependencies: ["CReparamKernels", "ReparamDistributions", "ReparamRandom", "ReparamTensor"],
            path: "Tests/ReparamTestSupport"),
        .testTarget(
            name: "ReparamKernelTests", dependencies: ["CReparamKernels", "ReparamTensor", "ReparamTestSupport"]),
        .testTarget(
            name: "ReparamTensorTests", dependencies: ["CReparamKernels", "ReparamTensor", "ReparamTestSupport"]),
        .testTarget(
            name: "ReparamRandomTests",
            dependencies: ["ReparamTensor", "ReparamRandom", "CReparamKernels", "ReparamTestSupport"]),
        .testTarget(
            name: "ReparamNNTests", dependencies: ["CReparamKernels", "ReparamTensor", "ReparamNN", "ReparamRandom"]),
        .testTarget(
            name: "ReparamModelsTests",
            dependencies: [
                "ReparamDistributions",
                "ReparamModels", "ReparamEstimators", "ReparamFlows", "ReparamData", "ReparamNN", "ReparamRandom",
                "ReparamTensor", "ReparamTestSupport",
            ]),
        .testTarget(
            name: "ReparamFlowsTests",
            dependencies: [
                "ReparamFlows", "ReparamData", "ReparamDistributions", "ReparamNN", "ReparamRandom", "ReparamTensor",
                "ReparamTestSupport",
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ReparamRLTests",
            dependencies: ["ReparamData", "ReparamRL", "ReparamNN", "ReparamRandom", "ReparamTensor"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ReparamPreferenceTests",
            dependencies: ["ReparamPreference", "ReparamNN", "ReparamRandom", "ReparamTensor"]),
        .testTarget(name: "ReparamDataTests", dependencies: ["ReparamData", "CZlib"]),
        .testTarget(name: "ReparamLabTests", dependencies: ["ReparamLab", "Reparam"]),
        .testTarget(name: "ReparamSweepTests", dependencies: ["ReparamSweep"]),
        .testTarget(
            name: "ReparamCLITests",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser"), "CZlib", "ReparamCLI"]),
        .testTarget(
            name: "ReparamEstimatorsTests",
            dependencies: ["ReparamEstimators", "ReparamDistributions", "ReparamNN", "ReparamRandom", "ReparamTensor"]),
        .testTarget(
            name: "ReparamDistributionsTests",
            dependencies: ["ReparamTensor", "ReparamDistributions", "ReparamRandom", "ReparamTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
