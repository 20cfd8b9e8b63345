import Foundation
import ReparamData
import ReparamNN
import ReparamRandom
import ReparamTensor

/// A training run as the command line describes it.
public struct RLRunOptions: Codable, Sendable, Equatable {
    public var environment: EnvironmentKind
    public var algorithm: AlgorithmKind
    /// Environment steps (all copies together).
    public var steps: Int
    public var seed: UInt64
    /// Environment copies stepped as one batch (nil: the tuned settings' number).
    public var copies: Int?
    /// Environment steps between evaluations (and one at the end).
    public var evaluationInterval: Int
    public var evaluationEpisodes: Int

    public init(
        environment: EnvironmentKind, algorithm: AlgorithmKind, steps: Int, seed: UInt64 = 0, copies: Int? = nil,
        evaluationInterval: Int = 2000, evaluationEpisodes: Int = 5
    ) {
        (self.environment, self.algorithm, self.steps, self.seed) = (environment, algorithm, steps, seed)
        (self.copies, self.evaluationInterval) = (copies, evaluationInterval)
        self.evaluationEpisodes = evaluationEpisodes
    }

    /// Every reason these options cannot run, checked before anything is built.
    public func validate() throws {
        if steps <= 0 { throw RLConfigurationError("--steps must be positive, got \(steps)") }
        if let copies, !(1...1024).contains(copies) {
            throw RLConfigurationError("--envs must be between 1 and 1024, got \(copies)")
        }
        if evaluationInterval <= 0 {
            throw RLConfigurationError("--eval-every must be positive, got \(evaluationInterval)")
        }
        if !(1...1000).contains(evaluationEpisodes) {
            throw RLConfigurationError("--eval-episodes must be between 1 and 1000, got \(evaluationEpisodes)")
        }
        if algorithm.needsContinuousActions && !environment.hasContinuousActions {
            let continuous = EnvironmentKind.allCases.filter(\.hasContinuousActions).map(\.rawValue)
            throw RLConfigurationError(
                "\(algorithm.rawValue) differentiates through the action and needs continuous actions; "
                    + "\(environment.rawValue) has discrete ones (continuous: \(continuous.joined(separator: ", ")))")
        }
    }
}

/// One evaluation during a run.
public struct RLEvaluationRecord: Codable, Sendable {
    public var step: Int
    /// Wall time spent training so far (evaluations excluded).
    public var seconds: Double
    public var evaluation: Evaluation
    /// Mean return of the last (up to) 10 training episodes.
    public var trainingReturn: Double?
    public var metrics: [String: Float]
}

/// Where a run saves itself, what it resumes from, and when it should stop early.
public struct RLRunControl {
    /// The checkpoint written (atomically) after every evaluation and when stopping early.
    public var checkpoint: URL?
    /// A saved run to continue; its options must equal the run's, apart from `steps`.
    public var resume: RLSavedRun?
    /// Polled after every unit of work; true saves and stops (Ctrl-C, SIGTERM).
    public var shouldStop: () -> Bool
    /// Runs each checkpoint write (the command line defers a second stop signal until it ends).
    public var writing: (() throws -> Void) throws -> Void

    public init(
        checkpoint: URL? = nil, resume: RLSavedRun? = nil, shouldStop: @escaping () -> Bool = { false },
        writing: @escaping (() throws -> Void) throws -> Void = { try $0() }
    ) {
        (self.checkpoint, self.resume, self.shouldStop, self.writing) = (checkpoint, resume, shouldStop, writing)
    }
}

/// A run's position besides the loop's own state: its options and evaluations so far.
public struct RLRunState: Codable, Sendable {
    public var options: RLRunOptions
    /// Environment steps taken when it was saved.
    public var step: Int
    public var records: [RLEvaluationRecord]
    /// Training wall time so far, evaluations excluded.
    public var seconds: Double
    public var nextEvaluation: Int
}

/// A checkpoint as read back: the run's state, and the file for the loop to restore from.
public struct RLSavedRun {
    public var state: RLRunState
    let reader: RLCheckpointReader
    let progress: Data

    static let format = "reparam-rl-1"

    /// Reads and checks `url`: format, metadata, and (when restored) every tensor.
    public static func read(_ url: URL) throws -> RLSavedRun {
        let file = try SafeTensors.read(url)
        func fail(_ reason: String) -> DataFileError { DataFileError(file: url.path, reason: reason) }
        guard file.metadata["format"] == format else {
            throw fail("not a reinforcement-learning checkpoint (format '\(file.metadata["format"] ?? "none")')")
        }
        let decoder = JSONDecoder()
        guard let runText = file.metadata["run"], let progressText = file.metadata["progress"],
            let integersText = file.metadata["integers"],
            let state = try? decoder.decode(RLRunState.self, from: Data(runText.utf8)),
            let integers = try? decoder.decode([String: Int].self, from: Data(integersText.utf8))
        else { throw fail("its run, progress or counter metadata is missing or malformed") }
        do { try state.options.validate() } catch { throw fail("its options are invalid: \(error)") }
        return RLSavedRun(
            state: state, reader: RLCheckpointReader(file: file, url: url, integers: integers),
            progress: Data(progressText.utf8))
    }
}

/// How a run ended.
public struct RLRunResult {
    public var records: [RLEvaluationRecord]
    /// Stopped early by `shouldStop` (after saving, if a checkpoint was given).
    public var stopped: Bool
    /// Steps taken when it ended.
    public var step: Int
}

/// Runs `options`: `progress(step, recent training return)` after each unit of work and
/// `evaluated(record)` after each evaluation.
public func trainRL(
    _ options: RLRunOptions, control: RLRunControl = RLRunControl(), progress: (Int, Double?) -> Void = { _, _ in },
    evaluated: (RLEvaluationRecord) -> Void = { _ in }
) throws -> RLRunResult {
    try options.validate()
    if let saved = control.resume {
        var expected = saved.state.options
        expected.steps = options.steps
        guard expected == options else {
            throw RLConfigurationError(
                "the saved run was made with other options (\(saved.state.options)); only --steps may change")
        }
    }
    return try withoutActuallyEscaping(progress) { progress in
        try withoutActuallyEscaping(evaluated) { evaluated in
            try withTrainingLoop(
                options,
                TrainingDriver(
                    options: options, control: control, progress: progress, evaluated: evaluated))
        }
    }
}

/// Restores a saved run and evaluates its deterministic policy over `episodes` fresh episodes.
public func evaluateRL(_ saved: RLSavedRun, episodes: Int, seed: UInt64) throws -> Evaluation {
    guard (1...10_000).contains(episodes) else {
        throw RLConfigurationError("--episodes must be between 1 and 10000, got \(episodes)")
    }
    return try withTrainingLoop(saved.state.options, SavedEvaluation(saved: saved, episodes: episodes, seed: seed))
}

/// Something done with a training loop whose concrete type the options decide.
protocol TrainingLoopVisitor {
    associatedtype Result
    func visit<Loop: RLTrainingLoop>(_ loop: inout Loop) throws -> Result
}

/// Builds the loop `options` describe (agent, environment, settings, keys) and hands it over.
func withTrainingLoop<V: TrainingLoopVisitor>(_ options: RLRunOptions, _ visitor: V) throws -> V.Result {
    switch (options.environment, options.algorithm.needsContinuousActions) {
    case (.pendulum, true): return try withOffPolicyLoop(Pendulum(), options, visitor)
    case (.mountainCarContinuous, true): return try withOffPolicyLoop(MountainCarContinuous(), options, visitor)
    case (.cartpole, false): return try withOnPolicyLoop(CartPole(), options, visitor)
    case (.acrobot, false): return try withOnPolicyLoop(Acrobot(), options, visitor)
    case (.pendulum, false): return try withOnPolicyLoop(Pendulum(), options, visitor)
    case (.mountainCarContinuous, false): return try withOnPolicyLoop(MountainCarContinuous(), options, visitor)
    case (.cartpole, true), (.acrobot, true):
        throw RLConfigurationError("\(options.algorithm.rawValue) cannot train on \(options.environment.rawValue)")
    }
}

/// The settings an on-policy run uses: the tuned ones, with the copies overridden if asked.
public func onPolicyConfiguration(_ options: RLRunOptions) -> OnPolicyConfiguration {
    var c: OnPolicyConfiguration
    switch options.algorithm {
    case .reinforce: c = .reinforce(for: options.environment)
    case .a2c: c = .a2c(for: options.environment)
    case .ppo, .sac, .td3, .ddpg: c = .ppo(for: options.environment)
    }
    if let copies = options.copies { c.copies = copies }
    return c
}

/// The run's keys: [0] networks, [1] the loop (exploration, resets, minibatches), [2] evaluation.
func runKeys(_ options: RLRunOptions) -> [RandomKey] { RandomKey(seed: options.seed).split(3) }

func withOnPolicyLoop<E: PolicyEnvironment, V: TrainingLoopVisitor>(
    _ environment: E, _ options: RLRunOptions, _ visitor: V
) throws -> V.Result {
    var loop = OnPolicyTraining(
        environment: environment, configuration: onPolicyConfiguration(options), totalSteps: options.steps,
        key: runKeys(options)[1])
    return try visitor.visit(&loop)
}

func withOffPolicyLoop<E: ContinuousEnvironment, V: TrainingLoopVisitor>(
    _ environment: E, _ options: RLRunOptions, _ visitor: V
) throws -> V.Result {
    let key = runKeys(options)[0]
    let (observationSize, actionSize) = (environment.observationSize, environment.actionSize)
    func run<Agent: OffPolicyAgent & CheckpointableAgent>(_ agent: Agent) throws -> V.Result {
        var loop = OffPolicyTraining(
            agent: agent, environment: environment, copies: options.copies ?? 1, key: runKeys(options)[1])
        return try visitor.visit(&loop)
    }
    switch options.algorithm {
    case .sac:
        return try run(makeSAC(environment, options))
    case .td3:
        return try run(
            TD3(
                observationSize: observationSize, actionSize: actionSize, configuration: .td3(for: options.environment),
                key: key))
    case .ddpg:
        return try run(
            DDPG(
                observationSize: observationSize, actionSize: actionSize,
                configuration: .ddpg(for: options.environment),
                key: key))
    case .reinforce, .a2c, .ppo:
        throw RLConfigurationError("\(options.algorithm.rawValue) is not an off-policy algorithm")
    }
}

/// SAC with the tuned settings for the run's environment, its networks from the run's key.
func makeSAC<E: ContinuousEnvironment>(_ environment: E, _ options: RLRunOptions) -> SAC {
    SAC(
        observationSize: environment.observationSize, actionSize: environment.actionSize,
        configuration: .tuned(for: options.environment), key: runKeys(options)[0])
}

/// Evaluates a restored loop.
struct SavedEvaluation: TrainingLoopVisitor {
    let saved: RLSavedRun
    let episodes: Int
    let seed: UInt64

    func visit<Loop: RLTrainingLoop>(_ loop: inout Loop) throws -> Evaluation {
        try loop.restore(from: saved.reader, progress: saved.progress)
        return loop.evaluate(episodes: episodes, key: RandomKey(seed: seed).fold(in: 1 << 50))
    }
}

/// The loop both kinds share: advance, report progress, evaluate every interval and at the end,
/// save after each evaluation and when asked to stop.
struct TrainingDriver: TrainingLoopVisitor {
    let options: RLRunOptions
    let control: RLRunControl
    let progress: (Int, Double?) -> Void
    let evaluated: (RLEvaluationRecord) -> Void

    func visit<Loop: RLTrainingLoop>(_ loop: inout Loop) throws -> RLRunResult {
        let evaluationKey = runKeys(options)[2]
        var state = RLRunState(
            options: options, step: 0, records: [], seconds: 0, nextEvaluation: options.evaluationInterval)
        if let saved = control.resume {
            try loop.restore(from: saved.reader, progress: saved.progress)
            (state.records, state.seconds, state.nextEvaluation) =
                (saved.state.records, saved.state.seconds, saved.state.nextEvaluation)
        }
        func save() throws {
            guard let url = control.checkpoint else { return }
            state.step = loop.step
            var writer = RLCheckpointWriter()
            loop.write(into: &writer)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let metadata = [
                "format": RLSavedRun.format,
                "run": String(decoding: try encoder.encode(state), as: UTF8.self),
                "progress": String(decoding: try loop.progressJSON(), as: UTF8.self),
                "integers": String(decoding: try encoder.encode(writer.integers), as: UTF8.self),
            ]
            try control.writing { try SafeTensors(tensors: writer.tensors, metadata: metadata).write(to: url) }
        }
        while loop.step < options.steps {
            if control.shouldStop() {
                try save()
                return RLRunResult(records: state.records, stopped: true, step: loop.step)
            }
            let start = Date()
            do {
                try loop.advance()
            } catch let error as NonFiniteTrainingError {
                let kept = control.checkpoint.map { " The last checkpoint, \($0.path), is unchanged." } ?? ""
                throw RLTrainingFailure(description: "\(error)\(kept)")
            }
            state.seconds += Date().timeIntervalSince(start)
            let recent = loop.trainingReturns.suffix(10)
            let recentMean = recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
            progress(loop.step, recentMean)
            if loop.step >= state.nextEvaluation || loop.step >= options.steps {
                let evaluation = loop.evaluate(
                    episodes: options.evaluationEpisodes, key: evaluationKey.fold(in: UInt64(state.records.count)))
                let record = RLEvaluationRecord(
                    step: loop.step, seconds: state.seconds, evaluation: evaluation, trainingReturn: recentMean,
                    metrics: loop.lastMetrics)
                state.records.append(record)
                while state.nextEvaluation <= loop.step { state.nextEvaluation += options.evaluationInterval }
                try save()
                evaluated(record)
            }
        }
        return RLRunResult(records: state.records, stopped: false, step: loop.step)
    }
}

/// A run that could not go on (a loss or gradient stopped being finite).
public struct RLTrainingFailure: Error, CustomStringConvertible {
    public let description: String
}
