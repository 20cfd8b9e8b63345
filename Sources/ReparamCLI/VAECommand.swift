import ArgumentParser
import Foundation
import Reparam
import ReparamLab

#if canImport(Glibc)
    import Glibc
#endif

extension Activation: ExpressibleByArgument {
    // identity parses, so that the models can name it in their refusal, but is not offered.
    public static var allValueStrings: [String] { ["relu", "tanh", "sigmoid"] }
}
extension VAEObjectiveKind: ExpressibleByArgument {}
extension ImportanceWeightedGradient: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}

extension Initializer: ExpressibleByArgument {
    public init?(argument: String) { self.init(named: argument) }
    public static var allValueStrings: [String] { ["pytorch", "glorot", "kaiming", "orthogonal(GAIN)"] }
    public var defaultValueDescription: String { description }
}

/// How the VAE commands present MNIST's grey levels to the Bernoulli decoder.
enum Binarization: String, CaseIterable, ExpressibleByArgument {
    /// Grey levels as Bernoulli means.
    case none
    /// Pixels ~ Bernoulli(grey level), resampled every batch.
    case dynamic
}

struct VAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "Train, evaluate and look at Gaussian VAEs and IWAEs on MNIST.",
        subcommands: [VAETrainCommand.self, VAEEvalCommand.self, VAESampleCommand.self, VAEReconstructCommand.self])
}

/// The run folder's files.
struct RunFolder {
    let url: URL
    var checkpoint: URL { url.appendingPathComponent("checkpoint.safetensors") }
    var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
    var configuration: URL { url.appendingPathComponent("configuration.json") }

    func loadCheckpoint() throws -> VAECheckpoint { try read(VAECheckpoint.read) }

    /// The run at `path`, to be continued: checkpoint files a killed process left half-written
    /// (`.checkpoint.safetensors.<pid>.partial` of a process that no longer runs) are removed.
    static func resuming(_ path: String) -> RunFolder {
        let folder = RunFolder(url: URL(fileURLWithPath: path))
        folder.removeStalePartialFiles()
        return folder
    }

    func removeStalePartialFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".partial") {
            let parts = name.split(separator: ".")
            // The writer's process id is the part before "partial"; a live writer's file stays.
            guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: url.appendingPathComponent(name))
            }
        }
    }

    /// The checkpoint through `reader`, with file problems as clean errors.
    func read<C>(_ reader: (URL) throws -> C) throws -> C {
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            throw CommandFailure(
                description: "\(url.path) holds no checkpoint.safetensors; is it a run folder written by `train --out`?"
            )
        }
        do { return try reader(checkpoint) } catch { throw CommandFailure(description: "\(error)") }
    }

    /// A new run folder with its configuration; refuses one that already holds a run.
    /// A new run folder holding `configuration`; one that already holds a run is refused unless
    /// `replacing` (a comparison writing its runs again).
    static func create(_ path: String, configuration: some Encodable, replacing: Bool = false) throws -> RunFolder {
        let folder = RunFolder(url: URL(fileURLWithPath: path))
        if !replacing && FileManager.default.fileExists(atPath: folder.checkpoint.path) {
            throw CommandFailure(
                description: "\(path) already holds a run; continue it with --resume \(path) or choose another --out")
        }
        folder.removeStalePartialFiles()
        do {
            try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(configuration).write(to: folder.configuration, options: .atomic)
        } catch {
            throw CommandFailure(description: "cannot create the run folder \(path): \(error.localizedDescription)")
        }
        return folder
    }

    func appendMetrics(_ line: String) throws {
        if !FileManager.default.fileExists(atPath: metrics.path),
            !FileManager.default.createFile(atPath: metrics.path, contents: nil)
        {
            throw CommandFailure(description: "cannot create \(metrics.path)")
        }
        let handle = try FileHandle(forWritingTo: metrics)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }
}

/// MNIST from --data, REPARAM_DATA or the cache, with file problems as clean errors.
func loadMNIST(_ data: String?) throws -> MNIST {
    do { return try MNIST.load(from: try MNIST.locate(explicit: data)) } catch {
        throw CommandFailure(description: "\(error)")
    }
}

struct VAETrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a VAE (or IWAE) on MNIST, checkpointing every epoch.",
        discussion: """
            The defaults are the pytorch/examples VAE: 784-400-20 ReLU, batch 128, Adam 1e-3, \
            continuous MNIST, analytic KL.

            Burda et al.'s IWAE setup, with their full 3280-epoch schedule:
              reparam vae train --hidden 200,200 --latent 50 --activation tanh \\
                --initializer glorot --batch 20 --adam-epsilon 1e-4 \\
                --binarize dynamic --objective iwae --k 5 \\
                --schedule iwae --epochs 3280 --out runs/iwae-k5

            Ctrl-C or SIGTERM saves a checkpoint and stops; `--resume RUN` continues bit-exactly.
            """)

    @Option(
        help: ArgumentHelp("MNIST folder (default: REPARAM_DATA, then ~/.cache/reparam/mnist).", valueName: "dir"),
        transform: pathArgument) var data: String?
    @Option(help: "Total epochs to reach (with --resume: continue until this many).") var epochs = 10
    @Option(help: "Comma-separated hidden layer sizes.") var hidden = "400"
    @Option(help: "Latent dimensions.") var latent = 20
    @Option(help: "Batch size.") var batch = 128
    @Option(help: "Adam learning rate.") var lr: Float = 1e-3
    @Option(help: "Adam epsilon.") var adamEpsilon: Float = 1e-8
    @Option(help: "Hidden activation: relu, tanh or sigmoid.") var activation = Activation.relu
    @Option(help: "Initialization: pytorch (nn.Linear's default), glorot, kaiming or orthogonal(GAIN).")
    var initializer = Initializer.pytorchDefault
    @Option(help: "Binarization: none (grey levels as Bernoulli means) or dynamic (resampled every batch).")
    var binarize = Binarization.none
    @Option(help: "elbo (analytic KL), elbo-mc (Monte Carlo KL) or iwae.") var objective = VAEObjectiveKind.elbo
    @Option(help: "Importance samples per image (iwae).") var k = 1
    @Option(help: "Gradient estimator for iwae/elbo-mc: standard, stl or dreg.")
    var gradient = ImportanceWeightedGradient.standard
    @Option(help: "Learning-rate schedule: constant, or iwae (3^i epochs at lr·10^(−i/7)).")
    var schedule = LearningRateSchedule.constant
    @Option(
        help: """
            Posterior: diagonal (Gaussian), or that Gaussian through a planar or iaf flow conditioned on the encoder \
            (needs --objective elbo-mc or iwae).
            """)
    var posterior: PosteriorKind = .diagonal
    @Option(
        help: ArgumentHelp(
            "Layers of the posterior's flow (default 4 with --posterior planar or iaf).",
            valueName: "k"))
    var flowSteps: Int?
    @Option(help: "Seed of the run's key.", transform: seedArgument) var seed: UInt64 = 0
    @Option(
        help: ArgumentHelp("Folder for the checkpoint, configuration and metrics.jsonl.", valueName: "run"),
        transform: pathArgument) var out: String?
    @Option(
        help: ArgumentHelp("Continue the run in this folder.", valueName: "run"),
        transform: pathArgument) var resume: String?
    @Flag(help: "Print one JSON object per epoch instead of a table row.") var json = false

    var configurationFromFlags: VAEConfiguration {
        var c = VAEConfiguration()
        c.hidden = hiddenWidths(hidden)
        (c.latent, c.batchSize, c.learningRate, c.adamEpsilon) = (latent, batch, lr, adamEpsilon)
        (c.activation, c.initializer, c.binarize) = (activation, initializer, binarize == .dynamic)
        (c.objective, c.samples, c.gradient, c.schedule, c.seed) = (objective, k, gradient, schedule, seed)
        if posterior != .diagonal || flowSteps != nil { (c.posterior, c.flowSteps) = (posterior, flowSteps ?? 4) }
        return c
    }

    func validate() throws {
        guard (out == nil) != (resume == nil) else {
            throw ValidationError("give exactly one of --out RUN (a new run) and --resume RUN")
        }
        guard (1...1_000_000).contains(epochs) else {
            throw ValidationError("--epochs must be between 1 and 1000000, got \(epochs)")
        }
        if resume == nil { try checkHidden(hidden, example: "200,200") }
        if resume == nil, let problem = configurationFromFlags.problems.first { throw ValidationError(problem) }
        if resume == nil {
            try checkMemory(
                configurationFromFlags.estimatedTrainingBytes,
                what: "training with --batch \(batch) and --k \(k) (\(batch * k) samples per step)",
                advice: "Lower --batch or --k.")
        }
    }

    func run() throws {
        var trainer: VAETrainer
        let folder: RunFolder
        if let resume {
            folder = RunFolder.resuming(resume)
            trainer = VAETrainer(checkpoint: try folder.loadCheckpoint())
        } else {
            folder = try RunFolder.create(out!, configuration: configurationFromFlags)
            trainer = VAETrainer(configuration: configurationFromFlags)
        }
        let mnist = try loadMNIST(data)
        try runTraining(
            &trainer, folder: folder, train: mnist.trainImages, test: trainer.testData(mnist.testImages),
            epochs: epochs, json: json,
            header: "\(trainer.configuration.vaeObjective), "
                + "\(trainer.configuration.posteriorDescription) posterior, "
                + "\(trainer.model.parameterCount) parameters; losses are −bound per image in nats")
    }
}

/// One line of progress on a terminal: bar, batches, rate, ETA and running loss; silent when
/// standard error is not a terminal (logs get the per-epoch lines only).
struct ProgressBar {
    let total: Int
    /// What `done` counts, and the name of the number shown after the ETA.
    let unit: String, metric: String
    let enabled = isatty(2) != 0
    var label = "", started = Date(), firstDone = 0, lastDraw = Date.distantPast

    init(total: Int, unit: String = "batches", metric: String = "loss") {
        (self.total, self.unit, self.metric) = (total, unit, metric)
    }

    mutating func start(label: String, done: Int) {
        (self.label, started, firstDone, lastDraw) = (label, Date(), done, .distantPast)
    }

    mutating func update(done: Int, loss: Double) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(started), rate = Double(done - firstDone) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let filled = Int(Double(done) / Double(total) * 24)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: 24 - filled)
        let line = String(
            format: "\r%@ %@ %d/%d  %.0f %@/s  ETA %d:%02d  %@ %.3f ", label, bar, done, total, rate,
            unit, Int(eta) / 60, Int(eta) % 60, metric, loss)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

struct VAEEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract:
            "Test negative log-likelihood by importance sampling: −L_k with k samples per image (Burda et al.: k = 5000)."
    )

    @Argument(help: ArgumentHelp("The run folder.", valueName: "run"), transform: pathArgument) var runFolder: String
    @Option(help: "Importance samples per image.") var k = 5000
    @Option(help: "Evaluate only the first N test images (default: all 10000).") var limit: Int?
    @Option(help: ArgumentHelp("MNIST folder.", valueName: "dir"), transform: pathArgument) var data: String?
    @Option(help: "Seed of the evaluation's key.", transform: seedArgument) var seed: UInt64 = 1
    @Flag(help: "Print the result as one JSON object.") var json = false

    func validate() throws {
        guard (1...1_000_000).contains(k) else { throw ValidationError("--k must be between 1 and 1000000, got \(k)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be positive, got \(limit)") }
    }

    func run() throws {
        let checkpoint = try RunFolder(url: URL(fileURLWithPath: runFolder)).loadCheckpoint()
        let trainer = VAETrainer(checkpoint: checkpoint)
        let mnist = try loadMNIST(data)
        let all = trainer.testData(mnist.testImages)
        let count = min(limit ?? all.shape[0], all.shape[0])
        let images = all.rows(Array(0..<count))
        var progress = ProgressBar(total: (count + 49) / 50)
        progress.start(label: "L_\(k)", done: 0)
        var values: [Double] = []
        let started = Date(), key = RandomKey(seed: seed)
        for (i, batch) in Batches(images, batchSize: 50).enumerated() {
            values += checkpoint.model.logLikelihood(batch, samples: k, key: key.fold(in: UInt64(i)))
            progress.update(done: i + 1, loss: -values.reduce(0, +) / Double(values.count))
        }
        progress.finish()
        let (mean, se) = meanAndStandardError(values.map { -$0 })
        let record = Record([
            ("nll", .number(mean)), ("standard_error", .number(se)), ("k", .integer(k)), ("images", .integer(count)),
            ("epochs", .integer(checkpoint.state.epoch)), ("seconds", .number(Date().timeIntervalSince(started))),
        ])
        if json {
            print(record.json)
        } else {
            print(
                String(
                    format: "test NLL (−L_%d) = %.2f ± %.2f nats over %d images, after %d epochs (%.0f s)", k, mean, se,
                    count,
                    checkpoint.state.epoch, Date().timeIntervalSince(started)))
        }
    }
}

struct VAESampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "A PNG grid of p(x|z) means for z drawn from the prior.")

    @Argument(help: ArgumentHelp("The run folder.", valueName: "run"), transform: pathArgument) var runFolder: String
    @Option(help: "Images in the grid.") var count = 64
    @Option(
        help: ArgumentHelp("PNG file to write (default: RUN/samples.png).", valueName: "file"),
        transform: pathArgument) var out: String?
    @Option(help: "Seed of the prior draws.", transform: seedArgument) var seed: UInt64 = 0
    @Option(help: "Pixels per image pixel.") var scale = 2

    func validate() throws {
        guard (1...1024).contains(count) else {
            throw ValidationError("--count must be between 1 and 1024, got \(count)")
        }
        guard (1...16).contains(scale) else { throw ValidationError("--scale must be between 1 and 16, got \(scale)") }
    }

    func run() throws {
        let model = try RunFolder(url: URL(fileURLWithPath: runFolder)).loadCheckpoint().model
        let probabilities = sigmoid(model.decoder(RandomKey(seed: seed).normal([count, model.latentSize])))
        try writeGrid(
            probabilities, to: out ?? URL(fileURLWithPath: runFolder).appendingPathComponent("samples.png").path,
            columns: 8, scale: scale)
    }
}

struct VAEReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "A PNG of test images (odd rows) above their reconstructions from the posterior mean (even rows).")

    @Argument(help: ArgumentHelp("The run folder.", valueName: "run"), transform: pathArgument) var runFolder: String
    @Option(help: "Test images to reconstruct.") var count = 32
    @Option(
        help: ArgumentHelp("PNG file to write (default: RUN/reconstructions.png).", valueName: "file"),
        transform: pathArgument) var out: String?
    @Option(help: ArgumentHelp("MNIST folder.", valueName: "dir"), transform: pathArgument) var data: String?
    @Option(help: "Pixels per image pixel.") var scale = 2

    func validate() throws {
        guard (1...512).contains(count) else {
            throw ValidationError("--count must be between 1 and 512, got \(count)")
        }
        guard (1...16).contains(scale) else { throw ValidationError("--scale must be between 1 and 16, got \(scale)") }
    }

    func run() throws {
        let checkpoint = try RunFolder(url: URL(fileURLWithPath: runFolder)).loadCheckpoint()
        let model = checkpoint.model, trainer = VAETrainer(checkpoint: checkpoint)
        let images = trainer.testData(try loadMNIST(data).testImages).rows(Array(0..<count))
        let mean = model.encoder(images).slice(axis: 1, 0..<model.latentSize)
        let reconstructions = sigmoid(model.decoder(mean))
        var rows: [Tensor] = []
        for start in stride(from: 0, to: count, by: 8) {
            let range = Array(start..<min(start + 8, count))
            rows += [images.rows(range), reconstructions.rows(range)]
        }
        try writeGrid(
            concat(rows, axis: 0),
            to: out ?? URL(fileURLWithPath: runFolder).appendingPathComponent("reconstructions.png").path,
            columns: 8, scale: scale)
    }
}

func writeGrid(_ images: Tensor, to path: String, columns: Int, scale: Int) throws {
    let rows = (0..<images.shape[0]).map { Array(images.scalars[($0 * 784)..<(($0 + 1) * 784)]) }
    do {
        let png = PNG.grid(rows, side: 28, columns: columns, scale: scale)
        try savingProtected { try png.write(to: URL(fileURLWithPath: path), options: .atomic) }
    } catch {
        throw CommandFailure(description: "cannot write \(path): \(error.localizedDescription)")
    }
    print(path)
}
