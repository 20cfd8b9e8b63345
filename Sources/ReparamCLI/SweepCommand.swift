import ArgumentParser
import Foundation
import ReparamSweep

#if canImport(Glibc)
    import Glibc
#endif

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a grid of reparam commands × seeds here or as a Slurm array, and merge the results.",
        discussion: """
            A spec (JSON) names a subcommand, flags every task shares, a grid of flag values and seeds \
            (docs/sweeps.md has the format):

              {"command": ["flow", "train"], "fixed": {"task": "two-moons"},
               "switches": ["json"], "grid": {"flow": ["realnvp", "spline"]},
               "seeds": 5, "output": "sweeps/flows"}

            Each task writes its result into <output>/tasks/<index>/ once, atomically; a task with a \
            result is never run again, so a stopped or failed sweep is finished by running it again.
            """,
        subcommands: [
            SweepPlanCommand.self, SweepRunCommand.self, SweepSubmitCommand.self, SweepStatusCommand.self,
            SweepMergeCommand.self,
        ])
}

/// The spec, read and its every task's command line checked by the same parser that will run it.
struct SweepOptions: ParsableArguments {
    @Argument(help: "The sweep spec (JSON).", transform: pathArgument) var spec: String

    func load() throws -> SweepFolder { try loadSweep(spec) }
}

/// A spec file read, and every task's command line checked by the parser that will run it.
func loadSweep(_ spec: String) throws -> SweepFolder {
    let folder: SweepFolder
    do {
        folder = SweepFolder(spec: try SweepSpec(contentsOf: URL(fileURLWithPath: spec)))
    } catch let error as SweepError { throw ValidationError(error.description) }
    // The parser may report a failed check before an unknown flag, so flag names are checked first.
    let sweep = folder.spec
    let command = sweep.command.joined(separator: " ")
    switch knownFlags(of: sweep.command) {
    case .some(nil):
        throw ValidationError("\(spec): '\(command)' is not a reparam command (see reparam --help)")
    case .some(let known?):
        let given =
            sweep.fixed.map { ($0.flag, "fixed") } + sweep.switches.map { ($0, "switches") }
            + sweep.grid.map { ($0.flag, "grid") }
        for (flag, place) in given where !known.contains(flag) {
            throw ValidationError(
                "\(spec): \(place) names --\(flag), which '\(command)' does not have "
                    + "(its flags: \(known.sorted().map { "--" + $0 }.joined(separator: ", ")))")
        }
    case nil: break  // the parser below still checks every task
    }
    for task in folder.tasks {
        do { _ = try ReparamCommand.parseAsRoot(task.arguments) } catch {
            let message = ReparamCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw ValidationError("task \(task.index) (\(task.arguments.joined(separator: " "))): \(message)")
        }
    }
    return folder
}

/// The long option and flag names of the command at `path`, from the parser's own description of
/// this binary: .some(nil) when the path names no command, nil when the description is unavailable.
func knownFlags(of path: [String]) -> Set<String>?? {
    let process = Process()
    process.executableURL = reparamExecutable
    process.arguments = ["--experimental-dump-help"]
    let pipe = Pipe()
    (process.standardOutput, process.standardError) = (pipe, FileHandle.nullDevice)
    guard (try? process.run()) != nil else { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
        var command = root["command"] as? [String: Any]
    else { return nil }
    for word in path {
        let subcommands = command["subcommands"] as? [[String: Any]] ?? []
        guard let next = subcommands.first(where: { $0["commandName"] as? String == word }) else { return .some(nil) }
        command = next
    }
    let arguments = command["arguments"] as? [[String: Any]] ?? []
    return Set(
        arguments.flatMap { argument -> [String] in
            guard argument["kind"] as? String != "positional" else { return [] }
            let names = argument["names"] as? [[String: Any]] ?? []
            return names.compactMap { $0["kind"] as? String == "long" ? $0["name"] as? String : nil }
        })
}

/// `--sweep FILE` on a comparison: the same comparison written as a sweep spec (the compared names
/// as a grid, seeds 0…N−1, every other flag as given) to run with `reparam sweep`, here or on a
/// cluster, instead of in this process.
struct ComparisonSweep: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Write this comparison as a sweep spec (JSON) for `reparam sweep` instead of running it.",
            valueName: "file"), transform: pathArgument)
    var sweep: String?

    /// Writes the spec and returns true when --sweep was given. `words` is the comparison's command
    /// path (its flags follow it on the command line); `extra` flags every task gets (its run folder);
    /// `dropping` the flags that the grid, the seeds or the comparison's own output replace.
    func export(
        from words: [String], to train: [String], grid: [(flag: String, values: [String])], seeds: Int,
        fixed extra: [String: String], dropping: Set<String>
    ) throws -> Bool {
        guard let sweep else { return false }
        let all = Array(CommandLine.arguments.dropFirst())
        guard
            let start = (0...max(0, all.count - words.count)).first(where: {
                Array(all[$0..<($0 + words.count)]) == words
            })
        else { throw ValidationError("--sweep: cannot find '\(words.joined(separator: " "))' on the command line") }
        var fixed = extra
        var switches = ["json"]
        let tokens = Array(all[(start + words.count)...])
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            guard token.hasPrefix("--"), token.count > 2 else {
                throw ValidationError("--sweep: cannot place the argument '\(token)' in a sweep spec")
            }
            var name = String(token.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else if i + 1 < tokens.count, !tokens[i + 1].hasPrefix("--") {
                value = tokens[i + 1]
                i += 1
            }
            i += 1
            if dropping.contains(name) || ["sweep", "seeds", "seed", "json"].contains(name) { continue }
            // Tasks run in the spec's folder: a relative path that names something here becomes absolute.
            if var value {
                if !value.hasPrefix("/"), FileManager.default.fileExists(atPath: value) {
                    value = URL(fileURLWithPath: value).standardizedFileURL.path
                }
                fixed[name] = value
            } else if !switches.contains(name) {
                switches.append(name)
            }
        }
        let url = URL(fileURLWithPath: sweep)
        let object: [String: Any] = [
            "command": train, "fixed": fixed, "switches": switches, "seeds": seeds,
            "grid": Dictionary(uniqueKeysWithValues: grid.map { ($0.flag, $0.values) }),
            "output": url.deletingPathExtension().lastPathComponent + "-runs",
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try sweepWrite(String(decoding: data, as: UTF8.self) + "\n", to: url)
        let folder: SweepFolder
        do { folder = try loadSweep(sweep) } catch {  // every task's command line, checked now
            try? FileManager.default.removeItem(at: url)  // no spec that would fail later is left behind
            throw error
        }
        print("wrote \(url.path): \(folder.tasks.count) tasks; run them with")
        print("  reparam sweep run \(sweep) --local --workers 2     (or: reparam sweep submit \(sweep) --slurm)")
        print("  reparam sweep merge \(sweep) --report report")
        return true
    }
}

struct SweepPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Expand a spec into numbered tasks (tasks.jsonl) and print how many.")
    @OptionGroup var options: SweepOptions

    func run() throws {
        let folder = try options.load()
        try savingProtected { try sweepFailure { try folder.writePlan() } }
        print("\(folder.tasks.count) tasks in \(folder.planFile.path)")
    }
}

struct SweepRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sweep's pending tasks here (--local), or one task (--task I, SLURM_ARRAY_TASK_ID or "
            + "JOB_COMPLETION_INDEX).")
    @OptionGroup var options: SweepOptions
    @Flag(help: "Run every pending task on this machine.") var local = false
    @Option(help: "Tasks at a time with --local (default: 1; each gets cores/workers threads).") var workers = 1
    @Option(help: "Run this one task (default with neither: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX).")
    var task: Int?

    func validate() throws {
        guard workers >= 1 && workers <= 256 else {
            throw ValidationError("--workers must be 1 to 256, got \(workers)")
        }
        if local && task != nil { throw ValidationError("--local runs every task; --task runs one: give one of them") }
    }

    func run() throws {
        let folder = try options.load()
        try savingProtected { try sweepFailure { try folder.writePlan() } }
        var runner = SweepRunner(folder: folder, executable: reparamExecutable)
        if local {
            if ProcessInfo.processInfo.environment["REPARAM_THREADS"] == nil {
                runner.environment["REPARAM_THREADS"] = String(
                    max(1, ProcessInfo.processInfo.activeProcessorCount / workers))
            }
            installStopHandlers()
            let total = folder.tasks.count
            let enabled = isatty(2) != 0
            let outcome = try sweepFailure {
                try runner.runPending(workers: workers, shouldStop: { interruptRequested != 0 }) { c in
                    guard enabled else { return }
                    let line =
                        "\rsweep: \(c.done)/\(total) done, \(c.running) running, \(c.failed) failed, "
                        + "\(c.pending) to go "
                    FileHandle.standardError.write(Data(line.utf8))
                }
            }
            if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let counts = folder.counts()
            print("sweep: \(counts.done) of \(total) tasks done, \(counts.failed) failed, \(counts.pending) pending")
            switch outcome {
            case .interrupted:
                print("stopped by \(interruption.name): run the same command again to finish the rest")
                throw interruption.exit
            case .finished(let failed) where failed > 0:
                for line in failures(in: folder) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
                throw ExitCode.failure
            case .finished: return
            }
        }
        let index = try task ?? environmentTaskIndex()
        let chosen = try sweepFailure { try folder.task(index) }
        // Ctrl-C or scancel's SIGTERM reaches the task too; this process files what it left, then stops.
        installStopHandlers()
        let succeeded = try sweepFailure { try runner.runOne(chosen) }
        if interruptRequested != 0 {
            print("stopped by \(interruption.name): task \(index) is left to run again")
            throw interruption.exit
        }
        guard succeeded else {
            if case .failed(let status, let tail) = folder.state(of: chosen) {
                FileHandle.standardError.write(Data("task \(index) failed (exit \(status)):\n\(tail)\n".utf8))
            }
            throw ExitCode.failure
        }
        print("task \(index): result in \(folder.resultFile(chosen).path)")
    }

    private func environmentTaskIndex() throws -> Int {
        let environment = ProcessInfo.processInfo.environment
        for name in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
            guard let text = environment[name] else { continue }
            guard let index = Int(text) else { throw ValidationError("\(name) is '\(text)', not a task number") }
            return index
        }
        throw ValidationError(
            "give --local, --task I, or run inside a Slurm array (SLURM_ARRAY_TASK_ID) or an indexed Job")
    }
}

struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Count the sweep's done, failed and pending tasks.")
    @OptionGroup var options: SweepOptions

    func run() throws {
        let folder = try options.load()
        let counts = folder.counts()
        print("\(folder.tasks.count) tasks: \(counts.done) done, \(counts.failed) failed, \(counts.pending) pending")
        for line in failures(in: folder) { print("  " + line) }
        if let queue = slurmQueue() { print(queue) }
    }

    /// What squeue says about this user's jobs, when Slurm is installed.
    private func slurmQueue() -> String? {
        guard let squeue = findExecutable("squeue") else { return nil }
        let process = Process()
        process.executableURL = squeue
        process.arguments = ["--me", "--noheader", "--format=%i %j %T"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return "squeue: " + (text.isEmpty ? "no jobs queued" : "\n" + text)
    }
}

struct SweepMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Gather the results into merged.jsonl and merged.csv (mean ± standard error over seeds).")
    @OptionGroup var options: SweepOptions
    @Option(help: "Also write an HTML report (index.html) into this folder.", transform: pathArgument) var report:
        String?

    func run() throws {
        let folder = try options.load()
        let table = try sweepFailure { try SweepTable(folder: folder) }
        try savingProtected { try sweepFailure { try table.write(to: folder.spec.output) } }
        print(table.text, terminator: "")
        let csv = folder.spec.output.appendingPathComponent("merged.csv").path
        print("\(table.done) of \(table.total) tasks merged into \(csv)")
        if let report {
            let url = URL(fileURLWithPath: report)
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                try savingProtected {
                    try Data(table.html.utf8).write(to: url.appendingPathComponent("index.html"), options: .atomic)
                }
            } catch {
                throw ValidationError("--report: cannot write \(url.path)/index.html: \(error.localizedDescription)")
            }
            print("report: \(url.appendingPathComponent("index.html").path)")
        }
    }
}

struct SweepSubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Write an sbatch array script for the pending tasks and submit it (--slurm), or a Kubernetes "
            + "indexed Job manifest (--kubernetes --dry-run).")
    @OptionGroup var options: SweepOptions
    @Flag(help: "Submit as a Slurm job array.") var slurm = false
    @Flag(help: "Write a Kubernetes indexed Job manifest (with --dry-run; not submitted).") var kubernetes = false
    @Flag(help: "Only write the script or manifest.") var dryRun = false
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Slurm time limit per task, e.g. 00:30:00.") var time: String?
    @Option(help: "CPUs per task.") var cpusPerTask = 1
    @Option(help: "At most this many array tasks at once (%K).") var arrayLimit: Int?
    @Option(help: "Container image for --kubernetes (one that holds reparam).") var image = "reparam:latest"

    func validate() throws {
        guard slurm != kubernetes else { throw ValidationError("give one of --slurm and --kubernetes") }
        if kubernetes && !dryRun { throw ValidationError("--kubernetes only writes a manifest: add --dry-run") }
        guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task must be at least 1, got \(cpusPerTask)") }
        if let arrayLimit, arrayLimit < 1 {
            throw ValidationError("--array-limit must be at least 1, got \(arrayLimit)")
        }
        for (name, value) in [("--partition", partition), ("--time", time)] {
            if let value, value.isEmpty || value.contains(where: { $0.isWhitespace || $0 == "'" }) {
                throw ValidationError("\(name) must be one word, got '\(value)'")
            }
        }
    }

    func run() throws {
        let folder = try options.load()
        try savingProtected { try sweepFailure { try folder.writePlan() } }
        let pending = folder.tasks.filter { folder.state(of: $0) != .done }.map(\.index)
        let specPath = URL(fileURLWithPath: options.spec).standardizedFileURL.path
        if kubernetes {
            let manifest = folder.spec.output.appendingPathComponent("job.yaml")
            try sweepWrite(kubernetesManifest(specPath: specPath, count: folder.tasks.count), to: manifest)
            print("wrote \(manifest.path) (\(folder.tasks.count) indexed completions; not submitted)")
            return
        }
        guard !pending.isEmpty else {
            print("every task is done: nothing to submit")
            return
        }
        let script = folder.spec.output.appendingPathComponent("sweep.sbatch")
        try sweepWrite(sbatchScript(specPath: specPath, folder: folder, pending: pending), to: script)
        print("wrote \(script.path) (\(pending.count) array tasks)")
        if dryRun { return }
        guard let sbatch = findExecutable("sbatch") else {
            throw ValidationError(
                "sbatch is not on PATH: install Slurm's client, or use --dry-run and submit \(script.path) elsewhere")
        }
        let process = Process()
        process.executableURL = sbatch
        process.arguments = ["--parsable", script.path]
        let out = Pipe()
        let err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let reason = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ValidationError("sbatch refused the job: \(reason.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        print("submitted job \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    private func sbatchScript(specPath: String, folder: SweepFolder, pending: [Int]) -> String {
        let logs = folder.spec.output.appendingPathComponent("slurm").path
        try? FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let array = ranges(pending) + (arrayLimit.map { "%\($0)" } ?? "")
        var lines = [
            "#!/bin/sh", "#SBATCH --job-name=reparam-sweep", "#SBATCH --array=\(array)",
            "#SBATCH --cpus-per-task=\(cpusPerTask)", "#SBATCH --output=\(logs)/%A_%a.out",
        ]
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time { lines.append("#SBATCH --time=\(time)") }
        lines += [
            "export REPARAM_THREADS=\(cpusPerTask)",
            "exec '\(reparamExecutable.path)' sweep run '\(specPath)' --task \"$SLURM_ARRAY_TASK_ID\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private func kubernetesManifest(specPath: String, count: Int) -> String {
        """
        # An indexed Job: pod i runs task i (JOB_COMPLETION_INDEX). Mount the spec and the sweep's folder
        # at the same paths in every pod (a shared volume), so results land beside each other.
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: reparam-sweep
        spec:
          completionMode: Indexed
          completions: \(count)
          parallelism: \(arrayLimit ?? min(count, 8))
          backoffLimit: \(count)
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: task
                image: \(image)
                command: ["reparam", "sweep", "run", "\(specPath)"]
                env:
                - name: REPARAM_THREADS
                  value: "\(cpusPerTask)"
                resources:
                  requests:
                    cpu: "\(cpusPerTask)"
        """ + "\n"
    }
}

/// 0,1,2,5,7,8 → "0-2,5,7-8": the sbatch --array syntax for exactly these tasks.
func ranges(_ indices: [Int]) -> String {
    var parts: [String] = []
    var i = 0
    while i < indices.count {
        var j = i
        while j + 1 < indices.count && indices[j + 1] == indices[j] + 1 { j += 1 }
        parts.append(i == j ? "\(indices[i])" : "\(indices[i])-\(indices[j])")
        i = j + 1
    }
    return parts.joined(separator: ",")
}

/// One line per failed task: its number, exit status and the last line of its stderr.
func failures(in folder: SweepFolder) -> [String] {
    folder.tasks.compactMap { task in
        guard case .failed(let status, let tail) = folder.state(of: task) else { return nil }
        return "task \(task.index) failed (exit \(status)): \(tail.split(separator: "\n").last.map(String.init) ?? "")"
    }
}

/// This process's own binary: the tasks run the same `reparam` that plans them.
var reparamExecutable: URL {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
}

func findExecutable(_ name: String) -> URL? {
    for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let url = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
}

/// A sweep's own problems (a file it cannot write, a result it cannot read) as the CLI reports them.
func sweepFailure<R>(_ body: () throws -> R) throws -> R {
    do { return try body() } catch let error as SweepError { throw ValidationError(error.description) }
}

func sweepWrite(_ text: String, to url: URL) throws {
    do { try savingProtected { try Data(text.utf8).write(to: url, options: .atomic) } } catch {
        throw ValidationError("cannot write \(url.path): \(error.localizedDescription)")
    }
}
