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

/// Runs `options`: `progress(step, recent training return)` after each batch step and
/// `evaluated(record)` after each evaluation; returns the evaluations.
public func trainRL(
    _ options: RLRunOptions, progress: (Int, Double?) -> Void = { _, _ in },
    evaluated: (RLEvaluationRecord) -> Void = { _ in }
) throws -> [RLEvaluationRecord] {
    try options.validate()
    switch (options.environment, options.algorithm.needsContinuousActions) {
    case (.pendulum, true): return try trainOffPolicy(Pendulum(), options, progress, evaluated)
    case (.mountainCarContinuous, true): return try trainOffPolicy(MountainCarContinuous(), options, progress, evaluated)
    case (.cartpole, false): return try trainOnPolicy(CartPole(), options, progress, evaluated)
    case (.acrobot, false): return try trainOnPolicy(Acrobot(), options, progress, evaluated)
    case (.pendulum, false): return try trainOnPolicy(Pendulum(), options, progress, evaluated)
    case (.mountainCarContinuous, false): return try trainOnPolicy(MountainCarContinuous(), options, progress, evaluated)
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

func trainOnPolicy<E: PolicyEnvironment>(
    _ environment: E, _ options: RLRunOptions, _ progress: (Int, Double?) -> Void,
    _ evaluated: (RLEvaluationRecord) -> Void
) throws -> [RLEvaluationRecord] {
    let keys = RandomKey(seed: options.seed).split(3)
    var training = OnPolicyTraining(
        environment: environment, configuration: onPolicyConfiguration(options), totalSteps: options.steps,
        key: keys[1])
    return try runTraining(
        options, evaluationKey: keys[2], progress, evaluated, step: { training.step },
        advance: { try training.advance() }, returns: { training.trainingReturns },
        metrics: { training.lastMetrics },
        evaluate: { episodes, key in training.evaluate(episodes: episodes, key: key) })
}

func trainOffPolicy<E: ContinuousEnvironment>(
    _ environment: E, _ options: RLRunOptions, _ progress: (Int, Double?) -> Void,
    _ evaluated: (RLEvaluationRecord) -> Void
) throws -> [RLEvaluationRecord] {
    let key = RandomKey(seed: options.seed).split(3)[0]
    let (observationSize, actionSize) = (environment.observationSize, environment.actionSize)
    switch options.algorithm {
    case .sac:
        let agent = SAC(
            observationSize: observationSize, actionSize: actionSize,
            configuration: .tuned(for: options.environment), key: key)
        return try trainOffPolicy(agent, environment, options, progress, evaluated)
    case .td3:
        let agent = TD3(
            observationSize: observationSize, actionSize: actionSize, configuration: .td3(for: options.environment),
            key: key)
        return try trainOffPolicy(agent, environment, options, progress, evaluated)
    case .ddpg:
        let agent = DDPG(
            observationSize: observationSize, actionSize: actionSize, configuration: .ddpg(for: options.environment),
            key: key)
        return try trainOffPolicy(agent, environment, options, progress, evaluated)
    case .reinforce, .a2c, .ppo:
        throw RLConfigurationError("\(options.algorithm.rawValue) is not an off-policy algorithm")
    }
}

func trainOffPolicy<E: ContinuousEnvironment, Agent: OffPolicyAgent>(
    _ agent: Agent, _ environment: E, _ options: RLRunOptions, _ progress: (Int, Double?) -> Void,
    _ evaluated: (RLEvaluationRecord) -> Void
) throws -> [RLEvaluationRecord] {
    let keys = RandomKey(seed: options.seed).split(3)
    var training = OffPolicyTraining(
        agent: agent, environment: environment, copies: options.copies ?? 1, key: keys[1])
    return try runTraining(
        options, evaluationKey: keys[2], progress, evaluated, step: { training.step },
        advance: { try training.advance() }, returns: { training.trainingReturns },
        metrics: { training.lastMetrics },
        evaluate: { episodes, key in training.evaluate(episodes: episodes, key: key) })
}

/// The loop both kinds share: advance, report progress, evaluate every interval and at the end.
func runTraining(
    _ options: RLRunOptions, evaluationKey: RandomKey, _ progress: (Int, Double?) -> Void,
    _ evaluated: (RLEvaluationRecord) -> Void, step: () -> Int, advance: () throws -> Void,
    returns: () -> [Double], metrics: () -> [String: Float], evaluate: (Int, RandomKey) -> Evaluation
) throws -> [RLEvaluationRecord] {
    var records: [RLEvaluationRecord] = []
    var seconds = 0.0
    var nextEvaluation = options.evaluationInterval
    while step() < options.steps {
        let start = Date()
        try advance()
        seconds += Date().timeIntervalSince(start)
        let recent = returns().suffix(10)
        let recentMean = recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
        progress(step(), recentMean)
        if step() >= nextEvaluation || step() >= options.steps {
            let evaluation = evaluate(options.evaluationEpisodes, evaluationKey.fold(in: UInt64(records.count)))
            let record = RLEvaluationRecord(
                step: step(), seconds: seconds, evaluation: evaluation, trainingReturn: recentMean, metrics: metrics())
            records.append(record)
            evaluated(record)
            while nextEvaluation <= step() { nextEvaluation += options.evaluationInterval }
        }
    }
    return records
}
