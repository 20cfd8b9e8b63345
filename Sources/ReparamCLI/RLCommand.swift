import ArgumentParser
import Foundation
import Reparam

extension EnvironmentKind: ExpressibleByArgument {}
extension AlgorithmKind: ExpressibleByArgument {}

struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Reinforcement learning on gymnasium's classic-control tasks, reimplemented in Swift.",
        subcommands: [RLTrainCommand.self])
}

struct RLTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an agent and evaluate its deterministic policy as it learns.",
        discussion: """
            Hyperparameters are the tuned ones rl-baselines3-zoo publishes for the environment \
            (hyperparams/<algo>.yml; stable-baselines3's defaults where the zoo sets nothing). \
            REINFORCE, which neither library has, uses this project's settings: 8 whole episodes \
            per Adam step at 1e-3. SAC, TD3 and DDPG need continuous actions (pendulum, \
            mountaincar-continuous); REINFORCE, A2C and PPO run on every environment, with a \
            Categorical policy on discrete actions and a diagonal Gaussian on continuous ones.

            Pendulum-v1 with SAC: learning rate 1e-3, 256-256 ReLU networks, batch 256, buffer 10⁶, \
            100 random warm-up steps, τ 0.005, γ 0.99, automatic entropy tuning. With TD3 and DDPG: \
            400-300 networks, learning rate 1e-3, γ 0.98, 10,000 warm-up steps, N(0, 0.1²) noise. \
            CartPole-v1 with PPO: 8 copies × 32 steps, 20 epochs, γ 0.98, λ 0.8, learning rate and \
            clip decaying from 1e-3 and 0.2; with A2C: 8 copies × 5 steps, RMSprop 7e-4.

            Examples:
              reparam rl train --env pendulum --algo sac --steps 20000
              reparam rl train --env cartpole --algo ppo --steps 100000
            """)

    @Option(help: "Environment: \(EnvironmentKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var env: EnvironmentKind
    @Option(help: "Algorithm: \(AlgorithmKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var algo: AlgorithmKind
    @Option(parsing: .unconditional, help: "Environment steps (all copies together).") var steps: Int
    @Option(help: "Seed of the run's key (networks, exploration, resets).") var seed: UInt64 = 0
    @Option(
        parsing: .unconditional,
        help: "Environment copies stepped as one batch (default: the tuned number; 1 for sac, td3, ddpg).")
    var envs: Int?
    @Option(parsing: .unconditional, help: "Evaluate every N environment steps (and at the end).") var evalEvery = 2000
    @Option(parsing: .unconditional, help: "Episodes per evaluation (deterministic policy).") var evalEpisodes = 5
    @Flag(help: "Print one JSON object per evaluation instead of a table row.") var json = false
    @OptionGroup var kernels: KernelOptions

    var options: RLRunOptions {
        RLRunOptions(
            environment: env, algorithm: algo, steps: steps, seed: seed, copies: envs, evaluationInterval: evalEvery,
            evaluationEpisodes: evalEpisodes)
    }

    func validate() throws {
        do {
            try options.validate()
        } catch let error as RLConfigurationError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        var bar = ProgressBar(total: steps, unit: "steps", metric: "return")
        bar.start(label: "\(algo.rawValue) \(env.rawValue)", done: 0)
        if !json { print("  step   seconds   eval return (mean ± std)   train return") }
        do {
            _ = try kernels.applied {
                try trainRL(
                    options, progress: { step, recent in bar.update(done: step, loss: recent ?? .nan) },
                    evaluated: { record in
                        bar.finish()
                        report(record)
                    })
            }
        } catch let error as NonFiniteTrainingError {
            bar.finish()
            throw ValidationError("\(error.description) (try a lower learning rate or another seed)")
        }
        bar.finish()
    }

    func report(_ record: RLEvaluationRecord) {
        if json {
            var object: [String: Any] = [
                "step": record.step, "seconds": record.seconds, "eval_return_mean": record.evaluation.mean,
                "eval_return_std": record.evaluation.standardDeviation, "episodes": record.evaluation.returns.count,
                "env": env.rawValue, "algo": algo.rawValue, "seed": seed,
            ]
            if let train = record.trainingReturn { object["train_return"] = train }
            for (name, value) in record.metrics { object[name] = Double(value) }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let train = record.trainingReturn.map { String(format: "%9.1f", $0) } ?? "        —"
            print(String(format: "%6d %9.1f   %10.1f ± %-10.1f   %@", record.step, record.seconds,
                         record.evaluation.mean, record.evaluation.standardDeviation, train))
        }
        fflush(nil)  // one line per evaluation, also when piped
    }
}
