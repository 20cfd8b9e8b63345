import ArgumentParser
import Foundation
import Reparam
import ReparamLab

struct DiscreteVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dvae",
        abstract: "Discrete-latent VAEs on binarized MNIST, trained with any gradient estimator from the lab.",
        subcommands: [DiscreteVAETrainCommand.self, DiscreteVAEEvalCommand.self, DiscreteVAECompareCommand.self])
}

extension EstimatorKind: ExpressibleByArgument {}
extension EstimatorCost: ExpressibleByArgument {}

/// `--estimator`: one estimator by name, or `auto` to measure them and pick.
enum EstimatorChoice: ExpressibleByArgument, Equatable {
    case auto
    case fixed(EstimatorKind)

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let kind = EstimatorKind(rawValue: argument) {
            self = .fixed(kind)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["auto"] + EstimatorKind.allCases.map(\.rawValue) }
    var defaultValueDescription: String {
        switch self {
        case .auto: "auto"
        case .fixed(let kind): kind.rawValue
        }
    }
}
extension DiscreteLatent: ExpressibleByArgument {}

/// The model and estimator flags both dvae commands share.
struct DiscreteVAEOptions: ParsableArguments {
    @Option(help: "Latent kind.") var latent = DiscreteLatent.categorical
    @Option(help: "Bernoulli units or categorical variables (default: 200 for bernoulli, 20 for categorical).")
    var variables: Int?
    @Option(help: "Classes per categorical variable.") var classes = 10
    @Option(help: "Comma-separated hidden sizes of the encoder (the decoder mirrors them).") var hidden = "512,256"
    @Option(
        help: """
            Initialization: pytorch (nn.Linear's default), glorot (Glorot-uniform weights, zero biases), kaiming \
            or orthogonal(GAIN).
            """)
    var initializer = Initializer.pytorchDefault
    @Option(help: "Batch size.") var batch = 100
    @Option(help: "Adam learning rate.") var lr: Float = 1e-3
    @Option(help: "Samples per image for rloo and vimco.") var k = 2
    @Option(help: "Initial relaxation temperature τ₀.") var temperature: Float = 1
    @Option(help: "Temperature anneal rate r: τ = max(τ_min, τ₀·exp(−r·t)).") var annealRate: Float = 1e-4
    @Option(help: "Smallest temperature τ_min.") var tauMin: Float = 0.5
    @Option(help: "Steps between temperature updates.") var annealEvery = 1000
    @Option(help: "Seed of the run's key.", transform: seedArgument) var seed: UInt64 = 0
    @Option(
        help: ArgumentHelp("MNIST folder (default: REPARAM_DATA, then ~/.cache/reparam/mnist).", valueName: "dir"),
        transform: pathArgument) var data: String?

    /// Refuses a configuration whose estimated training memory exceeds what this machine has.
    func checkMemory(_ configuration: DiscreteVAEConfiguration) throws {
        try ReparamCLI.checkMemory(
            configuration.estimatedTrainingBytes,
            what: "training with --batch \(configuration.batchSize), --k \(configuration.samples), "
                + "--variables \(configuration.variables)"
                + (configuration.latent == .categorical ? " and --classes \(configuration.classes)" : ""),
            advice: "Lower --batch, --k, --variables, --classes or --hidden.")
    }

    func validate() throws { try checkHidden(hidden, example: "512,256") }

    func configuration(estimator: EstimatorKind) -> DiscreteVAEConfiguration {
        var c = DiscreteVAEConfiguration()
        c.latent = latent
        c.variables = variables ?? (latent == .bernoulli ? 200 : 20)
        c.classes = classes
        c.hidden = hiddenWidths(hidden)
        c.initializer = initializer
        (c.batchSize, c.learningRate, c.samples, c.estimator, c.seed) = (batch, lr, k, estimator, seed)
        (c.temperature, c.annealRate, c.temperatureMin, c.annealEvery) = (temperature, annealRate, tauMin, annealEvery)
        return c
    }
}

struct DiscreteVAETrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a discrete VAE with one estimator; the test −ELBO always uses hard samples.",
        discussion: "Estimators: \(EstimatorKind.allCases.map(\.rawValue).joined(separator: ", ")) "
            + "(arm and disarm need --latent bernoulli). The train loss is the −ELBO at the hard samples drawn; "
            + "gumbel-softmax, whose gradient is taken at the relaxed sample, computes it (one more decoder "
            + "pass) on each epoch's first step and every \(DiscreteVAETrainer.lossEvery)th only.")

    @OptionGroup var options: DiscreteVAEOptions
    @Option(
        help: """
            Gradient estimator, or auto: measure every one that applies (variance, bias against the unbiased \
            ones, cost) on pilot draws, train with the best, and measure again every --auto-every steps.
            """)
    var estimator = EstimatorChoice.fixed(.gumbelSoftmax)
    @Option(help: "With --estimator auto: steps between choices.") var autoEvery = 3000
    @Option(help: "With --estimator auto: cost per draw in seconds (measured) or evaluations (reproducible).")
    var autoCost = EstimatorCost.seconds
    @Option(help: "Total epochs to reach.") var epochs = 10
    @Option(
        help: ArgumentHelp("Folder for the checkpoint, configuration and metrics.jsonl.", valueName: "run"),
        transform: pathArgument) var out: String?
    @Option(
        help: ArgumentHelp("Continue the run in this folder.", valueName: "run"),
        transform: pathArgument) var resume: String?
    @Flag(help: "Print one JSON object per epoch.") var json = false

    /// The run's configuration from the flags; with auto, the estimator is a placeholder until the
    /// first choice (made before the first step).
    var runConfiguration: DiscreteVAEConfiguration {
        guard case .fixed(let kind) = estimator else {
            var c = options.configuration(estimator: .gumbelSoftmax)
            c.automatic = AutomaticEstimator()
            (c.automatic!.every, c.automatic!.cost) = (autoEvery, autoCost)
            return c
        }
        return options.configuration(estimator: kind)
    }

    func validate() throws {
        guard (out == nil) != (resume == nil) else {
            throw ValidationError("give exactly one of --out RUN (a new run) and --resume RUN")
        }
        guard (1...1_000_000).contains(epochs) else {
            throw ValidationError("--epochs must be between 1 and 1000000, got \(epochs)")
        }
        if estimator != .auto && (autoEvery != 3000 || autoCost != .seconds) {
            throw ValidationError("--auto-every and --auto-cost need --estimator auto")
        }
        if resume == nil, let problem = runConfiguration.problems.first {
            throw ValidationError(problem)
        }
        if resume == nil { try options.checkMemory(runConfiguration) }
    }

    func run() throws {
        var trainer: DiscreteVAETrainer
        let folder: RunFolder
        if let resume {
            folder = RunFolder.resuming(resume)
            let checkpoint = try folder.read(DiscreteVAECheckpoint.read)
            do { trainer = try DiscreteVAETrainer(checkpoint: checkpoint) } catch {
                throw CommandFailure(description: "\(folder.checkpoint.path): \(error)")
            }
        } else {
            folder = try RunFolder.create(out!, configuration: runConfiguration)
            trainer = DiscreteVAETrainer(configuration: runConfiguration)
        }
        let mnist = try loadMNIST(options.data)
        let c = trainer.configuration
        let shape =
            c.latent == .bernoulli ? "\(c.variables) Bernoulli units" : "\(c.variables)×\(c.classes) categorical"
        let estimatorName = c.automatic.map { "auto (chosen every \($0.every) steps)" } ?? c.estimator.rawValue
        try runTraining(
            &trainer, folder: folder, train: mnist.trainImages, test: mnist.testImages, epochs: epochs, json: json,
            header: "\(shape), estimator \(estimatorName); −ELBO per image in nats (test: hard samples)")
    }
}

struct DiscreteVAEEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Test −ELBO of a run with hard samples, beside the relaxed objective a relaxation trains.",
        discussion: """
            The hard −ELBO (decoder fed discrete b) bounds −log p(x). The relaxed objective feeds the \
            decoder the Gumbel-softmax sample at temperature τ (default: the run's final τ); it is what \
            gumbel-softmax training minimizes, is not a bound, and is printed to show the gap (for runs \
            of other estimators, only when --temperature is given).
            """)

    @Argument(help: ArgumentHelp("The run folder.", valueName: "run"), transform: pathArgument) var runFolder: String
    @Option(help: "Latent samples per test image (more gives a smaller standard error).") var samples = 10
    @Option(
        help: "Temperature of the relaxed objective (default: the run's current τ; other estimators' runs skip it).")
    var temperature: Float?
    @Option(help: ArgumentHelp("MNIST folder.", valueName: "dir"), transform: pathArgument) var data: String?
    @Flag(help: "Print the result as one JSON object.") var json = false

    func validate() throws {
        guard (1...10_000).contains(samples) else {
            throw ValidationError("--samples must be between 1 and 10000, got \(samples)")
        }
        if let temperature, !(temperature > 0 && temperature.isFinite) {
            throw ValidationError("--temperature must be positive, got \(temperature)")
        }
    }

    func run() throws {
        let folder = RunFolder(url: URL(fileURLWithPath: runFolder))
        let checkpoint = try folder.read(DiscreteVAECheckpoint.read)
        let trainer: DiscreteVAETrainer
        do { trainer = try DiscreteVAETrainer(checkpoint: checkpoint) } catch {
            throw CommandFailure(description: "\(folder.checkpoint.path): \(error)")
        }
        let mnist = try loadMNIST(data)
        let hard = trainer.evaluate(mnist.testImages, samples: samples)
        // The relaxed objective is what a relaxation trains; for other estimators only on request.
        let tau = temperature ?? (trainer.configuration.estimator.annealsTemperature ? trainer.temperature : nil)
        let relaxed = tau.map { trainer.evaluate(mnist.testImages, samples: samples, relaxedAt: $0) }
        let usage = trainer.latentUsage(mnist.testImages)
        let epoch = trainer.state.epoch
        if json {
            var fields: [(String, JSONValue)] = [
                ("hard_elbo_loss", .number(hard.mean)), ("hard_standard_error", .number(hard.standardError)),
            ]
            if let relaxed, let tau {
                fields += [
                    ("relaxed_loss", .number(relaxed.mean)), ("relaxed_standard_error", .number(relaxed.standardError)),
                    ("temperature", .number(Double(tau))),
                ]
            }
            fields += [
                ("active_variables", .integer(usage.activeCount)), ("variables", .integer(usage.activity.count)),
                ("kl", .number(usage.totalKullbackLeibler)),
            ]
            fields += [
                ("samples", .integer(samples)), ("epochs", .integer(epoch)),
                ("estimator", .string(trainer.configuration.estimator.rawValue)),
            ]
            print(Record(fields).json)
        } else {
            print("\(trainer.configuration.estimator), \(epoch) epochs; \(samples) samples per test image")
            print(
                String(
                    format: "test −ELBO, hard samples (a bound):         %.2f ± %.2f nats", hard.mean,
                    hard.standardError))
            if let relaxed, let tau {
                print(
                    String(
                        format: "relaxed objective at τ = %.3g (not a bound): %.2f ± %.2f nats", tau, relaxed.mean,
                        relaxed.standardError))
            }
            print(
                String(
                    format: "latent variables in use: %d of %d (Σ_c Var_x q(c|x) > %g); KL to the prior %.2f nats",
                    usage.activeCount, usage.activity.count, LatentUsage.activeThreshold, usage.totalKullbackLeibler))
        }
    }
}

struct DiscreteVAECompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Train every applicable estimator with the same key and budget; one table and a learning-curve chart."
    )

    @OptionGroup var options: DiscreteVAEOptions
    @Option(help: "Epochs per estimator.") var epochs = 10
    @Option(help: "Comma-separated estimators (default: every one that applies).") var estimators: String?
    @Option(
        help: ArgumentHelp("Folder for the HTML report and each estimator's run.", valueName: "dir"),
        transform: pathArgument) var out = "reparam-dvae-compare"
    @Flag(help: "Print one JSON object per estimator.") var json = false
    @OptionGroup var scaleOut: ComparisonSweep
    @Option(parsing: .unconditional, help: "Seeds per grid point in the --sweep spec (0…N−1).") var seeds = 1

    /// The --estimators list, or every estimator that applies; nil for a name that is not an estimator.
    var chosen: [EstimatorKind?] {
        estimators.map { commaList($0).map(EstimatorKind.init(rawValue:)) } ?? EstimatorKind.supporting(options.latent)
    }

    /// `chosen` once `validate` has refused names that are not estimators.
    var kinds: [EstimatorKind] { chosen.compactMap { $0 } }

    func validate() throws {
        guard (1...100_000).contains(epochs) else {
            throw ValidationError("--epochs must be between 1 and 100000, got \(epochs)")
        }
        if seeds != 1 && scaleOut.sweep == nil {
            throw ValidationError("--seeds \(seeds) needs --sweep (in this process the comparison runs one seed)")
        }
        guard (1...100_000).contains(seeds) else { throw ValidationError("--seeds must be 1 to 100000, got \(seeds)") }
        // Before any training: the checkpoints and the report go there.
        try checkWritableFolder(out, flag: "--out")
        if let estimators, let bad = zip(commaList(estimators), chosen).first(where: { $0.1 == nil })?.0 {
            throw ValidationError(
                "--estimators must be comma-separated estimator names such as gumbel-softmax,rebar, "
                    + "got '\(estimators)'"
                    + (bad.isEmpty
                        ? ""
                        : ": '\(bad)' is not one of "
                            + EstimatorKind.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        for kind in kinds {
            if let problem = options.configuration(estimator: kind).problems.first { throw ValidationError(problem) }
        }
        for kind in kinds { try options.checkMemory(options.configuration(estimator: kind)) }
    }

    func run() throws {
        if try scaleOut.export(
            from: ["dvae", "compare"], to: ["dvae", "train"], grid: [("estimator", kinds.map(\.rawValue))],
            seeds: seeds, fixed: ["out": "{task}/run"], dropping: ["estimators", "out"])
        {
            return
        }
        let mnist = try loadMNIST(options.data)
        var table = Table(header: [
            "estimator", "test −ELBO", "train loss", "gradient variance", "latents in use", "KL", "s/epoch", "status",
        ])
        var curves: [Chart.Series] = [], records: [Record] = []
        if !json { print(table.header.joined(separator: "  ")) }  // each row follows as its estimator finishes
        // One bar over every estimator's epochs, so its ETA is the whole comparison's.
        let batches = DiscreteVAETrainer(configuration: options.configuration(estimator: kinds[0]))
            .batchesPerEpoch(mnist.trainImages)
        var progress = ProgressBar(total: kinds.count * epochs * batches)
        progress.start(label: "", done: 0)
        for (index, kind) in kinds.enumerated() {
            let name = kind.rawValue
            let configuration = options.configuration(estimator: kind)
            var trainer = DiscreteVAETrainer(configuration: configuration)
            var points: [(x: Double, y: Double)] = [], variances: [Double] = [], seconds: [Double] = []
            var failure: String?
            for epoch in 1...epochs {
                progress.label = "\(name) epoch \(epoch)/\(epochs) (estimator \(index + 1)/\(kinds.count))"
                let before = (index * epochs + epoch - 1) * batches
                let started = Date()
                do {
                    _ = try trainer.runEpoch(mnist.trainImages, shouldStop: { false }) { t in
                        progress.update(done: before + t.state.batch, loss: t.epochLoss)
                    }
                } catch {
                    // One estimator failing (a non-finite loss) ends its run, not the comparison.
                    progress.finish()
                    failure = "\(error)"
                    FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
                    break
                }
                progress.finish()
                seconds.append(Date().timeIntervalSince(started))
                points.append((Double(epoch), trainer.testLoss(mnist.testImages)))
                variances.append(trainer.epochDiagnostics(mnist.trainImages)[0].1)
            }
            // A run folder per estimator, which `dvae eval` and `--resume` open like any other.
            let path = URL(fileURLWithPath: out).appendingPathComponent(name).path
            let run = try RunFolder.create(path, configuration: configuration, replacing: true)
            do { try savingProtected { try trainer.writeCheckpoint(to: run.checkpoint) } } catch {
                throw CommandFailure(description: "cannot save \(name)'s checkpoint \(run.checkpoint.path): \(error)")
            }
            let variance = variances.isEmpty ? .nan : variances.reduce(0, +) / Double(variances.count)
            let perEpoch = seconds.isEmpty ? .nan : seconds.sorted()[seconds.count / 2], last = points.last?.y ?? .nan
            let usage = trainer.latentUsage(mnist.testImages)
            let status = failure.map { "failed in epoch \(points.count + 1): \($0)" } ?? "ok"
            table.rows.append([
                name, String(format: "%.2f", last), String(format: "%.2f", trainer.lastEpochLoss),
                String(format: "%.4g", variance), "\(usage.activeCount)/\(usage.activity.count)",
                String(format: "%.2f", usage.totalKullbackLeibler), String(format: "%.2f", perEpoch),
                failure == nil ? "ok" : "failed in epoch \(points.count + 1)",
            ])
            records.append(
                Record([
                    ("estimator", .string(name)), ("test_loss", .number(last)),
                    ("train_loss", .number(trainer.lastEpochLoss)),
                    ("gradient_variance", .number(variance)), ("active_variables", .integer(usage.activeCount)),
                    ("kl", .number(usage.totalKullbackLeibler)), ("seconds_per_epoch", .number(perEpoch)),
                    ("epochs", .integer(points.count)), ("status", .string(status)),
                ]))
            if !points.isEmpty { curves.append(Chart.Series(name: name, points: points, markers: epochs <= 30)) }
            if json { print(records.last!.json) } else { print(table.rows.last!.joined(separator: "  ")) }
            fflush(nil)
        }
        let c = options.configuration(estimator: kinds[0])
        let shape =
            c.latent == .bernoulli ? "\(c.variables) Bernoulli units" : "\(c.variables)×\(c.classes) categorical"
        let result = LabResult(
            title: "Discrete VAE on binarized MNIST (\(shape))",
            headline: [
                "Each estimator trained \(epochs) epochs with the same seed, batch \(c.batchSize), Adam \(c.learningRate); test −ELBO per image with hard samples (lower is better). Gradient variance: mean per-logit variance of one draw's ∂E[log p(x|b)]/∂logits on 100 training images, averaged over epochs. Latents in use: variables whose posterior moves with the image (Σ_c Var_x q(c|x) > 0.01); KL: to the uniform prior, per test image."
            ],
            table: table, records: records,
            charts: [
                Chart(
                    name: "dvae-\(c.latent)-curves", title: "Test −ELBO per epoch (\(shape))",
                    caption:
                        "Claim: Gumbel-softmax, biased but low-variance, trains best among single-sample estimators (Jang et al. 2017, Table 1). Test −ELBO with hard samples after each epoch.",
                    xLabel: "epoch", yLabel: "test −ELBO (nats)", series: curves)
            ])
        if !json { print("\n" + result.table.text) }
        let page = try writeReport(HTMLReport(title: "Reparam: discrete VAE comparison", results: [result]), to: out)
        FileHandle.standardError.write(Data("report: \(page.path)\n".utf8))
    }
}
