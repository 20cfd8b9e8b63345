import Foundation

/// One run of a sweep: a grid point, a seed and the exact command line.
public struct SweepTask: Sendable, Equatable {
    public let index: Int
    public let point: [String: String]
    public let seed: UInt64
    /// The `reparam` arguments, `{task}` already replaced by ``folder``.
    public let arguments: [String]
    /// Where the task writes: `<output>/tasks/<index>`.
    public let folder: URL
}

extension SweepSpec {
    /// The grid's points (flags in name order, values in the order given), each with every seed,
    /// seeds innermost; task i is the same on every machine that reads the same spec.
    public var tasks: [SweepTask] {
        var points: [[(String, String)]] = [[]]
        for (flag, values) in grid {
            points = points.flatMap { point in values.map { point + [(flag, $0)] } }
        }
        var tasks: [SweepTask] = []
        for point in points {
            for seed in seeds {
                let index = tasks.count
                let folder = output.appendingPathComponent("tasks").appendingPathComponent(SweepSpec.taskName(index))
                let fill = { (value: String) in value.replacingOccurrences(of: "{task}", with: folder.path) }
                var arguments = command
                for (flag, value) in fixed { arguments += ["--\(flag)", fill(value)] }
                for flag in switches { arguments.append("--\(flag)") }
                for (flag, value) in point { arguments += ["--\(flag)", fill(value)] }
                arguments += ["--seed", String(seed)]
                tasks.append(
                    SweepTask(
                        index: index, point: Dictionary(uniqueKeysWithValues: point), seed: seed,
                        arguments: arguments, folder: folder))
            }
        }
        return tasks
    }

    static func taskName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// The grid's flags, in the order the merged table lists them.
    public var gridFlags: [String] { grid.map(\.flag) }
}

/// What a task folder says about its task.
public enum SweepTaskState: Equatable, Sendable {
    case pending
    case done
    /// Exit status and the end of its standard error.
    case failed(status: Int32, stderrTail: String)
}

/// How many of a sweep's tasks are in each state (running: started by this process, not yet filed).
public struct SweepCounts: Sendable, Equatable {
    public var done = 0, failed = 0, pending = 0, running = 0
    public init() {}
}

/// The files of one sweep: `tasks.jsonl` (the plan), `tasks/<index>/result.json` (a finished
/// task's result, written once, atomically), `tasks/<index>/failure.json`, and the merged tables.
public struct SweepFolder: Sendable {
    public let spec: SweepSpec
    public let tasks: [SweepTask]

    public init(spec: SweepSpec) {
        self.spec = spec
        tasks = spec.tasks
    }

    public var planFile: URL { spec.output.appendingPathComponent("tasks.jsonl") }

    /// Writes tasks.jsonl (one task per line, with its exact command line); refuses to replace a
    /// plan that differs, since finished results are filed by task number.
    public func writePlan() throws {
        let lines = tasks.map { task -> String in
            let object: [String: Any] = [
                "index": task.index, "seed": task.seed, "point": task.point,
                "arguments": task.arguments,
            ]
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data ?? Data(), as: UTF8.self)
        }
        let text = lines.joined(separator: "\n") + "\n"
        if let existing = try? String(contentsOf: planFile, encoding: .utf8), existing != text {
            throw SweepError(
                """
                \(planFile.path) holds a different plan (the spec changed since it was planned); results are \
                filed by task number, so choose a new 'output' folder or remove that one
                """)
        }
        try makeFolder(spec.output)
        try writeAtomically(Data(text.utf8), to: planFile)
    }

    public func state(of task: SweepTask) -> SweepTaskState {
        if FileManager.default.fileExists(atPath: resultFile(task).path) { return .done }
        guard let data = try? Data(contentsOf: failureFile(task)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return .pending }
        return .failed(
            status: Int32((object["status"] as? Int) ?? -1), stderrTail: object["stderr_tail"] as? String ?? "")
    }

    /// Tasks by state, for progress lines and `sweep status`.
    public func counts() -> SweepCounts {
        var counts = SweepCounts()
        for task in tasks {
            switch state(of: task) {
            case .done: counts.done += 1
            case .failed: counts.failed += 1
            case .pending: counts.pending += 1
            }
        }
        return counts
    }

    public func resultFile(_ task: SweepTask) -> URL { task.folder.appendingPathComponent("result.json") }
    func failureFile(_ task: SweepTask) -> URL { task.folder.appendingPathComponent("failure.json") }

    /// The task, by index, or an error naming the range.
    public func task(_ index: Int) throws -> SweepTask {
        guard tasks.indices.contains(index) else {
            throw SweepError("task \(index) is out of range: this sweep has tasks 0 to \(tasks.count - 1)")
        }
        return tasks[index]
    }

    /// Files a finished run: its result (the last JSON object it printed) or its failure.
    func record(_ task: SweepTask, status: Int32, stdout: String, stderr: String, seconds: Double) throws {
        let records = stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let result = records.last
        try makeFolder(task.folder)
        if status == 0, let result {
            let object: [String: Any] = [
                "index": task.index, "seed": task.seed, "point": task.point,
                "arguments": task.arguments, "result": result, "records": records,
                "wall_seconds": seconds,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            try writeAtomically(data, to: resultFile(task))
            try? FileManager.default.removeItem(at: failureFile(task))
        } else {
            let tail = String(stderr.suffix(2000))
            let why = status == 0 ? "it exited 0 but printed no JSON result line (add the json switch?)" : tail
            let object: [String: Any] = ["index": task.index, "status": Int(status), "stderr_tail": why]
            try writeAtomically(
                try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                to: failureFile(task))
        }
    }
}

/// Writes `data` to a temporary file beside `url` and renames it into place: a reader sees the
/// old file or the new one, never a part.
func writeAtomically(_ data: Data, to url: URL) throws {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
    do { try data.write(to: temporary) } catch {
        throw SweepError("cannot write \(url.path): \(error.localizedDescription)")
    }
    guard rename(temporary.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw SweepError("cannot write \(url.path): \(reason)")
    }
}

/// Creates `url` and its parents, or says which folder could not be made.
func makeFolder(_ url: URL) throws {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
        throw SweepError("cannot create the folder \(url.path): \(error.localizedDescription)")
    }
}
