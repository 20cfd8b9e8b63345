import Foundation
import ReparamData
import ReparamNN
import ReparamRandom
import ReparamTensor

/// What a training run saves: tensors by name (networks, optimizer moments, replay storage) and
/// integers and JSON by name (counters, environment states in Double, statistics), so that a
/// resumed run continues bit for bit: every random draw derives from the seed and the counters.
public struct RLCheckpointWriter {
    public private(set) var tensors: [(name: String, tensor: Tensor)] = []
    public var integers: [String: Int] = [:]

    public init() {}

    public mutating func add(_ name: String, _ tensor: Tensor) { tensors.append((name, tensor)) }

    /// A model's parameters under `prefix`.
    public mutating func add<Model: ParameterListing>(_ prefix: String, _ model: Model) {
        for path in model.parameterPaths { add(prefix + "." + path.name, path.tensor(in: model)) }
    }

    /// A model trained by Adam: its parameters, then the moments and step count.
    public mutating func add<Model: ParameterListing>(_ prefix: String, _ model: Model, _ optimizer: Adam<Model>) {
        let state = optimizer.state
        integers[prefix + ".optimizer_step"] = state.step
        for (name, tensor) in model.checkpointTensors(optimizer: state) { add(prefix + "." + name, tensor) }
    }
}

/// Reads what `RLCheckpointWriter` wrote, checking every name, shape and value.
public struct RLCheckpointReader {
    public let file: SafeTensors
    public let url: URL
    public let integers: [String: Int]

    public init(file: SafeTensors, url: URL, integers: [String: Int]) {
        (self.file, self.url, self.integers) = (file, url, integers)
    }

    func fail(_ reason: String) -> DataFileError { DataFileError(file: url.path, reason: reason) }

    /// The tensor `name` with `shape`, refusing a missing one, another shape, or NaN/±∞.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try file.tensor(name, shape: shape, url: url)
    }

    public func integer(_ name: String) throws -> Int {
        guard let value = integers[name] else { throw fail("the counter '\(name)' is missing") }
        return value
    }

    public func restore<Model: ParameterListing>(_ prefix: String, _ model: inout Model) throws {
        for path in model.parameterPaths {
            try path.set(tensor(prefix + "." + path.name, shape: path.tensor(in: model).shape), in: &model)
        }
    }

    public func restore<Model: ParameterListing>(_ prefix: String, _ model: inout Model, _ optimizer: inout Adam<Model>)
        throws
    {
        let step = try integer(prefix + ".optimizer_step")
        optimizer.state = try model.restoreCheckpointTensors(optimizerStep: step) { name, shape in
            try tensor(prefix + "." + name, shape: shape)
        }
    }
}

/// A training loop as `trainRL` drives it: advance, evaluate, save and resume.
public protocol RLTrainingLoop {
    /// Environment steps so far (all copies).
    var step: Int { get }
    var trainingReturns: [Double] { get }
    var lastMetrics: [String: Float] { get }
    /// One unit of work: a batch step and its updates, or a rollout and its epochs.
    mutating func advance() throws
    func evaluate(episodes: Int, key: RandomKey) -> Evaluation
    /// Counters, environment states and statistics, as JSON.
    func progressJSON() throws -> Data
    func write(into writer: inout RLCheckpointWriter)
    /// Restores from a checkpoint of a run with the same options.
    mutating func restore(from reader: RLCheckpointReader, progress: Data) throws
}

/// Something an agent saves beside the loop's state.
public protocol CheckpointableAgent {
    func write(into writer: inout RLCheckpointWriter)
    mutating func restore(from reader: RLCheckpointReader) throws
}

extension SAC: CheckpointableAgent {
    public func write(into writer: inout RLCheckpointWriter) {
        writer.add("actor", actor, actorOptimizer)
        writer.add("critic", critic, criticOptimizer)
        writer.add("target_critic", targetCritic)
        writer.add("temperature", temperature, temperatureOptimizer)
    }

    public mutating func restore(from reader: RLCheckpointReader) throws {
        try reader.restore("actor", &actor, &actorOptimizer)
        try reader.restore("critic", &critic, &criticOptimizer)
        try reader.restore("target_critic", &targetCritic)
        try reader.restore("temperature", &temperature, &temperatureOptimizer)
    }
}

extension DeterministicActorCritic: CheckpointableAgent {
    public func write(into writer: inout RLCheckpointWriter) {
        writer.add("actor", actor, actorOptimizer)
        writer.add("target_actor", targetActor)
        writer.add("critic", critic, criticOptimizer)
        writer.add("target_critic", targetCritic)
    }

    public mutating func restore(from reader: RLCheckpointReader) throws {
        try reader.restore("actor", &actor, &actorOptimizer)
        try reader.restore("target_actor", &targetActor)
        try reader.restore("critic", &critic, &criticOptimizer)
        try reader.restore("target_critic", &targetCritic)
    }
}

/// The off-policy loop's counters and copies.
struct OffPolicyProgress: Codable {
    var step: Int
    var updates: Int
    var lastMetrics: [String: Float]
    var trainingReturns: [Double]
    var environments: EnvironmentSnapshot
    var bufferCount: Int
    var bufferPosition: Int
}

extension OffPolicyTraining: RLTrainingLoop where Agent: CheckpointableAgent {
    public func progressJSON() throws -> Data {
        try sortedEncoder.encode(
            OffPolicyProgress(
                step: step, updates: updates, lastMetrics: lastMetrics, trainingReturns: trainingReturns,
                environments: EnvironmentSnapshot(environments), bufferCount: buffer.count,
                bufferPosition: buffer.position))
    }

    public func write(into writer: inout RLCheckpointWriter) {
        agent.write(into: &writer)
        if let noise { writer.add("exploration_noise", noise.state) }
        // Only the filled rows: a 10⁶-transition buffer is mostly empty early in a run.
        let n = buffer.count
        guard n > 0 else { return }
        let (o, a) = (buffer.observationSize, buffer.actionSize)
        writer.add("buffer.observations", Tensor(shape: [n, o], scalars: Array(buffer.observations.prefix(n * o))))
        writer.add("buffer.actions", Tensor(shape: [n, a], scalars: Array(buffer.actions.prefix(n * a))))
        writer.add("buffer.rewards", Tensor(shape: [n], scalars: Array(buffer.rewards.prefix(n))))
        writer.add(
            "buffer.next_observations", Tensor(shape: [n, o], scalars: Array(buffer.nextObservations.prefix(n * o))))
        writer.add("buffer.terminals", Tensor(shape: [n], scalars: Array(buffer.terminals.prefix(n))))
    }

    public mutating func restore(from reader: RLCheckpointReader, progress data: Data) throws {
        guard let progress = try? JSONDecoder().decode(OffPolicyProgress.self, from: data) else {
            throw reader.fail("its training progress is missing or malformed")
        }
        try agent.restore(from: reader)
        environments = try progress.environments.restored(environments.base, key: environments.key, url: reader.url)
        observations = environments.observations
        if noise != nil {
            let state = try reader.tensor("exploration_noise", shape: noise!.state.shape)
            noise!.restore(state: state)
        }
        let (capacity, o, a, n) = (buffer.capacity, buffer.observationSize, buffer.actionSize, progress.bufferCount)
        func padded(_ name: String, _ width: Int) throws -> [Float] {
            let rows = n == 0 ? [] : try reader.tensor(name, shape: width == 0 ? [n] : [n, width]).scalars
            return rows + [Float](repeating: 0, count: (capacity - n) * Swift.max(width, 1))
        }
        guard n <= capacity,
            let restored = ReplayBuffer(
                capacity: capacity, observationSize: o, actionSize: a, count: n, position: progress.bufferPosition,
                observations: try padded("buffer.observations", o), actions: try padded("buffer.actions", a),
                rewards: try padded("buffer.rewards", 0), nextObservations: try padded("buffer.next_observations", o),
                terminals: try padded("buffer.terminals", 0))
        else { throw reader.fail("its replay buffer does not fit the configuration") }
        buffer = restored
        (step, updates, lastMetrics, trainingReturns) =
            (progress.step, progress.updates, progress.lastMetrics, progress.trainingReturns)
    }
}

/// The on-policy loop's counters, copies and statistics.
struct OnPolicyProgress: Codable {
    var step: Int
    var rollouts: Int
    var lastMetrics: [String: Float]
    var trainingReturns: [Double]
    var environments: EnvironmentSnapshot
    var episodeStarts: [Bool]
    var normalization: VectorNormalization?
}

extension OnPolicyTraining: RLTrainingLoop {
    public func progressJSON() throws -> Data {
        try sortedEncoder.encode(
            OnPolicyProgress(
                step: step, rollouts: rollouts, lastMetrics: lastMetrics, trainingReturns: trainingReturns,
                environments: EnvironmentSnapshot(environments), episodeStarts: episodeStarts,
                normalization: normalization))
    }

    public func write(into writer: inout RLCheckpointWriter) {
        if let adam = optimizer.adam {
            writer.add("model", model, adam)
        } else if let rmsprop = optimizer.rmsprop {
            writer.add("model", model)
            writer.integers["model.rmsprop_started"] = rmsprop.squares.isEmpty ? 0 : 1
            for (path, square) in zip(model.parameterPaths, rmsprop.squares) {
                writer.add("model.rmsprop." + path.name, square)
            }
        }
    }

    public mutating func restore(from reader: RLCheckpointReader, progress data: Data) throws {
        guard let progress = try? JSONDecoder().decode(OnPolicyProgress.self, from: data),
            progress.episodeStarts.count == configuration.copies,
            (progress.normalization == nil) == (normalization == nil)
        else { throw reader.fail("its training progress is missing, malformed or for other settings") }
        if optimizer.adam != nil {
            try reader.restore("model", &model, &optimizer.adam!)
        } else {
            try reader.restore("model", &model)
            if try reader.integer("model.rmsprop_started") == 1 {
                optimizer.rmsprop!.squares = try model.parameterPaths.map { path in
                    try reader.tensor("model.rmsprop." + path.name, shape: path.tensor(in: model).shape)
                }
            }
        }
        environments = try progress.environments.restored(environments.base, key: environments.key, url: reader.url)
        observations = environments.observations
        (step, rollouts, lastMetrics, trainingReturns) =
            (progress.step, progress.rollouts, progress.lastMetrics, progress.trainingReturns)
        (episodeStarts, normalization) = (progress.episodeStarts, progress.normalization)
    }
}

let sortedEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return encoder
}()

/// N environment copies as plain numbers.
struct EnvironmentSnapshot: Codable {
    var states: [[Double]]
    var episodeSteps: [Int]
    var episodeReturns: [Double]
    var episodesStarted: [UInt64]

    init<Base>(_ copies: VectorEnvironment<Base>) {
        states = copies.states.map(\.values)
        (episodeSteps, episodeReturns) = (copies.episodeSteps, copies.episodeReturns)
        episodesStarted = copies.episodesStarted
    }

    func restored<Base>(_ base: Base, key: RandomKey, url: URL) throws -> VectorEnvironment<Base> {
        let parsed = states.compactMap { Base.State(values: $0) }
        guard parsed.count == states.count,
            let copies = VectorEnvironment(
                base, key: key, states: parsed, episodeSteps: episodeSteps, episodeReturns: episodeReturns,
                episodesStarted: episodesStarted)
        else { throw DataFileError(file: url.path, reason: "its environment states do not fit \(Base.gymnasiumID)") }
        return copies
    }
}
