import Foundation
import ReparamData
import ReparamDistributions
import ReparamFlows
import ReparamRandom
import ReparamTensor
import ReparamTestSupport
import Testing
import _Differentiation

/// Fixtures/flows.json, written by scripts/generate_flow_fixtures.py with numpy and
/// scikit-learn (FFJORD's toy-data generators).
struct FlowFixtures: Decodable {
    struct EnergyCase: Decodable {
        let points: [[Double]]
        let values: [Double]
        let log_z: Double
    }
    struct Moments: Decodable {
        let mean: [Double]
        let covariance: [[Double]]
        let fourth_moments: [Double]
        let count: Int
    }
    let energies: [String: EnergyCase]
    let toy_data: [String: Moments]

    static let shared: FlowFixtures = {
        let url = Bundle.module.url(forResource: "flows", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(FlowFixtures.self, from: Data(contentsOf: url))
    }()
}

@Suite struct FlowTaskTests {
    /// U1-U4 (with the wall) against the float64 formulas at points inside and outside the box;
    /// log Z by our 1000² quadrature against numpy's 2000² one.
    @Test func energiesMatchTheReference() {
        for energy in Energy.allCases {
            let reference = FlowFixtures.shared.energies[energy.rawValue]!
            let z = Tensor(
                shape: [reference.points.count, 2], scalars: reference.points.flatMap { $0.map(Float.init) })
            let values = energy(z).scalars
            for (i, exact) in reference.values.enumerated() {
                #expect(
                    Swift.abs(Double(values[i]) - exact) <= 2e-5 * Swift.max(1, Swift.abs(exact)),
                    "\(energy) at \(reference.points[i]): \(values[i]) vs \(exact)")
            }
            #expect(Swift.abs(energy.logNormalizer() - reference.log_z) < 1e-3, "\(energy) log Z")
        }
    }

    /// Each 2-D set's mean, covariance and fourth moments agree with FFJORD's generator within
    /// 5 standard errors (of the difference of two independent estimates).
    @Test func toyDataMatchTheReferenceGenerators() {
        let n = 200_000
        for set in ToyData.allCases {
            let reference = FlowFixtures.shared.toy_data[set.rawValue]!
            let x = set.sample(n, key: RandomKey(seed: 31)).scalars.map(Double.init)
            let m = Double(reference.count)
            for j in 0..<2 {
                let column = stride(from: j, to: x.count, by: 2).map { x[$0] }
                let mean = column.reduce(0, +) / Double(n)
                let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
                #expect(
                    Swift.abs(mean - reference.mean[j]) < 5 * (variance / Double(n) + variance / m).squareRoot(),
                    "\(set) mean[\(j)] \(mean) vs \(reference.mean[j])")
                // Var of the sample variance ≈ (μ₄ − σ⁴)/n about the mean; μ₄ bounded by E[x⁴].
                let fourth = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) * ($1 - mean) * ($1 - mean) } / Double(n)
                let se = ((fourth - variance * variance) * (1 / Double(n) + 1 / m)).squareRoot()
                #expect(
                    Swift.abs(variance - reference.covariance[j][j]) < 5 * se,
                    "\(set) variance[\(j)] \(variance) vs \(reference.covariance[j][j]) (se \(se))")
            }
        }
    }

    /// A 2-D flow whose layers are moved well off the identity integrates to 1 over a wide
    /// square (midpoint rule, 800² cells). Larger moves make density spikes narrower than a cell:
    /// at 0.5 the spline flow read 0.43, 0.93, 0.946 on 300², 600², 1200² grids while all of its
    /// samples lay inside the square.
    @Test func twoDimensionalFlowDensitiesIntegrateToOne() {
        let key = RandomKey(seed: 4)
        let flows: [(String, (Tensor) -> Tensor)] = [
            (
                "spline",
                { x in
                    Flow(
                        layers: (0..<3).map {
                            perturbed(
                                SplineCoupling(
                                    dimension: 2, hidden: [16], swapped: $0 % 2 == 1,
                                    key: key.fold(in: UInt64($0))), key: key, scale: 0.25)
                        },
                        dimension: 2
                    ).logProb(x)
                }
            ),
            (
                "realnvp",
                { x in
                    Flow(
                        layers: (0..<4).map {
                            perturbed(
                                AffineCoupling(
                                    dimension: 2, hidden: [16], swapped: $0 % 2 == 1,
                                    key: key.fold(in: UInt64($0))), key: key, scale: 0.1)
                        },
                        dimension: 2
                    ).logProb(x)
                }
            ),
            (
                "maf",
                { x in
                    Flow(
                        layers: (0..<3).map {
                            perturbed(
                                MaskedAutoregressive(
                                    dimension: 2, hidden: [16], reversedOrder: $0 % 2 == 1,
                                    key: key.fold(in: UInt64($0))), key: key, scale: 0.2)
                        },
                        dimension: 2
                    ).logProb(x)
                }
            ),
            (
                "planar (inverted)",
                { x in
                    Flow(
                        layers: (0..<4).map {
                            perturbed(
                                Inverse(Planar(dimension: 2, key: key.fold(in: UInt64($0)))),
                                key: key.fold(in: 9), scale: 0.5)
                        }, dimension: 2
                    ).logProb(x)
                }
            ),
        ]
        let m = 800
        let box: Float = 9
        let h = 2 * box / Float(m)
        var scalars = [Float](repeating: 0, count: 2 * m * m)
        for k in 0..<(m * m) {
            scalars[2 * k] = -box + h * (Float(k / m) + 0.5)
            scalars[2 * k + 1] = -box + h * (Float(k % m) + 0.5)
        }
        let grid = Tensor(shape: [m * m, 2], scalars: scalars)
        for (name, logProb) in flows {
            let total = logProb(grid).scalars.reduce(0.0) { $0 + Foundation.exp(Double($1)) } * Double(h * h)
            #expect(Swift.abs(total - 1) < 5e-3, "\(name): ∫p = \(total)")
        }
    }

    /// A run stopped at step 30 and resumed from its checkpoint ends where an uninterrupted run
    /// does, bit for bit (batches and noise come from the seed and the step).
    @Test func resumedTrainingIsBitExact() throws {
        for (task, flow) in [
            (FlowTask.density(.rings), FlowKind.maf), (.energy(.u3), .planar), (.density(.pinwheel), .spline),
        ] {
            let configuration = FlowConfiguration(
                task: task, flow: flow, layers: 2, hidden: [8], steps: 60, batchSize: 32,
                trainCount: 500, testCount: 100)
            var straight = try makeFlowTrainer(configuration)
            for _ in 0..<60 { try straight.trainStep() }
            var first = try makeFlowTrainer(configuration)
            for _ in 0..<30 { try first.trainStep() }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "flow-resume-\(flow.rawValue).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try first.writeCheckpoint(to: url)
            var resumed = try readFlowCheckpoint(url)
            #expect(resumed.step == 30)
            for _ in 0..<30 { try resumed.trainStep() }
            let probe = Tensor(shape: [3, 2], scalars: [0.1, -0.3, 1.2, 0.4, -2, 0.7])
            #expect(resumed.logDensity(probe) == straight.logDensity(probe), "\(flow) on \(task.name)")
        }
    }

    @Test func checkpointsWithMissingOrMisshapenTensorsAreRefusedByName() throws {
        let configuration = FlowConfiguration(
            task: .density(.rings), flow: .realnvp, layers: 2, hidden: [8], steps: 1, trainCount: 50,
            testCount: 10)
        let trainer = try makeFlowTrainer(configuration)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flow-broken.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try trainer.writeCheckpoint(to: url)
        var file = try SafeTensors.read(url)
        let victim = file.tensors[1].name
        file.tensors[1].tensor = Tensor.zeros([3])
        try file.write(to: url)
        #expect { try readFlowCheckpoint(url) } throws: { "\($0)".contains(victim) && "\($0)".contains("shape") }
        file.tensors.remove(at: 1)
        try file.write(to: url)
        #expect { try readFlowCheckpoint(url) } throws: { "\($0)".contains(victim) && "\($0)".contains("missing") }
    }

    /// MADE-based flows trained before the hidden units were laid out in degree order would load
    /// with the right shapes and compute a wrong density, so their checkpoints are refused.
    @Test func autoregressiveCheckpointsOfAnotherLayoutAreRefused() throws {
        for flow in FlowKind.allCases where flow.usesMADE {
            let configuration = FlowConfiguration(
                task: .density(.rings), flow: flow, layers: 2, hidden: [8], steps: 1, trainCount: 50, testCount: 10)
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("flow-layout.safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try makeFlowTrainer(configuration).writeCheckpoint(to: url)
            #expect(try readFlowCheckpoint(url).step == 0)
            var file = try SafeTensors.read(url)
            file.metadata[MADE.layoutKey] = nil
            try file.write(to: url)
            #expect { try readFlowCheckpoint(url) } throws: { "\($0)".contains("train it again") }
        }
    }

    @Test func badConfigurationsAreNamed() {
        let bad = FlowConfiguration(
            task: .energy(.u1), flow: .spline, layers: 0, hidden: [0], bins: 1, steps: -5, learningRate: .nan)
        let problems = bad.problems.joined(separator: "\n")
        for flag in ["--layers", "--hidden", "--bins", "--steps", "--lr"] {
            #expect(problems.contains(flag), "\(flag) not named")
        }
        #expect(throws: FlowError.self) { try makeFlowTrainer(bad) }
    }

    @Test func pointsCSVReportsMalformedRowsByLine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "points-\(UInt32.random(in: 0...UInt32.max)).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        let cases: [(String, String)] = [
            ("x,y\n1,2\n3,abc\n", "line 3"), ("1,2\n3\n", "line 2"), ("1,2\n\n4,nan\n", "line 3"),
            ("x,y\n", "a header and no points"),
            // Only the first row may be a header: a second non-numeric row is an error, not another header.
            ("a,b\nc,d\n", "line 2: field 1, 'c'"), ("0.1;0.2\n", "separated by commas"),
        ]
        for (text, expected) in cases {
            try Data(text.utf8).write(to: url)
            #expect { try PointsCSV.read(url) } throws: { "\($0)".contains(expected) }
        }
        try Data("x1,x2,x3\n1,2,3\n\n-4,5.5,6e-1\n".utf8).write(to: url)
        #expect(try PointsCSV.read(url) == Tensor(shape: [2, 3], scalars: [1, 2, 3, -4, 5.5, 0.6]))
        // Windows line endings read the same.
        try Data("x1,x2,x3\r\n1,2,3\r\n\r\n-4,5.5,6e-1\r\n".utf8).write(to: url)
        #expect(try PointsCSV.read(url) == Tensor(shape: [2, 3], scalars: [1, 2, 3, -4, 5.5, 0.6]))
    }
}

@Suite struct FlowPointsTests {
    /// Points far from the origin and of very different scales train like the same points
    /// standardized: the density of x is the standardized density less Σ log σ, samples land on
    /// the data's scale, and the test log-likelihood is that of the original coordinates.
    @Test func userPointsAreStandardized() throws {
        let raw = ToyData.rings.sample(600, key: RandomKey(seed: 8))
        let shift = Tensor([1000, -50]), scale = Tensor([300, 0.01])
        let points = raw * scale + shift
        let configuration = FlowConfiguration(
            task: .points(dimension: 2), flow: .spline, layers: 2, hidden: [16], steps: 40, batchSize: 64)
        var trainer = try makeFlowTrainer(
            configuration, data: FlowData(train: points.rows(Array(0..<500)), test: points.rows(Array(500..<600))))
        for _ in 0..<40 { try trainer.trainStep() }
        let samples = trainer.sample(4000, key: RandomKey(seed: 9))
        let mean = samples.mean(alongAxes: [0]).scalars
        #expect(Swift.abs(mean[0] - 1000) < 100 && Swift.abs(mean[1] + 50) < 0.01, "sample mean \(mean)")
        let test = points.rows(Array(500..<600))
        let reported = trainer.evaluate().testLogLikelihood!.mean
        let direct = trainer.logDensity(test).scalars.reduce(0.0) { $0 + Double($1) } / 100
        #expect(Swift.abs(reported - direct) < 1e-4, "evaluation \(reported) vs log p of the test points \(direct)")
        #expect(trainer.logDensity(test).scalars.allSatisfy { $0.isFinite })
    }
}
