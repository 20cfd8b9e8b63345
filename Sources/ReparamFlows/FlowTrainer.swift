import Foundation
import ReparamData
import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Training and test points of a density task, rows [n, d].
public struct FlowData: Sendable {
    public var train: Tensor
    public var test: Tensor

    public init(train: Tensor, test: Tensor) {
        self.train = train
        self.test = test
    }

    /// A 2-D set's splits, drawn from one fixed key per set: every run (any seed, any flow) and
    /// the benchmark's peer see the same points.
    public init(_ set: ToyData, trainCount: Int, testCount: Int) {
        let key = RandomKey(seed: 0xF10D_A7A).fold(in: UInt64(ToyData.allCases.firstIndex(of: set)!))
        self.init(
            train: set.sample(trainCount, key: key.fold(in: 1)), test: set.sample(testCount, key: key.fold(in: 2)))
    }
}

/// Where training stands after an evaluation.
public struct FlowEvaluation: Sendable {
    /// Density tasks: mean test log-likelihood per point and its standard error.
    public var testLogLikelihood: (mean: Double, standardError: Double)?
    /// Energy tasks: the bound E_q[−U − log q] ≤ log Z, its standard error, log Z estimated by
    /// importance sampling with q, and log Z by quadrature.
    public var elbo: (mean: Double, standardError: Double)?
    public var importanceLogZ: Double?
    public var exactLogZ: Double?
}

/// A flow run that can step, evaluate, checkpoint and answer queries, whatever its layer type.
public protocol FlowTraining {
    var configuration: FlowConfiguration { get }
    /// Optimizer steps taken.
    var step: Int { get }
    /// The loss of the last step: −mean log p(batch), or mean(log q + β·U) for an energy.
    var lastLoss: Float { get }
    var parameterCount: Int { get }
    /// One Adam step; throws `NonFiniteTrainingError` (changing nothing) when the loss or a
    /// gradient is not finite.
    mutating func trainStep() throws
    func evaluate() -> FlowEvaluation
    /// n draws from the flow.
    func sample(_ n: Int, key: RandomKey) -> Tensor
    /// log p(x) for rows x [n, d].
    func logDensity(_ points: Tensor) -> Tensor
    /// Parameters, Adam's moments, configuration and position, replaced atomically.
    func writeCheckpoint(to url: URL) throws
    mutating func restore(from file: SafeTensors, step: Int, optimizerStep: Int, url: URL) throws
    /// Continues the run to `steps` (recorded in the configuration it checkpoints).
    mutating func extend(toSteps steps: Int)
}

/// Trains `Flow<Layer>` with Adam. Batches and noise derive from (seed, step), so a run that
/// stops and resumes from its checkpoint continues bit-exactly.
public struct FlowTrainer<Layer: FlowLayer>: FlowTraining {
    public private(set) var configuration: FlowConfiguration
    public private(set) var model: Flow<Layer>
    var optimizer: Adam<Flow<Layer>>
    public private(set) var step = 0
    public private(set) var lastLoss: Float = .nan
    /// The points the flow sees: a points task's standardized by `standardization`.
    let data: FlowData?
    /// A points task's per-coordinate mean and standard deviation of the training points: the
    /// flow models (x − μ)/σ, so points of any scale meet its splines' [−B, B] and its initial
    /// N(0, I); densities and samples are mapped back (log p(x) gets −Σ log σ).
    let standardization: (mean: Tensor, scale: Tensor)?
    let exactLogZ: Double?

    public init(configuration: FlowConfiguration, model: Flow<Layer>, data: FlowData?) {
        self.configuration = configuration
        self.model = model
        if case .points = configuration.task, let data {
            let mean = data.train.mean(alongAxes: [0])
            // A constant coordinate gets scale 1 rather than a division by zero.
            let scale = sqrt(square(data.train - mean).mean(alongAxes: [0])).map { $0 > 0 ? $0 : 1 }
            standardization = (mean, scale)
            self.data = FlowData(train: (data.train - mean) / scale, test: (data.test - mean) / scale)
        } else {
            standardization = nil
            self.data = data
        }
        optimizer = Adam(for: model, learningRate: configuration.learningRate)
        if case .energy(let energy) = configuration.task { exactLogZ = energy.logNormalizer() } else { exactLogZ = nil }
    }

    public var parameterCount: Int { model.parameterCount }
    var runKey: RandomKey { RandomKey(seed: configuration.seed).fold(in: 0xF10) }

    public mutating func trainStep() throws {
        let key = runKey.fold(in: 1).fold(in: UInt64(step))
        let (loss, gradient): (Float, Flow<Layer>.TangentVector)
        switch configuration.task {
        case .energy(let energy):
            let n = configuration.batchSize
            let beta = configuration.inverseTemperature(step: step)
            (loss, gradient) = valueWithGradient(at: model) { flow in
                let draw = flow.rsampleWithLogProb(key, count: n)
                return (draw.logProb + beta * energy(draw.value)).mean().item
            }
        case .density, .points:
            let train = data!.train
            let rows = key.uniform([configuration.batchSize]).scalars.map {
                Swift.min(Int($0 * Float(train.shape[0])), train.shape[0] - 1)
            }
            let batch = train.rows(rows)
            (loss, gradient) = valueWithGradient(at: model) { flow in -flow.logProb(batch).mean().item }
        }
        guard loss.isFinite else { throw NonFiniteTrainingError(step: step, detail: "the loss is \(loss)") }
        try optimizer.update(&model, along: gradient, step: step)
        step += 1
        lastLoss = loss
    }

    public func evaluate() -> FlowEvaluation {
        var result = FlowEvaluation()
        switch configuration.task {
        case .energy(let energy):
            // Bound from 20 000 draws; log Z by importance sampling from 100 000 (log-mean-exp).
            var weights: [Double] = []
            for chunk in 0..<10 {
                let draw = model.distribution.rsampleWithLogProb(
                    runKey.fold(in: 3).fold(in: UInt64(chunk)), sampleShape: [10_000])
                weights += zip(energy(draw.value).scalars, draw.logProb.scalars).map { -Double($0) - Double($1) }
            }
            result.elbo = meanAndStandardError(Array(weights.prefix(20_000)))
            let top = weights.max() ?? 0
            result.importanceLogZ =
                top + Foundation.log(weights.reduce(0) { $0 + Foundation.exp($1 - top) } / Double(weights.count))
            result.exactLogZ = exactLogZ
        case .density, .points:
            // Test points in the original coordinates: the standardized density less Σ log σ.
            let logScale = standardization.map { Double(log($0.scale).sum().scalarValue) } ?? 0
            result.testLogLikelihood = meanAndStandardError(
                standardizedLogDensity(data!.test).scalars.map { Double($0) - logScale })
        }
        return result
    }

    public func sample(_ n: Int, key: RandomKey) -> Tensor {
        let x = model.sample(key, count: n)
        guard let standardization else { return x }
        return x * standardization.scale + standardization.mean
    }

    public func logDensity(_ points: Tensor) -> Tensor {
        guard let standardization else { return standardizedLogDensity(points) }
        let logScale = log(standardization.scale).sum()
        return standardizedLogDensity((points - standardization.mean) / standardization.scale) - logScale
    }

    /// log p of points already in the flow's coordinates, in chunks.
    func standardizedLogDensity(_ points: Tensor) -> Tensor {
        let n = points.shape[0]
        let chunk = 8192
        let parts = stride(from: 0, to: n, by: chunk).map { start in
            model.logProb(points.rows(Array(start..<Swift.min(start + chunk, n))))
        }
        return parts.isEmpty ? Tensor.zeros([0]) : concat(parts, axis: 0)
    }

    public static var format: String { "reparam-flow-1" }

    public func writeCheckpoint(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadata = [
            "format": Self.format, "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
            "step": String(step), "optimizer_step": String(optimizer.state.step), MADE.layoutKey: MADE.layout,
        ]
        try SafeTensors(tensors: model.checkpointTensors(optimizer: optimizer.state), metadata: metadata).write(to: url)
    }

    public mutating func extend(toSteps steps: Int) { configuration.steps = steps }

    public mutating func restore(from file: SafeTensors, step: Int, optimizerStep: Int, url: URL) throws {
        optimizer.state = try model.restoreCheckpointTensors(optimizerStep: optimizerStep) { name, shape in
            try file.tensor(name, shape: shape, url: url)
        }
        self.step = step
    }
}

/// A new run of `configuration` (its layers initialized from the seed). Density tasks need
/// `data` for `.points`; the 2-D sets are drawn here.
public func makeFlowTrainer(_ configuration: FlowConfiguration, data: FlowData? = nil) throws -> any FlowTraining {
    if let problem = configuration.problems.first { throw FlowError(problem) }
    var data = data
    switch configuration.task {
    case .density(let set):
        data = FlowData(set, trainCount: configuration.trainCount, testCount: configuration.testCount)
    case .points(let d):
        guard let given = data else { throw FlowError("a points task needs its training and test points") }
        guard given.train.rank == 2, given.train.shape[1] == d, given.test.rank == 2, given.test.shape[1] == d else {
            throw FlowError(
                "the points must have \(d) coordinates per row (train \(given.train.shape), test \(given.test.shape))")
        }
    case .energy:
        data = nil
    }
    let c = configuration
    let d = c.dimension
    let keys = RandomKey(seed: c.seed).fold(in: 0x1A7E).split(c.layers)
    let energy = c.task.isEnergy
    func make<L: FlowLayer>(_ layer: (Int) -> L) -> any FlowTraining {
        FlowTrainer(configuration: c, model: Flow(layers: (0..<c.layers).map(layer), dimension: d), data: data)
    }
    // Density estimation runs data → noise through each layer's fast direction: planar and radial
    // layers are used inverted there (their forward map becomes the normalizing one).
    switch c.flow {
    case .planar:
        return energy
            ? make { Planar(dimension: d, key: keys[$0]) } : make { Inverse(Planar(dimension: d, key: keys[$0])) }
    case .radial:
        return energy
            ? make { Radial(dimension: d, key: keys[$0]) } : make { Inverse(Radial(dimension: d, key: keys[$0])) }
    case .realnvp:
        return make { AffineCoupling(dimension: d, hidden: c.hidden, swapped: $0 % 2 == 1, key: keys[$0]) }
    case .maf:
        return make { MaskedAutoregressive(dimension: d, hidden: c.hidden, reversedOrder: $0 % 2 == 1, key: keys[$0]) }
    case .iaf:
        return make {
            Inverse(MaskedAutoregressive(dimension: d, hidden: c.hidden, reversedOrder: $0 % 2 == 1, key: keys[$0]))
        }
    case .spline:
        return make {
            SplineCoupling(
                dimension: d, hidden: c.hidden, swapped: $0 % 2 == 1, bins: c.bins, bound: c.tailBound, key: keys[$0])
        }
    case .splineAutoregressive:
        return make {
            SplineAutoregressive(
                dimension: d, hidden: c.hidden, bins: c.bins, bound: c.tailBound,
                reversedOrder: $0 % 2 == 1, key: keys[$0])
        }
    }
}

func flowCheckpointHeader(
    _ file: SafeTensors, url: URL
) throws -> (configuration: FlowConfiguration, step: Int, optimizerStep: Int) {
    func fail(_ reason: String) -> DataFileError { DataFileError(file: url.path, reason: reason) }
    guard file.metadata["format"] == FlowTrainer<Planar>.format else {
        throw fail("not a flow checkpoint (format '\(file.metadata["format"] ?? "none")')")
    }
    guard let text = file.metadata["configuration"],
        let configuration = try? JSONDecoder().decode(FlowConfiguration.self, from: Data(text.utf8)),
        let step = Int(file.metadata["step"] ?? ""), let optimizerStep = Int(file.metadata["optimizer_step"] ?? ""),
        step >= 0, optimizerStep >= 0
    else {
        throw fail("its configuration or position metadata is missing or malformed")
    }
    if let problem = configuration.problems.first { throw fail("its configuration is invalid: \(problem)") }
    if configuration.flow.usesMADE { try MADE.checkLayout(of: file.metadata, file: url.path) }
    return (configuration, step, optimizerStep)
}

/// Reads a flow checkpoint: its configuration, then every tensor by name and shape. `points`
/// supplies a points task's points given its configuration (the 2-D sets are drawn again from
/// their key).
public func readFlowCheckpoint(
    _ url: URL, points: (FlowConfiguration) throws -> FlowData? = { _ in nil }
) throws -> any FlowTraining {
    let file = try SafeTensors.read(url)
    let header = try flowCheckpointHeader(file, url: url)
    var trainer = try makeFlowTrainer(header.configuration, data: try points(header.configuration))
    try trainer.restore(from: file, step: header.step, optimizerStep: header.optimizerStep, url: url)
    return trainer
}

/// A flow request that cannot be carried out, in words that name the problem.
public struct FlowError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
