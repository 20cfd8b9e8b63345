import ArgumentParser
import Foundation
import Reparam
import ReparamLab

struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Measure gradient estimators against exact answers: bias, variance, SNR, samples needed.",
        subcommands: [
            GaussianLabCommand.self, SigmaSweepCommand.self, SamplesNeededCommand.self, DiscreteLabCommand.self,
            NaiveLabCommand.self, PolicyGradientLabCommand.self,
        ]
    )
}

extension TestFunction: ExpressibleByArgument {}

/// Flags every lab command shares: output format, report folder, seed.
struct LabOutput: ParsableArguments {
    @Flag(help: "Print one JSON object per line instead of a table.") var json = false
    @Option(
        help: ArgumentHelp("Also write an HTML report with SVG and PNG charts into this folder.", valueName: "dir"),
        transform: pathArgument) var report: String?
    @Option(help: "Seed of the random key.", transform: seedArgument) var seed: UInt64 = 0

    var key: RandomKey { RandomKey(seed: seed) }

    func emit(_ results: [LabResult], title: String) throws {
        if json {
            for result in results { for record in result.records { print(record.json) } }
        } else {
            print(results.map(\.text).joined(separator: "\n\n"))
        }
        fflush(nil)
        if let report {
            let page = try writeReport(HTMLReport(title: title, results: results), to: report)
            FileHandle.standardError.write(Data("report: \(page.path)\n".utf8))
        }
    }
}

/// A failure while running (not a bad flag): printed as "Error: …" without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}

/// Writes the report, turning file-system failures into an error that names the folder.
func writeReport(_ report: HTMLReport, to folder: String) throws -> URL {
    do {
        return try report.write(to: URL(fileURLWithPath: folder))
    } catch {
        throw CommandFailure(description: "cannot write the report to '\(folder)': \(error.localizedDescription)")
    }
}

/// f, k, μ and σ of the Gaussian problem.
struct GaussianProblemOptions: ParsableArguments {
    @Option(help: "Test function: square = (z−k)², gauss = exp(−k z²), cos = cos(k z).") var function: TestFunction =
        .square
    // .unconditional: a negative value such as `--mu -1` is a value, not a flag.
    @Option(parsing: .unconditional, help: "The function's k (default: 0 for square, 1 for gauss and cos).") var k:
        Double?
    @Option(parsing: .unconditional, help: "Mean μ of q = N(μ, σ²).") var mu: Double = 1
    @Option(parsing: .unconditional, help: "Standard deviation σ of q (> 0).") var sigma: Double = 0.5

    func validate() throws {
        guard mu.isFinite else { throw ValidationError("--mu must be finite, got \(mu)") }
        guard sigma.isFinite && sigma > 0 else {
            throw ValidationError("--sigma must be positive and finite, got \(sigma)")
        }
        if let k, !k.isFinite { throw ValidationError("--k must be finite, got \(k)") }
        if function == .gauss, let k, k < 0 {
            throw ValidationError("--k must be ≥ 0 for gauss (exp(−k z²) grows without bound otherwise), got \(k)")
        }
        if let problem = lab.rangeProblem { throw ValidationError(problem) }
    }

    var lab: GaussianLab {
        GaussianLab(function: function, k: k ?? (function == .square ? 0 : 1), mu: mu, sigma: sigma)
    }
}

func checkSamples(_ samples: Int, _ name: String = "--samples", range: ClosedRange<Int> = 2...50_000_000) throws {
    guard range.contains(samples) else {
        throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(samples)")
    }
}

struct GaussianLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gaussian",
        abstract:
            "Per-sample mean and variance of ∂/∂μ and ∂/∂σ for pathwise and score-function estimators, against closed forms."
    )

    @OptionGroup var problem: GaussianProblemOptions
    @Option(help: "Samples per estimator.") var samples = 1_000_000
    @OptionGroup var output: LabOutput

    func validate() throws { try checkSamples(samples) }

    func run() throws {
        try output.emit([problem.lab.compare(samples: samples, key: output.key)], title: "Reparam lab: gaussian")
    }
}

struct SigmaSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigma-sweep",
        abstract: "Estimator variance as σ shrinks over decades, with fitted log-log slopes (score function: −2).")

    @OptionGroup var problem: GaussianProblemOptions
    @Option(help: "Smallest σ.") var sigmaMin = 1e-4
    @Option(help: "Largest σ.") var sigmaMax = 1e-1
    @Option(help: "Number of σ values, evenly spaced in log σ.") var points = 7
    @Option(help: "Samples per estimator and σ.") var samples = 200_000
    @OptionGroup var output: LabOutput

    func validate() throws {
        guard sigmaMin > 0, sigmaMax > sigmaMin, sigmaMax.isFinite else {
            throw ValidationError("need 0 < --sigma-min < --sigma-max, got \(sigmaMin) and \(sigmaMax)")
        }
        guard (2...50).contains(points) else {
            throw ValidationError("--points must be between 2 and 50, got \(points)")
        }
        for sigma in [sigmaMin, sigmaMax] {
            var lab = problem.lab
            lab.sigma = sigma
            if let problem = lab.rangeProblem {
                let flag = sigma == sigmaMin ? "--sigma-min" : "--sigma-max"
                throw ValidationError(problem.replacingOccurrences(of: "--sigma", with: flag))
            }
        }
        try checkSamples(samples)
    }

    func run() throws {
        let sigmas = (0..<points).map {
            exp(log(sigmaMin) + Double($0) / Double(points - 1) * (log(sigmaMax) - log(sigmaMin)))
        }
        try output.emit(
            [problem.lab.sigmaSweep(sigmas: sigmas, samples: samples, key: output.key)],
            title: "Reparam lab: sigma sweep")
    }
}

struct SamplesNeededCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples-needed",
        abstract:
            "Samples each estimator needs for a relative error target with a given probability, checked by repetition.")

    @OptionGroup var problem: GaussianProblemOptions
    @Option(help: "Samples used to measure each estimator's variance.") var samples = 200_000
    @Option(help: "Target relative error.") var relativeError = 0.1
    @Option(help: "Probability of meeting the target.") var confidence = 0.95
    @Option(help: "Independent estimates used to check each prediction.") var replicates = 400
    @OptionGroup var output: LabOutput

    func validate() throws {
        try checkSamples(samples)
        guard relativeError > 0 && relativeError < 1 else {
            throw ValidationError("--relative-error must be in (0, 1), got \(relativeError)")
        }
        guard confidence > 0 && confidence < 1 else {
            throw ValidationError("--confidence must be in (0, 1), got \(confidence)")
        }
        try checkSamples(replicates, "--replicates", range: 10...100_000)
    }

    func run() throws {
        try output.emit(
            [
                problem.lab.samplesNeeded(
                    samples: samples, relativeError: relativeError, confidence: confidence,
                    replicates: replicates, key: output.key)
            ], title: "Reparam lab: samples needed")
    }
}

struct DiscreteLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discrete",
        abstract:
            "Bias and variance of Gumbel-softmax and ST-Gumbel across temperatures vs REINFORCE, RLOO, NVIL, MuProp, REBAR, RELAX, ARM and DisARM."
    )

    enum Problem: String, ExpressibleByArgument, CaseIterable { case bernoulli, categorical, both }

    @Option(help: "Which problem: bernoulli, categorical or both.") var problem: Problem = .both
    @Option(help: "Draws per estimator.") var draws = 100_000
    @Option(help: "Comma-separated relaxation temperatures.") var temperatures = "2,1,0.5,0.25,0.1,0.05"
    @Option(help: "Calls of 16 draws that adaptive estimators (NVIL, REBAR, RELAX) adapt for before measuring.")
    var warmUp = 300
    @OptionGroup var output: LabOutput
    @OptionGroup var scaleOut: ComparisonSweep
    @Option(parsing: .unconditional, help: "Seeds per temperature in the --sweep spec (0…N−1).") var seeds = 1

    var parsedTemperatures: [Float] { commaList(temperatures).compactMap { Float($0) } }

    func validate() throws {
        try checkSamples(draws, "--draws", range: 2...10_000_000)
        guard commaList(temperatures).count == parsedTemperatures.count,
            parsedTemperatures.allSatisfy({ $0 > 0 && $0.isFinite })
        else {
            throw ValidationError(
                "--temperatures must be a comma-separated list of positive numbers, got '\(temperatures)'")
        }
        guard (0...100_000).contains(warmUp) else {
            throw ValidationError("--warm-up must be between 0 and 100000, got \(warmUp)")
        }
        if seeds != 1 && scaleOut.sweep == nil {
            throw ValidationError("--seeds \(seeds) needs --sweep (in this process the lab runs one seed)")
        }
        guard (1...100_000).contains(seeds) else { throw ValidationError("--seeds must be 1 to 100000, got \(seeds)") }
    }

    func run() throws {
        // One task per temperature; each prints every estimator's record, which the merge keeps apart.
        if try scaleOut.export(
            from: ["lab", "discrete"], to: ["lab", "discrete"],
            grid: [("temperatures", commaList(temperatures))], seeds: seeds, fixed: [:],
            dropping: ["temperatures", "report"])
        {
            return
        }
        let problems: [DiscreteLabProblem] =
            problem == .both ? [.bernoulli, .categorical] : problem == .bernoulli ? [.bernoulli] : [.categorical]
        let keys = output.key.split(problems.count)
        let results = zip(problems, keys).map {
            $0.compare(temperatures: parsedTemperatures, draws: draws, warmUp: warmUp, key: $1)
        }
        try output.emit(results, title: "Reparam lab: discrete")
    }
}

struct NaiveLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "naive",
        abstract: "Why the gradient through sample() does not exist (a compile error), and what rsample() gives.")

    @OptionGroup var problem: GaussianProblemOptions
    @Option(help: "Samples.") var samples = 100_000
    @OptionGroup var output: LabOutput

    func validate() throws { try checkSamples(samples) }

    func run() throws {
        try output.emit(
            [NaiveLab.run(lab: problem.lab, samples: samples, key: output.key)], title: "Reparam lab: naive")
    }
}

struct PolicyGradientLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy-gradient",
        abstract: "Pathwise against score-function gradients of E_{a~π}[Q(s, a)] for a trained SAC actor and critic.",
        discussion: """
            Trains SAC (or loads a SAC run with --run), fixes its actor, critics and a batch of visited \
            states, and measures the per-sample variance, SNR and samples needed for a 10% relative \
            error of three estimators of ∇θ E_s E_{a~π}[min Q(s, a)]: pathwise (the reparameterization \
            trick), the score function, and the score function with a state-value baseline.

            Examples:
              reparam lab policy-gradient --env pendulum --report report
              reparam lab policy-gradient --run runs/sac-pendulum --samples 2000
            """)

    @Option(help: "Environment (continuous actions): pendulum or mountaincar-continuous.")
    var env: EnvironmentKind = .pendulum
    @Option(
        name: .customLong("run"),
        help: "A SAC run folder (rl train --out) to take the actor and critics from, instead of training.",
        transform: pathArgument)
    var runFolder: String?
    @Option(parsing: .unconditional, help: "SAC steps to train when no --run is given.") var trainSteps = 5000
    @Option(parsing: .unconditional, help: "States in the fixed batch (from the replay buffer).") var states = 256
    @Option(parsing: .unconditional, help: "Samples per estimator.") var samples = 1000
    @Option(parsing: .unconditional, help: "Independent actions per state for the baseline.") var baselineDraws = 64
    @OptionGroup var output: LabOutput
    @OptionGroup var kernels: KernelOptions

    func validate() throws {
        guard env.hasContinuousActions else {
            throw ValidationError(
                "--env must have continuous actions (pendulum, mountaincar-continuous), got \(env.rawValue)")
        }
        if runFolder == nil { try checkSamples(trainSteps, "--train-steps", range: 101...1_000_000) }
        try checkSamples(states, "--states", range: 1...100_000)
        try checkSamples(samples, "--samples", range: 10...1_000_000)
        try checkSamples(baselineDraws, "--baseline-draws", range: 1...100_000)
    }

    func run() throws {
        let problem: PolicyGradientProblem
        let source: String
        do {
            if let runFolder {
                let saved = try RunFolder(url: URL(fileURLWithPath: runFolder)).read(RLSavedRun.read)
                problem = try kernels.applied { try .savedSAC(saved, states: states, baselineDraws: baselineDraws) }
                source = "SAC from \(runFolder), step \(saved.state.step)"
            } else {
                var bar = ProgressBar(total: trainSteps, unit: "steps", metric: "return")
                bar.start(label: "training SAC on \(env.rawValue)", done: 0)
                problem = try kernels.applied {
                    try .trainingSAC(
                        on: env, trainingSteps: trainSteps, seed: output.seed, states: states,
                        baselineDraws: baselineDraws, progress: { bar.update(done: $0, loss: $1 ?? .nan) })
                }
                bar.finish()
                source = "SAC trained \(trainSteps) steps on \(env.rawValue), seed \(output.seed)"
            }
        } catch let error as RLConfigurationError {
            throw CommandFailure(description: error.description)
        } catch let error as DataFileError {
            throw CommandFailure(description: "\(error)")
        }
        let result = kernels.applied {
            PolicyGradientLab.compare(problem, samples: samples, key: output.key.fold(in: 1 << 53), source: source)
        }
        try output.emit([result], title: "Reparam lab: policy gradient")
    }
}
