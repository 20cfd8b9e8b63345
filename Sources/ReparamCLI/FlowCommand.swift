import ArgumentParser
import Foundation
import Reparam
import ReparamLab

#if canImport(Glibc)
    import Glibc
#endif

extension FlowKind: ExpressibleByArgument {}
extension PosteriorKind: ExpressibleByArgument {}

struct FlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract:
            "Normalizing flows: density estimation on 2-D sets or your points, variational inference on energies.",
        subcommands: [
            FlowTrainCommand.self, FlowSampleCommand.self, FlowDensityCommand.self, FlowCompareCommand.self,
            FlowDataCommand.self,
        ])
}

/// The options that define a flow run (shared by train and compare).
struct FlowOptions: ParsableArguments {
    // Numbers parse unconditionally, so `--layers -2` gets a range message, not "missing value".
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Number of layers (default: 32 planar/radial, 8 realnvp, 5 maf/iaf, 4 spline/spline-ar).", valueName: "n"))
    var layers: Int?
    @Option(
        help: ArgumentHelp("Comma-separated hidden widths of each layer's conditioner network.", valueName: "widths"))
    var hidden = "64,64"
    @Option(parsing: .unconditional, help: "Spline bins.") var bins = 8
    @Option(parsing: .unconditional, help: "Splines act on [−B, B] and are the identity outside.") var tailBound:
        Float = 5
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Optimizer steps (default 10000; with --resume: continue to this many).",
            valueName: "n"))
    var steps: Int?
    var stepCount: Int { steps ?? 10_000 }
    @Option(parsing: .unconditional, help: "Points (or flow samples, for an energy) per step.") var batch = 256
    @Option(parsing: .unconditional, help: "Adam learning rate.") var lr: Float = 1e-3
    @Option(
        help: "Seed of the run's key (layer initialization, batches, noise).",
        transform: seedArgument) var seed: UInt64 = 0
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Evaluate, log and checkpoint every N steps (default: steps/10).", valueName: "n"))
    var evalEvery: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Energies: raise the target's inverse temperature β = min(1, 0.01 + step/N) over N steps.", valueName: "n"))
    var anneal: Int?

    /// The widths of --hidden.
    var hiddenWidths: [Int] { ReparamCLI.hiddenWidths(hidden) }

    /// Refuses a configuration whose estimated training memory exceeds what this machine has.
    func checkMemory(_ configuration: FlowConfiguration) throws {
        try ReparamCLI.checkMemory(
            configuration.estimatedTrainingBytes,
            what: "\(configuration.flow.rawValue) with --layers \(configuration.layers), --hidden \(hidden), "
                + ([.spline, .splineAutoregressive].contains(configuration.flow) ? "--bins \(configuration.bins) " : "")
                + "and --batch \(batch)",
            advice: "Lower --batch, --hidden or --layers.")
    }

    func validate() throws { try checkHidden(hidden, example: "64,64") }

    func configuration(
        task: FlowTask, flow: FlowKind, trainFile: String? = nil, testFile: String? = nil
    ) -> FlowConfiguration {
        FlowConfiguration(
            task: task, flow: flow, layers: layers, hidden: hiddenWidths, bins: bins, tailBound: tailBound,
            steps: stepCount,
            batchSize: batch, learningRate: lr, seed: seed, evaluateEvery: evalEvery, annealSteps: anneal,
            trainFile: trainFile, testFile: testFile)
    }
}

/// --task NAME, or --data FILE --test FILE for a user's points.
struct FlowTaskOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "two-moons, eight-gaussians, checkerboard, rings, pinwheel, swiss-roll (density estimation) "
                + "or u1-u4 (variational inference on Rezende & Mohamed's energies).",
            valueName: "name"))
    var task: String?
    @Option(
        name: .customLong("data"),
        help: ArgumentHelp("Training points, CSV, one point per row (instead of --task).", valueName: "csv"),
        transform: pathArgument)
    var trainFile: String?
    @Option(
        name: .customLong("test"), help: ArgumentHelp("Test points, CSV (with --data).", valueName: "csv"),
        transform: pathArgument)
    var testFile: String?

    /// Not `validate()`: ArgumentParser would run that for `--resume` too, which needs no task.
    func check() throws {
        switch (task, trainFile, testFile) {
        case (let name?, nil, nil):
            guard FlowTask(name: name) != nil else {
                throw ValidationError(
                    "unknown --task '\(name)'; choose one of \(FlowTask.names.joined(separator: ", "))")
            }
        case (nil, _?, _?): break
        case (nil, _?, nil):
            throw ValidationError(
                "--data needs --test FILE too: the test log-likelihood is measured on held-out points")
        default: throw ValidationError("give either --task NAME or --data FILE --test FILE")
        }
    }

    /// The task and, for a user's points, the points.
    func load() throws -> (FlowTask, FlowData?) {
        if let task { return (FlowTask(name: task)!, nil) }
        let data = try loadPoints(train: trainFile!, test: testFile!)
        return (.points(dimension: data.train.shape[1]), data)
    }
}

func loadPoints(train: String, test: String) throws -> FlowData {
    do {
        let data = FlowData(
            train: try PointsCSV.read(URL(fileURLWithPath: train)), test: try PointsCSV.read(URL(fileURLWithPath: test))
        )
        guard data.train.shape[1] == data.test.shape[1] else {
            throw CommandFailure(
                description: "\(test) has \(data.test.shape[1]) coordinates per point, \(train) \(data.train.shape[1])")
        }
        return data
    } catch let error as CommandFailure { throw error } catch { throw CommandFailure(description: "\(error)") }
}

struct FlowTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a normalizing flow, evaluating and checkpointing as it goes.",
        discussion: """
            Density tasks maximize the log-likelihood of training points and report the mean test \
            log-likelihood per point (nats). Energy tasks (u1-u4) minimize the reverse KL from flow samples, \
            loss = E_q[log q(z) + U(z)], reported as the bound E_q[−U − log q] ≤ log Z beside log Z by \
            importance sampling and by quadrature; the targets live on [−4, 4]².

            Example, as in Rezende & Mohamed's Figure 3:
              reparam flow train --task u2 --flow planar --layers 32 --out runs/u2

            Ctrl-C or SIGTERM saves a checkpoint and stops; --resume RUN continues bit-exactly.
            """)

    @OptionGroup var source: FlowTaskOptions
    @Option(help: "planar, radial, realnvp, maf, iaf, spline or spline-ar.") var flow: FlowKind = .spline
    @OptionGroup var options: FlowOptions
    @OptionGroup var kernels: KernelOptions
    @Option(
        help: ArgumentHelp("Folder for the checkpoint, configuration and metrics.jsonl.", valueName: "run"),
        transform: pathArgument)
    var out: String?
    @Option(
        help: ArgumentHelp("Continue the run in this folder (to its --steps, or more with --steps).", valueName: "run"),
        transform: pathArgument)
    var resume: String?
    @Option(
        help: ArgumentHelp("Write an HTML report with density plots into this folder.", valueName: "dir"),
        transform: pathArgument)
    var report: String?
    @Flag(help: "Print one JSON object per evaluation; the last line sums up the run.") var json = false

    func validate() throws {
        if resume != nil {
            if out != nil { throw ValidationError("--resume continues the run in its own folder; drop --out") }
        } else {
            try source.check()
            if let name = source.task, let task = FlowTask(name: name) {
                let configuration = options.configuration(task: task, flow: flow)
                if let problem = configuration.problems.first { throw ValidationError(problem) }
                try options.checkMemory(configuration)
            }
        }
    }

    func run() throws {
        try kernels.applied {
            var trainer: any FlowTraining
            var folder: RunFolder?
            var steps = options.stepCount
            if let resume {
                trainer = try loadFlowRun(resume)
                folder = RunFolder.resuming(resume)
                // A larger --steps extends the run; by default it ends where it was configured to.
                steps = options.steps ?? trainer.configuration.steps
                if steps <= trainer.step {
                    print("\(resume) has already taken \(trainer.step) steps; pass a larger --steps to continue.")
                    return
                }
                trainer.extend(toSteps: steps)
            } else {
                let (task, data) = try source.load()
                let configuration = options.configuration(
                    task: task, flow: flow, trainFile: source.trainFile.map(absolute),
                    testFile: source.testFile.map(absolute))
                if let problem = configuration.problems.first { throw CommandFailure(description: problem) }
                trainer = try makeFlowTrainer(configuration, data: data)
                if let out { folder = try RunFolder.create(out, configuration: configuration) }
            }
            let summary = try trainFlow(&trainer, until: steps, folder: folder, json: json)
            if let report {
                let page = try writeReport(
                    HTMLReport(
                        title: "Flow: \(trainer.configuration.flow.rawValue) on \(trainer.configuration.task.name)",
                        results: [FlowLab.densityResult([(trainer, summary)])]), to: report)
                if !json { print("Report: \(page.path)") }
            }
        }
    }
}

func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

/// Steps until `steps` with a progress bar, an evaluation (line or JSON, metrics.jsonl,
/// checkpoint) every `evaluateEvery` steps and at the end, Ctrl-C saving and stopping, and a
/// non-finite loss stopping with the last good checkpoint kept. Returns the final summary.
func trainFlow(
    _ trainer: inout any FlowTraining, until steps: Int, folder: RunFolder?, json: Bool
) throws -> FlowRunSummary {
    let c = trainer.configuration
    installStopHandlers()
    if !json {
        print(
            "\(c.flow.rawValue) (\(c.flow.summary)), \(c.layers) layers, \(trainer.parameterCount) parameters, "
                + "on \(c.task.name)"
        )
        print(
            c.task.isEnergy
                ? "   step       loss   bound (±se)        log Z (IS)   log Z (exact)   steps/s"
                : "   step       loss   test log-likelihood (±se)   steps/s")
    }
    var progress = ProgressBar(total: steps)
    progress.start(label: "\(c.flow.rawValue) \(c.task.name)", done: trainer.step)
    var trainingSeconds = 0.0
    var stepsTimed = 0
    var summary = FlowRunSummary(configuration: c, steps: trainer.step, seconds: 0, evaluation: trainer.evaluate())
    while trainer.step < steps {
        if interruptRequested != 0 {
            progress.finish()
            if let folder {
                try saveFlow(trainer, folder)
                print(
                    "\(interruption.name) at step \(trainer.step); saved \(folder.checkpoint.path). "
                        + "Continue with --resume \(folder.url.path).")
            } else {
                print("\(interruption.name) at step \(trainer.step) (no --out folder: nothing saved).")
            }
            throw interruption.exit
        }
        let started = Date()
        do { try trainer.trainStep() } catch let error as NonFiniteTrainingError {
            progress.finish()
            let kept =
                folder.map {
                    FileManager.default.fileExists(atPath: $0.checkpoint.path)
                        ? " The last good checkpoint, \($0.checkpoint.path), is unchanged."
                        : " No checkpoint was written yet."
                } ?? ""
            throw CommandFailure(description: "\(error).\(kept) Try a lower --lr or fewer layers.")
        }
        trainingSeconds += Date().timeIntervalSince(started)
        stepsTimed += 1
        progress.update(done: trainer.step, loss: Double(trainer.lastLoss))
        if trainer.step % c.evaluateEvery == 0 || trainer.step == steps {
            progress.finish()
            summary = FlowRunSummary(
                configuration: c, steps: trainer.step, seconds: trainingSeconds,
                stepsPerSecond: Double(stepsTimed) / trainingSeconds, evaluation: trainer.evaluate())
            let record = summary.record(loss: Double(trainer.lastLoss))
            if let folder {
                try saveFlow(trainer, folder)
                do { try folder.appendMetrics(record.json) } catch {
                    throw CommandFailure(
                        description: "cannot append to \(folder.metrics.path): \(error.localizedDescription)")
                }
            }
            if json { print(record.json) } else { print(summary.line(loss: Double(trainer.lastLoss))) }
            fflush(nil)
        }
    }
    if json { print(summary.record(loss: Double(trainer.lastLoss), final: true).json) }
    return summary
}

private func saveFlow(_ trainer: any FlowTraining, _ folder: RunFolder) throws {
    do { try savingProtected { try trainer.writeCheckpoint(to: folder.checkpoint) } } catch {
        throw CommandFailure(description: "\(error)")
    }
}

struct FlowSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Draw points from a trained flow, as CSV.")

    @Argument(help: ArgumentHelp("The run folder.", valueName: "run"), transform: pathArgument) var runFolder: String
    @Option(help: "Number of points.") var count = 1000
    @Option(help: "Seed of the sampling key.", transform: seedArgument) var seed: UInt64 = 1
    @Option(
        help: ArgumentHelp("Write the CSV here instead of standard output.", valueName: "file"),
        transform: pathArgument) var out: String?

    func validate() throws {
        guard (1...10_000_000).contains(count) else {
            throw ValidationError("--count must be between 1 and 10000000, got \(count)")
        }
    }

    func run() throws {
        let trainer = try loadFlowRun(runFolder)
        let text = PointsCSV.text(trainer.sample(count, key: RandomKey(seed: seed)))
        if let out {
            let file = URL(fileURLWithPath: out)
            do { try savingProtected { try Data(text.utf8).write(to: file, options: .atomic) } } catch {
                throw CommandFailure(description: "cannot write \(out): \(error.localizedDescription)")
            }
        } else {
            print(text, terminator: "")
        }
    }
}

struct FlowDensityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "density", abstract: "Print log p(x) of a trained flow at points from a CSV file.")

    @Argument(help: ArgumentHelp("The run folder.", valueName: "run"), transform: pathArgument) var runFolder: String
    @Option(
        help: ArgumentHelp("Points, CSV, one per row.", valueName: "csv"),
        transform: pathArgument) var points: String

    func run() throws {
        let trainer = try loadFlowRun(runFolder)
        let x: Tensor
        do { x = try PointsCSV.read(URL(fileURLWithPath: points)) } catch {
            throw CommandFailure(description: "\(error)")
        }
        guard x.shape[1] == trainer.configuration.dimension else {
            throw CommandFailure(
                description:
                    "\(points) has \(x.shape[1]) coordinates per point; "
                    + "the flow models \(trainer.configuration.dimension)"
            )
        }
        let values = trainer.logDensity(x).scalars
        print("log_density")
        for v in values { print(v) }
        let bad = values.indices.filter { !values[$0].isFinite }
        if let first = bad.first {
            // Far outside the training data an affine coupling's exp(−s) can overflow: say so.
            FileHandle.standardError.write(
                Data(
                    """
                    warning: \(bad.count) of \(values.count) log-densities are not finite \
                    (first: row \(first + 1) of \(points), \
                    \(values[first])); those points lie where the flow's arithmetic overflows.\n
                    """.utf8))
        }
    }
}

func loadFlowRun(_ path: String) throws -> any FlowTraining {
    let run = RunFolder(url: URL(fileURLWithPath: path))
    // A points run reads its points again from the files its configuration names.
    return try run.read { url in
        try readFlowCheckpoint(url) { configuration in
            guard case .points = configuration.task, let train = configuration.trainFile,
                let test = configuration.testFile
            else { return nil }
            return try loadPoints(train: train, test: test)
        }
    }
}

struct FlowCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract:
            "Train several flows on one task with the same budget; print a table and write a report with density plots."
    )

    @OptionGroup var source: FlowTaskOptions
    @Option(help: ArgumentHelp("Comma-separated flows.", valueName: "list")) var flows = "planar,realnvp,spline"
    @OptionGroup var options: FlowOptions
    @OptionGroup var kernels: KernelOptions
    @Option(
        help: ArgumentHelp("Folder for the HTML report.", valueName: "dir"),
        transform: pathArgument) var report = "reparam-flow-report"
    @Flag(help: "Print one JSON object per flow.") var json = false
    @OptionGroup var scaleOut: ComparisonSweep
    @Option(parsing: .unconditional, help: "Seeds per grid point in the --sweep spec (0…N−1).") var seeds = 1

    var kinds: [FlowKind?] {
        flows.split(separator: ",", omittingEmptySubsequences: false).map { FlowKind(rawValue: String($0)) }
    }

    func validate() throws {
        try source.check()
        if seeds != 1 && scaleOut.sweep == nil {
            throw ValidationError("--seeds \(seeds) needs --sweep (in this process the comparison runs one seed)")
        }
        guard (1...100_000).contains(seeds) else { throw ValidationError("--seeds must be 1 to 100000, got \(seeds)") }
        let names = flows.split(separator: ",", omittingEmptySubsequences: false)
        if let bad = zip(names, kinds).first(where: { $0.1 == nil }) {
            throw ValidationError(
                "unknown flow '\(bad.0)' in --flows; choose from "
                    + FlowKind.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        if let name = source.task, let task = FlowTask(name: name) {
            for kind in kinds.compactMap({ $0 }) {
                let configuration = options.configuration(task: task, flow: kind)
                if let problem = configuration.problems.first { throw ValidationError(problem) }
                try options.checkMemory(configuration)
            }
        }
    }

    func run() throws {
        if try scaleOut.export(
            from: ["flow", "compare"], to: ["flow", "train"], grid: [("flow", commaList(flows))],
            seeds: seeds, fixed: ["out": "{task}/run"], dropping: ["flows", "report"])
        {
            return
        }
        try kernels.applied {
            let (task, data) = try source.load()
            var runs: [(trainer: any FlowTraining, summary: FlowRunSummary)] = []
            for kind in kinds.compactMap({ $0 }) {
                var trainer = try makeFlowTrainer(options.configuration(task: task, flow: kind), data: data)
                let summary = try trainFlow(&trainer, until: options.stepCount, folder: nil, json: json)
                runs.append((trainer, summary))
                if !json { print("") }
            }
            let result = FlowLab.densityResult(runs)
            if !json { print(result.text) }
            let page = try writeReport(HTMLReport(title: "Flows on \(task.name)", results: [result]), to: report)
            if !json { print("\nReport: \(page.path)") }
        }
    }
}

struct FlowDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write a 2-D set's training and test points (the ones flow train uses) as CSV.")

    @Option(
        help: ArgumentHelp(
            "two-moons, eight-gaussians, checkerboard, rings, pinwheel or swiss-roll.", valueName: "name"))
    var task: String
    @Option(
        help: ArgumentHelp("Folder for train.csv and test.csv.", valueName: "dir"),
        transform: pathArgument) var out: String
    @Option(help: "Training points.") var trainCount = 20_000
    @Option(help: "Test points.") var testCount = 10_000

    func validate() throws {
        guard ToyData(rawValue: task) != nil else {
            throw ValidationError(
                "unknown --task '\(task)'; choose one of \(ToyData.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard trainCount >= 2 && testCount >= 1 else {
            throw ValidationError("--train-count must be at least 2 and --test-count at least 1")
        }
    }

    func run() throws {
        let data = FlowData(ToyData(rawValue: task)!, trainCount: trainCount, testCount: testCount)
        let folder = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, points) in [("train.csv", data.train), ("test.csv", data.test)] {
                let file = folder.appendingPathComponent(name)
                try savingProtected { try Data(PointsCSV.text(points).utf8).write(to: file, options: .atomic) }
            }
        } catch { throw CommandFailure(description: "cannot write into \(out): \(error.localizedDescription)") }
        print("Wrote \(data.train.shape[0]) training and \(data.test.shape[0]) test points to \(folder.path)")
    }
}
