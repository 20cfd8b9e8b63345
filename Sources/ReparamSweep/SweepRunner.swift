import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a sweep's tasks as child processes of the `reparam` executable, each writing its
/// result into its own folder when it finishes. A task whose result exists is never run again.
public struct SweepRunner {
    public let folder: SweepFolder
    /// The `reparam` binary the tasks run.
    public let executable: URL
    /// Extra environment for every task (REPARAM_THREADS, say).
    public var environment: [String: String] = [:]

    public init(folder: SweepFolder, executable: URL) {
        self.folder = folder
        self.executable = executable
    }

    /// How a run ended.
    public enum Outcome: Equatable, Sendable {
        case finished(failed: Int)
        case interrupted
    }

    /// Runs every task without a result (failed ones again), at most `workers` at a time, until
    /// all have run or `shouldStop` says so; then the running ones get SIGTERM (a training command
    /// saves and stops) and are left pending, their folders unchanged but for the checkpoint.
    public func runPending(workers: Int, shouldStop: () -> Bool, progress: (SweepCounts) -> Void) throws -> Outcome {
        var queue = folder.tasks.filter { folder.state(of: $0) != .done }
        var running: [(task: SweepTask, process: Process, started: Date)] = []
        var counts = folder.counts()
        counts.pending = queue.count
        counts.failed = 0
        progress(counts)
        var interrupted = false
        while !queue.isEmpty || !running.isEmpty {
            if shouldStop() && !interrupted {
                interrupted = true
                queue.removeAll()
                for entry in running { entry.process.terminate() }
            }
            while running.count < workers, !queue.isEmpty {
                let task = queue.removeFirst()
                running.append((task, try start(task), Date()))
                counts.pending -= 1
                counts.running += 1
                progress(counts)
            }
            var index = 0
            while index < running.count {
                let entry = running[index]
                if entry.process.isRunning {
                    index += 1
                    continue
                }
                running.remove(at: index)
                counts.running -= 1
                if interrupted {
                    counts.pending += 1
                } else {
                    let ok = try finish(entry.task, entry.process, seconds: Date().timeIntervalSince(entry.started))
                    if ok { counts.done += 1 } else { counts.failed += 1 }
                }
                progress(counts)
            }
            if !running.isEmpty { usleep(20_000) }
        }
        return interrupted ? .interrupted : .finished(failed: counts.failed)
    }

    /// Runs one task here and now (a Slurm array element, an indexed Job's pod); a task that is
    /// done already is skipped. Returns whether it has a result.
    public func runOne(_ task: SweepTask) throws -> Bool {
        if folder.state(of: task) == .done { return true }
        let started = Date()
        let process = try start(task)
        process.waitUntilExit()
        return try finish(task, process, seconds: Date().timeIntervalSince(started))
    }

    private func start(_ task: SweepTask) throws -> Process {
        // A task without a result starts afresh: what an interrupted or failed attempt left (a
        // checkpoint its command would refuse to overwrite) goes. Results depend on the seed alone,
        // so the new attempt's result is the one the old would have written.
        if FileManager.default.fileExists(atPath: task.folder.path) {
            do { try FileManager.default.removeItem(at: task.folder) } catch {
                throw SweepError("cannot clear \(task.folder.path) for a new attempt: \(error.localizedDescription)")
            }
        }
        try makeFolder(task.folder)
        let out = task.folder.appendingPathComponent("stdout.txt")
        let err = task.folder.appendingPathComponent("stderr.txt")
        guard FileManager.default.createFile(atPath: out.path, contents: nil),
            FileManager.default.createFile(atPath: err.path, contents: nil)
        else { throw SweepError("cannot write into \(task.folder.path)") }
        let process = Process()
        process.executableURL = executable
        process.arguments = task.arguments
        process.currentDirectoryURL = folder.spec.folder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        // A child inherits the spawning thread's signal mask; one that blocked SIGTERM could not be
        // stopped (a test runner, or a launcher, may block it here).
        var stopSignals = sigset_t()
        var previous = sigset_t()
        sigemptyset(&stopSignals)
        for signalNumber in [SIGINT, SIGTERM] { sigaddset(&stopSignals, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        do { try process.run() } catch {
            throw SweepError("cannot start \(executable.path) for task \(task.index): \(error.localizedDescription)")
        }
        return process
    }

    private func finish(_ task: SweepTask, _ process: Process, seconds: Double) throws -> Bool {
        let read = { (name: String) in
            (try? String(contentsOf: task.folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
        }
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        try folder.record(
            task, status: status, stdout: read("stdout.txt"), stderr: read("stderr.txt"), seconds: seconds)
        return folder.state(of: task) == .done
    }
}
