import Foundation
import ReparamRandom
import ReparamTensor

/// A training run as the command line describes it.
public struct RLRunOptions: Codable, Sendable, Equatable {
    public var environment: EnvironmentKind
    public var algorithm: AlgorithmKind
    /// Environment steps (all copies together).
    public var steps: Int
    public var seed: UInt64
    /// Environment copies stepped as one batch.
    public var copies: Int
    /// Environment steps between evaluations (and one at the end).
    public var evaluationInterval: Int
    public var evaluationEpisodes: Int

    public init(
        environment: EnvironmentKind, algorithm: AlgorithmKind, steps: Int, seed: UInt64 = 0, copies: Int = 1,
        evaluationInterval: Int = 2000, evaluationEpisodes: Int = 5
    ) {
        (self.environment, self.algorithm, self.steps, self.seed) = (environment, algorithm, steps, seed)
        (self.copies, self.evaluationInterval) = (copies, evaluationInterval)
        self.evaluationEpisodes = evaluationEpisodes
    }

    /// Every reason these options cannot run, checked before anything is built.
    public func validate() throws {
        if steps <= 0 { throw RLConfigurationError("--steps must be positive, got \(steps)") }
        if !(1...1024).contains(copies) {
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

/// Runs `options`: `progress(step, recent training return)` after each batch step and
/// `evaluated(record)` after each evaluation; returns the evaluations.
public func trainRL(
    _ options: RLRunOptions, progress: (Int, Double?) -> Void = { _, _ in },
    evaluated: (RLEvaluationRecord) -> Void = { _ in }
) throws -> [RLEvaluationRecord] {
    try options.validate()
    switch options.environment {
    case .pendulum: return try trainOffPolicy(Pendulum(), options, progress, evaluated)
    case .mountainCarContinuous: return try trainOffPolicy(MountainCarContinuous(), options, progress, evaluated)
    case .cartpole, .acrobot:
        throw RLConfigurationError("\(options.algorithm.rawValue) cannot train on \(options.environment.rawValue)")
    }
}

func trainOffPolicy<E: ContinuousEnvironment>(
    _ environment: E, _ options: RLRunOptions, _ progress: (Int, Double?) -> Void,
    _ evaluated: (RLEvaluationRecord) -> Void
) throws -> [RLEvaluationRecord] {
    let keys = RandomKey(seed: options.seed).split(3)
    let agent: SAC
    switch options.algorithm {
    case .sac:
        agent = SAC(
            observationSize: environment.observationSize, actionSize: environment.actionSize,
            configuration: .tuned(for: options.environment), key: keys[0])
    }
    var training = OffPolicyTraining(agent: agent, environment: environment, copies: options.copies, key: keys[1])
    var records: [RLEvaluationRecord] = []
    var seconds = 0.0
    var nextEvaluation = options.evaluationInterval
    while training.step < options.steps {
        let start = Date()
        try training.advance()
        seconds += Date().timeIntervalSince(start)
        let recent = training.trainingReturns.suffix(10)
        let recentMean = recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
        progress(training.step, recentMean)
        if training.step >= nextEvaluation || training.step >= options.steps {
            let evaluation = training.evaluate(
                episodes: options.evaluationEpisodes, key: keys[2].fold(in: UInt64(records.count)))
            let record = RLEvaluationRecord(
                step: training.step, seconds: seconds, evaluation: evaluation, trainingReturn: recentMean,
                metrics: training.lastMetrics)
            records.append(record)
            evaluated(record)
            while nextEvaluation <= training.step { nextEvaluation += options.evaluationInterval }
        }
    }
    return records
}
