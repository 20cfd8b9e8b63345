import ArgumentParser
import Foundation
import Reparam
import ReparamLab

#if canImport(Glibc)
    import Glibc
#endif

extension EnvironmentKind: ExpressibleByArgument {}
extension AlgorithmKind: ExpressibleByArgument {}

struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Reinforcement learning on gymnasium's classic-control tasks, reimplemented in Swift.",
        subcommands: [RLTrainCommand.self, RLEvalCommand.self, RLCompareCommand.self])
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
    var env: EnvironmentKind?
    @Option(help: "Algorithm: \(AlgorithmKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var algo: AlgorithmKind?
    @Option(parsing: .unconditional, help: "Environment steps (all copies together); with --resume, the new total.")
    var steps: Int?
    @Option(
        help: "Run folder to create: checkpoint.safetensors (after every evaluation), metrics.jsonl.",
        transform: pathArgument)
    var out: String?
    @Option(
        help: "Run folder to continue (its saved options apply; --steps may extend it).",
        transform: pathArgument) var resume: String?
    @Option(
        help: "Seed of the run's key (networks, exploration, resets).",
        transform: seedArgument) var seed: UInt64 = 0
    @Option(
        parsing: .unconditional,
        help: "Environment copies stepped as one batch (default: the tuned number; 1 for sac, td3, ddpg).")
    var envs: Int?
    @Option(parsing: .unconditional, help: "Evaluate every N environment steps (and at the end).") var evalEvery = 2000
    @Option(parsing: .unconditional, help: "Episodes per evaluation (deterministic policy).") var evalEpisodes = 5
    @Flag(help: "Print one JSON object per evaluation instead of a table row.") var json = false
    @OptionGroup var kernels: KernelOptions

    /// The options of a new run (nil with --resume, whose options come from its checkpoint).
    var newOptions: RLRunOptions? {
        guard let env, let algo, let steps else { return nil }
        return RLRunOptions(
            environment: env, algorithm: algo, steps: steps, seed: seed, copies: envs, evaluationInterval: evalEvery,
            evaluationEpisodes: evalEpisodes)
    }

    func validate() throws {
        if resume != nil {
            if out != nil { throw ValidationError("--resume continues its own folder; leave out --out") }
            if let steps, steps <= 0 { throw ValidationError("--steps must be positive, got \(steps)") }
            return
        }
        guard env != nil, algo != nil, steps != nil else {
            throw ValidationError("a new run needs --env, --algo and --steps (or --resume RUN)")
        }
        do {
            try newOptions!.validate()
        } catch let error as RLConfigurationError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        var options: RLRunOptions
        var control = RLRunControl(shouldStop: { interruptRequested != 0 }, writing: { try savingProtected($0) })
        let folder: RunFolder?
        if let resume {
            folder = RunFolder.resuming(resume)
            let saved = try folder!.read(RLSavedRun.read)
            options = saved.state.options
            if let steps { options.steps = steps }
            if saved.state.step >= options.steps {
                print("\(resume) has already trained \(saved.state.step) steps; pass a larger --steps.")
                return
            }
            control.resume = saved
            FileHandle.standardError.write(Data("resuming \(resume) at step \(saved.state.step)\n".utf8))
        } else {
            options = newOptions!
            folder = try out.map { try RunFolder.create($0, configuration: options) }
        }
        control.checkpoint = folder?.checkpoint
        installStopHandlers()
        var bar = ProgressBar(total: options.steps, unit: "steps", metric: "return")
        let label = "\(options.algorithm.rawValue) \(options.environment.rawValue)"
        bar.start(label: label, done: control.resume?.state.step ?? 0)
        if !json { print("  step   seconds   eval return (mean ± std)   train return") }
        let result: RLRunResult
        do {
            result = try kernels.applied {
                try trainRL(
                    options, control: control,
                    progress: { step, recent in bar.update(done: step, loss: recent ?? .nan) },
                    evaluated: { record in
                        bar.finish()
                        report(record, options)
                        if let folder { try? folder.appendMetrics(jsonLine(record, options)) }
                        bar.start(label: label, done: record.step)
                    })
            }
        } catch let error as RLTrainingFailure {
            bar.finish()
            throw CommandFailure(description: "\(error.description) (try a lower learning rate or another seed)")
        } catch let error as DataFileError {
            bar.finish()
            throw CommandFailure(description: "\(error)")
        }
        bar.finish()
        if result.stopped {
            let saved =
                folder.map { "; saved \($0.checkpoint.path). Continue with --resume \($0.url.path)" }
                ?? " (no --out, nothing saved)"
            print("\(interruption.name) at step \(result.step)\(saved).")
            throw interruption.exit
        }
    }

    func jsonLine(_ record: RLEvaluationRecord, _ options: RLRunOptions) -> String {
        var object: [String: Any] = [
            "step": record.step, "seconds": record.seconds, "eval_return_mean": record.evaluation.mean,
            "eval_return_std": record.evaluation.standardDeviation, "episodes": record.evaluation.returns.count,
            "env": options.environment.rawValue, "algo": options.algorithm.rawValue, "seed": options.seed,
        ]
        if let train = record.trainingReturn { object["train_return"] = train }
        for (name, value) in record.metrics { object[name] = Double(value) }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func report(_ record: RLEvaluationRecord, _ options: RLRunOptions) {
        if json {
            print(jsonLine(record, options))
        } else {
            let train = record.trainingReturn.map { String(format: "%9.1f", $0) } ?? "        —"
            print(
                String(
                    format: "%6d %9.1f   %10.1f ± %-10.1f   %@", record.step, record.seconds,
                    record.evaluation.mean, record.evaluation.standardDeviation, train))
        }
        fflush(nil)  // one line per evaluation, also when piped
    }
}

struct RLEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved run's deterministic policy over fresh episodes.",
        discussion: """
            Example:
              reparam rl eval runs/ppo-cartpole --episodes 100
            """)

    @Argument(help: "Run folder written by `rl train --out`.", transform: pathArgument) var folder: String
    @Option(parsing: .unconditional, help: "Episodes (1-10000).") var episodes = 100
    @Option(help: "Seed of the episodes' start states.", transform: seedArgument) var seed: UInt64 = 0
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var kernels: KernelOptions

    func validate() throws {
        if !(1...10_000).contains(episodes) {
            throw ValidationError("--episodes must be between 1 and 10000, got \(episodes)")
        }
    }

    func run() throws {
        let saved = try RunFolder(url: URL(fileURLWithPath: folder)).read(RLSavedRun.read)
        let evaluation: Evaluation
        do {
            evaluation = try kernels.applied { try evaluateRL(saved, episodes: episodes, seed: seed) }
        } catch let error as DataFileError {
            throw CommandFailure(description: "\(error)")
        }
        let options = saved.state.options
        let step = saved.state.step
        if json {
            let object: [String: Any] = [
                "env": options.environment.rawValue, "algo": options.algorithm.rawValue, "step": step,
                "episodes": episodes, "eval_return_mean": evaluation.mean,
                "eval_return_std": evaluation.standardDeviation,
                "mean_length": Double(evaluation.lengths.reduce(0, +)) / Double(episodes),
            ]
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                String(
                    format: "%@ on %@ after %d steps: return %.1f ± %.1f over %d episodes (mean length %.1f)",
                    options.algorithm.rawValue, options.environment.rawValue, step, evaluation.mean,
                    evaluation.standardDeviation, episodes, Double(evaluation.lengths.reduce(0, +)) / Double(episodes)))
        }
    }
}

struct RLCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Train several algorithms over several seeds and compare their learning curves.",
        discussion: """
            Runs every algorithm with seeds 0…N−1 one after the other (the tuned settings, as \
            `rl train`), then prints a table of final returns and, with --report, writes learning \
            curves (mean over seeds with the lowest and highest seed) as HTML, SVG and PNG.

            Examples:
              reparam rl compare --env cartpole --algos reinforce,a2c,ppo --seeds 5 \\
                --steps 100000 --report cartpole
              reparam rl compare --env pendulum --algos sac,td3,ddpg --seeds 5 \\
                --steps 20000 --report pendulum
            """)

    @Option(help: "Environment: \(EnvironmentKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var env: EnvironmentKind
    @Option(help: "Comma-separated algorithms: \(AlgorithmKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var algos: String
    @Option(parsing: .unconditional, help: "Seeds per algorithm (0…N−1).") var seeds = 5
    @Option(parsing: .unconditional, help: "Environment steps per run.") var steps: Int
    @Option(parsing: .unconditional, help: "Evaluate every N steps (and at the end).") var evalEvery: Int?
    @Option(parsing: .unconditional, help: "Episodes per evaluation.") var evalEpisodes = 10
    @OptionGroup var output: LabOutput
    @OptionGroup var kernels: KernelOptions
    @OptionGroup var scaleOut: ComparisonSweep

    var algorithms: [AlgorithmKind]? {
        let names = commaList(algos)
        let parsed = names.compactMap(AlgorithmKind.init(rawValue:))
        return parsed.count == names.count ? parsed : nil
    }

    var comparison: RLComparison {
        RLComparison(
            environment: env, algorithms: algorithms ?? [], seeds: seeds, steps: steps,
            evaluationInterval: evalEvery ?? max(1, steps / 20), evaluationEpisodes: evalEpisodes)
    }

    func validate() throws {
        guard let algorithms, !algorithms.isEmpty else {
            throw ValidationError(
                "--algos must be a comma-separated list of \(AlgorithmKind.allCases.map(\.rawValue).joined(separator: ", ")), "
                    + "got '\(algos)'")
        }
        do { try comparison.validate() } catch let error as RLConfigurationError {
            throw ValidationError(error.description)
        }
        if let report = output.report { try checkWritableFolder(report, flag: "--report") }
    }

    func run() throws {
        if try scaleOut.export(
            from: ["rl", "compare"], to: ["rl", "train"],
            grid: [("algo", (algorithms ?? []).map(\.rawValue))], seeds: seeds,
            fixed: ["out": "{task}/run"], dropping: ["algos", "report"])
        {
            return
        }
        let runs = comparison.runs
        var bar = ProgressBar(total: runs.count * steps, unit: "steps", metric: "return")
        var results: [RLRunResult] = []
        installStopHandlers()
        for (i, options) in runs.enumerated() {
            bar.start(
                label: "\(options.algorithm.rawValue) seed \(options.seed) (\(i + 1)/\(runs.count))", done: i * steps)
            let result = try kernels.applied {
                try trainRL(
                    options, control: RLRunControl(shouldStop: { interruptRequested != 0 }),
                    progress: { step, recent in bar.update(done: i * steps + min(step, steps), loss: recent ?? .nan) })
            }
            if result.stopped {
                bar.finish()
                FileHandle.standardError.write(
                    Data("\(interruption.name) in run \(i + 1) of \(runs.count); nothing was written\n".utf8))
                throw interruption.exit
            }
            results.append(result)
        }
        bar.finish()
        try output.emit([comparison.result(results)], title: "Reparam RL comparison")
    }
}

/// Refuses a folder that cannot be created or written, before any long work.
func checkWritableFolder(_ path: String, flag: String) throws {
    let url = URL(fileURLWithPath: path)
    let probe = url.appendingPathComponent(".write-test-\(getpid())")
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data().write(to: probe)
        try FileManager.default.removeItem(at: probe)
    } catch {
        throw ValidationError("\(flag) \(path) is not a writable folder: \(error.localizedDescription)")
    }
}
