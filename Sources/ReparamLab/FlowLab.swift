import Foundation
import Reparam

/// Where a flow run got: its configuration, steps, training time and last evaluation.
public struct FlowRunSummary: Sendable {
    public var configuration: FlowConfiguration
    public var steps: Int
    /// Seconds spent in training steps (evaluations excluded).
    public var seconds: Double
    public var stepsPerSecond: Double
    public var evaluation: FlowEvaluation

    public init(
        configuration: FlowConfiguration, steps: Int, seconds: Double, stepsPerSecond: Double = .nan,
        evaluation: FlowEvaluation
    ) {
        self.configuration = configuration
        self.steps = steps
        self.seconds = seconds
        self.stepsPerSecond = stepsPerSecond
        self.evaluation = evaluation
    }

    /// One JSON object; `final` marks the run's closing line.
    public func record(loss: Double, final: Bool = false) -> Record {
        var fields: [(String, JSONValue)] = [
            ("task", .string(configuration.task.name)), ("flow", .string(configuration.flow.rawValue)),
            ("layers", .integer(configuration.layers)), ("steps", .integer(steps)),
            ("seconds", .number(seconds)), ("steps_per_second", .number(stepsPerSecond)),
            ("loss", .number(loss)),
        ]
        let e = evaluation
        if let ll = e.testLogLikelihood {
            fields += [
                ("test_log_likelihood", .number(ll.mean)), ("test_log_likelihood_se", .number(ll.standardError)),
            ]
        }
        if let elbo = e.elbo {
            fields += [
                ("elbo", .number(elbo.mean)), ("elbo_se", .number(elbo.standardError)),
                ("log_z", .optional(e.importanceLogZ)),
                ("exact_log_z", .optional(e.exactLogZ)),
            ]
        }
        if final { fields.append(("final", .bool(true))) }
        return Record(fields)
    }

    /// The row `flow train` prints at each evaluation.
    public func line(loss: Double) -> String {
        let e = evaluation
        if let elbo = e.elbo {
            return String(
                format: "%7d  %9.4f   %8.4f (±%.4f)   %10.4f   %13.4f   %7.0f", steps, loss, elbo.mean,
                elbo.standardError,
                e.importanceLogZ ?? .nan, e.exactLogZ ?? .nan, stepsPerSecond)
        }
        let ll = e.testLogLikelihood ?? (.nan, .nan)
        return String(
            format: "%7d  %9.4f   %10.4f (±%.4f)             %7.0f", steps, loss, ll.mean, ll.standardError,
            stepsPerSecond)
    }
}

/// Tables and density pictures of trained flows against their target.
public enum FlowLab {
    /// Pixels per side of each density picture.
    public static let side = 200

    /// The square a task is drawn on: the energies' [−4, 4]², ±4.5 around the 2-D sets.
    static func box(_ task: FlowTask) -> Double { task.isEnergy ? Double(Energy.box) : 4.5 }

    /// Grid cell centres, row 0 at the top: [side², 2].
    static func grid(_ box: Double) -> Tensor {
        let h = 2 * box / Double(side)
        var scalars = [Float](repeating: 0, count: 2 * side * side)
        for row in 0..<side {
            for column in 0..<side {
                scalars[2 * (row * side + column)] = Float(-box + h * (Double(column) + 0.5))
                scalars[2 * (row * side + column) + 1] = Float(box - h * (Double(row) + 0.5))
            }
        }
        return Tensor(shape: [side * side, 2], scalars: scalars)
    }

    /// The target as a picture: exp(−U) for an energy, a histogram of the test points otherwise.
    static func target(_ configuration: FlowConfiguration) -> Heatmap? {
        let box = box(configuration.task)
        var values: [Double]
        switch configuration.task {
        case .energy(let energy):
            values = energy(grid(box)).scalars.map { Foundation.exp(-Double($0)) }
        case .density(let set):
            // The training and test points binned in 2 × 2-pixel cells: single pixels of 30 000
            // points read as speckle.
            let data = FlowData(set, trainCount: configuration.trainCount, testCount: configuration.testCount)
            let points = concat([data.train, data.test], axis: 0)
            values = [Double](repeating: 0, count: side * side)
            let cells = side / 2
            let h = 2 * box / Double(cells)
            for i in 0..<points.shape[0] {
                let column = Int((Double(points.scalars[2 * i]) + box) / h)
                let row = Int((box - Double(points.scalars[2 * i + 1])) / h)
                guard (0..<cells).contains(column) && (0..<cells).contains(row) else { continue }
                for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    values[(2 * row + dr) * side + 2 * column + dc] += 1
                }
            }
        case .points:
            return nil
        }
        return Heatmap(
            name: "target-\(configuration.task.name)",
            caption: configuration.task.isEnergy
                ? "Target exp(−U), \(configuration.task.name)"
                : "Points of \(configuration.task.name) (histogram)",
            values: values, side: side)
    }

    /// The flow's density p(x) on the task's square.
    static func density(_ trainer: any FlowTraining, name: String) -> Heatmap? {
        guard trainer.configuration.dimension == 2 else { return nil }
        let values = trainer.logDensity(grid(box(trainer.configuration.task))).scalars.map {
            Foundation.exp(Double($0))
        }
        return Heatmap(
            name: name, caption: "\(trainer.configuration.flow.rawValue), \(trainer.configuration.layers) layers",
            values: values, side: side)
    }

    /// One table row per run (all on one task) and density pictures beside the target's.
    public static func densityResult(_ runs: [(trainer: any FlowTraining, summary: FlowRunSummary)]) -> LabResult {
        let task = runs[0].trainer.configuration.task
        let header =
            task.isEnergy
            ? ["flow", "layers", "parameters", "steps", "steps/s", "bound", "± se", "log Z (IS)", "log Z (exact)"]
            : ["flow", "layers", "parameters", "steps", "steps/s", "test log-lik.", "± se"]
        var table = Table(header: header)
        for (trainer, summary) in runs {
            let c = trainer.configuration
            let e = summary.evaluation
            var row = [
                c.flow.rawValue, "\(c.layers)", "\(trainer.parameterCount)", "\(summary.steps)",
                formatted(summary.stepsPerSecond),
            ]
            if let elbo = e.elbo {
                row += [
                    formatted(elbo.mean), formatted(elbo.standardError), formatted(e.importanceLogZ ?? .nan),
                    formatted(e.exactLogZ ?? .nan),
                ]
            } else if let ll = e.testLogLikelihood {
                row += [formatted(ll.mean), formatted(ll.standardError)]
            }
            table.rows.append(row)
        }
        let pictures =
            [target(runs[0].trainer.configuration)].compactMap { $0 }
            + runs.enumerated().compactMap { i, run in
                density(run.trainer, name: "density-\(task.name)-\(run.trainer.configuration.flow.rawValue)-\(i)")
            }
        let headline =
            task.isEnergy
            ? [
                "Variational inference on \(task.name): the bound E_q[−U − log q] approaches log Z from below "
                    + "as q approaches the target."
            ]
            : [
                "Density estimation on \(task.name): mean log-likelihood of held-out points "
                    + "(nats per point; higher is better)."
            ]
        return LabResult(
            title: "Flows on \(task.name)", headline: headline, table: table,
            records: runs.map { $0.summary.record(loss: .nan, final: true) }, charts: [], heatmaps: pictures)
    }
}

extension FlowLab {
    /// `steps` steps of `configuration` with no output, timed; the summary after a final evaluation.
    public static func train(
        _ configuration: FlowConfiguration, data: FlowData? = nil
    ) throws
        -> (trainer: any FlowTraining, summary: FlowRunSummary)
    {
        var trainer = try makeFlowTrainer(configuration, data: data)
        let started = Date()
        while trainer.step < configuration.steps { try trainer.trainStep() }
        let seconds = Date().timeIntervalSince(started)
        return (
            trainer,
            FlowRunSummary(
                configuration: configuration, steps: trainer.step, seconds: seconds,
                stepsPerSecond: Double(trainer.step) / seconds, evaluation: trainer.evaluate())
        )
    }

    /// The demo's flows: density estimation on two moons (a spline flow and RealNVP) and
    /// variational inference on U1 (32 planar layers and a spline flow), `steps` steps each.
    public static func demo(steps: Int, seed: UInt64) throws -> [LabResult] {
        func run(_ task: FlowTask, _ flows: [FlowKind]) throws -> LabResult {
            let runs = try flows.map { try train(FlowConfiguration(task: task, flow: $0, steps: steps, seed: seed)) }
            return densityResult(runs)
        }
        return [try run(.density(.twoMoons), [.spline, .realnvp]), try run(.energy(.u1), [.planar, .spline])]
    }
}
