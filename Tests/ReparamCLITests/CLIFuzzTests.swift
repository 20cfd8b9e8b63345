import CZlib
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// The command line fuzzed as a user's mistakes would: every option of every command (found in the
// parser's own dump, so a new option is covered without editing this file) with values that are
// malformed or out of range; corrupted run files, points CSVs and MNIST files; and SIGINT or SIGTERM
// at several moments. Every case must end by exit (never by a signal or a Swift runtime failure)
// with either success or an error that names what was wrong.
//
// The executable is REPARAM_CLI_BINARY when set (.ci/run points it at the release build, which runs
// the accepted cases' tiny trainings faster), else the `reparam` built beside this test bundle.

private let executable: URL? = {
    if let path = ProcessInfo.processInfo.environment["REPARAM_CLI_BINARY"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let candidate = bundle.deletingLastPathComponent().appendingPathComponent("reparam")
    return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
}()

/// How a run of the executable ended.
private struct Outcome: Sendable {
    var status: Int32
    var bySignal: Bool
    var timedOut: Bool
    var standardError: String

    /// A signal, a timeout or a Swift runtime failure's trace (which reaches stderr before the trap).
    var crashed: Bool {
        bySignal || timedOut
            || ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault"]
                .contains { standardError.contains($0) }
    }

    var firstLine: String { standardError.split(separator: "\n").first.map(String.init) ?? "" }
}

/// Runs the executable in `folder` with REPARAM_DATA pointing nowhere (so no case reads the real
/// MNIST), standard output discarded. `signals` are sent at their delays after the start.
///
/// Spawned with SIGINT and SIGTERM unblocked and at their default action: a test runner may block
/// or ignore them, and a child would inherit that and never see the signals this suite sends.
private func execute(
    _ arguments: [String], in folder: URL, timeout: TimeInterval = 120,
    signals: [(delay: TimeInterval, signal: Int32)] = [],
    signalWhen trigger: (condition: () -> Bool, signal: Int32)? = nil
) throws -> Outcome {
    let errorFile = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: errorFile) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errorFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var stopSignals = sigset_t(), none = sigset_t()
    sigemptyset(&stopSignals)
    sigemptyset(&none)
    for s in [SIGINT, SIGTERM] { sigaddset(&stopSignals, s) }
    posix_spawnattr_setsigdefault(&attributes, &stopSignals)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    var environment = ProcessInfo.processInfo.environment
    environment["REPARAM_DATA"] = folder.appendingPathComponent("no-data").path
    let path = try #require(executable).path
    // sh changes into `folder` (relative paths such as --out abc land there) and execs the command.
    let argv =
        (["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder.path, path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    let start = Date()
    var pending = signals
    var status: Int32 = 0, timedOut = false, triggered = false
    while true {
        if waitpid(pid, &status, WNOHANG) == pid { break }
        if let trigger, !triggered, trigger.condition() {
            kill(pid, trigger.signal)
            triggered = true
        }
        let elapsed = Date().timeIntervalSince(start)
        while let next = pending.first, next.delay <= elapsed {
            kill(pid, next.signal)
            pending.removeFirst()
        }
        if elapsed > timeout && !timedOut {
            timedOut = true
            kill(pid, SIGKILL)
        }
        usleep(2_000)
    }
    // The wait-status macros are not imported: low 7 bits = the terminating signal (0 for an exit).
    let signalled = status & 0x7F != 0
    let text = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
    return Outcome(
        status: signalled ? status & 0x7F : (status >> 8) & 0xFF, bySignal: signalled,
        timedOut: timedOut, standardError: text)
}

/// Results written from concurrent iterations, each to its own slot.
private final class Slots<R>: @unchecked Sendable {
    var values: [R?]
    let lock = NSLock()
    init(_ count: Int) { values = Array(repeating: nil, count: count) }
}

/// `body` over `items` on all cores; results in order.
private func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], _ body: @Sendable (T) -> R) -> [R] {
    let slots = Slots<R>(items.count)
    DispatchQueue.concurrentPerform(iterations: items.count) { i in
        let result = body(items[i])
        slots.lock.lock()
        slots.values[i] = result
        slots.lock.unlock()
    }
    return slots.values.map { $0! }
}

/// A work folder with tiny MNIST files, points and one trained run of each kind, made once.
private final class Workspace: Sendable {
    let folder: URL
    var mnist: String { folder.appendingPathComponent("mnist").path }
    var points: String { folder.appendingPathComponent("points.csv").path }
    func run(_ kind: String) -> String { folder.appendingPathComponent("run-\(kind)").path }
    /// A path for a case's output that no other case uses.
    func fresh() -> String { folder.appendingPathComponent("out-\(UUID().uuidString)").path }

    static let shared: Result<Workspace, Error> = Result { try Workspace() }

    private init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("reparam-fuzz-\(UUID().uuidString)")
        let mnist = folder.appendingPathComponent("mnist")
        try FileManager.default.createDirectory(at: mnist, withIntermediateDirectories: true)
        // IDX files (uncompressed, which the loader reads too): 200 training and 100 test images.
        var state: UInt64 = 12345
        func next() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        func idx(_ name: String, _ dims: [UInt32], _ values: [UInt8]) throws {
            var bytes: [UInt8] = [0, 0, 8, UInt8(dims.count)]
            for d in dims { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: d >> $0) } }
            try Data(bytes + values).write(to: mnist.appendingPathComponent(name))
        }
        for (prefix, count) in [("train", 200), ("t10k", 100)] {
            try idx(
                "\(prefix)-images-idx3-ubyte", [UInt32(count), 28, 28],
                (0..<(count * 784)).map { _ in next() < 50 ? next() : 0 })
            try idx("\(prefix)-labels-idx1-ubyte", [UInt32(count)], (0..<count).map { _ in next() % 10 })
        }
        try Data("x,y\n0.1,0.2\n-0.3,1.5\n".utf8).write(to: folder.appendingPathComponent("points.csv"))
        try Data(sweepSpec(output: "sweep-out", seeds: 1).utf8).write(to: folder.appendingPathComponent("sweep.json"))
        let trainings: [(String, [String])] = [
            (
                "vae",
                [
                    "vae", "train", "--data", mnist.path, "--epochs", "1", "--hidden", "8", "--latent", "2",
                    "--batch", "50",
                ]
            ),
            (
                "dvae",
                [
                    "dvae", "train", "--data", mnist.path, "--epochs", "1", "--hidden", "8", "--variables", "4",
                    "--batch", "50",
                ]
            ),
            (
                "flow",
                [
                    "flow", "train", "--task", "two-moons", "--flow", "realnvp", "--layers", "2", "--hidden", "8",
                    "--steps", "20",
                ]
            ),
            ("rl", ["rl", "train", "--env", "cartpole", "--algo", "reinforce", "--steps", "300"]),
        ]
        for (kind, arguments) in trainings {
            let outcome = try execute(
                arguments + ["--out", folder.appendingPathComponent("run-\(kind)").path],
                in: folder)
            guard outcome.status == 0 && !outcome.crashed else {
                throw CocoaError(
                    .fileWriteUnknown,
                    userInfo: [
                        NSLocalizedDescriptionKey:
                            "preparing the \(kind) run failed: \(outcome.standardError)"
                    ])
            }
        }
    }

    var sweep: String { folder.appendingPathComponent("sweep.json").path }

    /// The smallest valid invocation of each command; `{out}` becomes a fresh path.
    var bases: [String: [String]] {
        let m = mnist
        return [
            "demo": [
                "--samples", "1000", "--vae-seconds", "1", "--flow-steps", "10", "--ppo-steps", "0",
                "--sac-steps", "0", "--skip-preference", "--data", m, "--report", "{out}",
            ],
            "lab gaussian": ["--samples", "100"],
            "lab sigma-sweep": ["--samples", "100", "--points", "3"],
            "lab samples-needed": ["--replicates", "10"],
            "lab discrete": ["--draws", "100"],
            "lab naive": ["--samples", "100"],
            "lab policy-gradient": [
                "--train-steps", "101", "--states", "8", "--samples", "50", "--baseline-draws", "10",
            ],
            "vae train": [
                "--data", m, "--epochs", "1", "--hidden", "8", "--latent", "2", "--batch", "50",
                "--out", "{out}",
            ],
            "vae eval": [run("vae"), "--data", m, "--k", "2", "--limit", "10"],
            "vae sample": [run("vae"), "--count", "2", "--out", "{out}.png"],
            "vae reconstruct": [run("vae"), "--count", "2", "--data", m, "--out", "{out}.png"],
            "dvae train": [
                "--data", m, "--epochs", "1", "--hidden", "8", "--variables", "4", "--batch", "50",
                "--out", "{out}",
            ],
            "dvae eval": [run("dvae"), "--data", m, "--samples", "2"],
            "dvae compare": [
                "--data", m, "--epochs", "1", "--hidden", "8", "--variables", "4", "--batch", "50",
                "--estimators", "rloo,gumbel-softmax", "--out", "{out}",
            ],
            "flow train": [
                "--task", "two-moons", "--flow", "realnvp", "--layers", "2", "--hidden", "8", "--steps", "20",
                "--out", "{out}",
            ],
            "flow sample": [run("flow"), "--count", "5", "--out", "{out}.csv"],
            "flow density": [run("flow"), "--points", points],
            "flow compare": [
                "--task", "two-moons", "--flows", "realnvp,planar", "--layers", "2", "--hidden", "8",
                "--steps", "20", "--report", "{out}",
            ],
            "flow data": ["--task", "two-moons", "--out", "{out}", "--train-count", "10", "--test-count", "10"],
            "rl train": ["--env", "cartpole", "--algo", "reinforce", "--steps", "300", "--out", "{out}"],
            "rl eval": [run("rl"), "--episodes", "2"],
            "rl compare": ["--env", "cartpole", "--algos", "reinforce,a2c", "--seeds", "1", "--steps", "300"],
            "pref train": ["--method", "dpo", "--pairs", "100", "--steps", "5"],
            "pref compare": ["--methods", "dpo,ipo", "--betas", "0.1", "--pairs", "100", "--steps", "5"],
            // Nothing listens on port 9: the download fails at once, after validation.
            "data fetch": ["mnist", "--to", "{out}", "--mirror", "http://127.0.0.1:9/"],
            "bench kernels": [], "bench autodiff": [], "bench sampling": [], "bench placement": ["--trips", "100"],
            "info": [],
            "sweep plan": [sweep], "sweep status": [sweep], "sweep run": [sweep, "--local"],
            "sweep merge": [sweep, "--report", "{out}"], "sweep submit": [sweep, "--slurm", "--dry-run"],
        ]
    }
}

/// A sweep of tiny flow trainings: 2 flows × 2 widths × `seeds` seeds.
private func sweepSpec(output: String, seeds: Int, steps: Int = 30) -> String {
    """
    {"command": ["flow", "train"], "fixed": {"task": "two-moons", "steps": \(steps), "layers": 2, "out": "{task}/run"},
     "switches": ["json"], "grid": {"flow": ["realnvp", "planar"], "hidden": [4, 8]}, "seeds": \(seeds),
     "output": "\(output)"}
    """
}

/// Every leaf command's path and long option names, from the parser's JSON dump of itself.
private func commandOptions(in folder: URL) throws -> [String: [String]] {
    let process = Process()
    process.executableURL = executable
    process.arguments = ["--experimental-dump-help"]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var found: [String: [String]] = [:]
    func walk(_ command: [String: Any], _ path: [String]) {
        let subcommands = command["subcommands"] as? [[String: Any]] ?? []
        if subcommands.isEmpty {
            let arguments = command["arguments"] as? [[String: Any]] ?? []
            found[path.joined(separator: " ")] = arguments.compactMap { argument in
                guard argument["kind"] as? String == "option",
                    let names = argument["names"] as? [[String: Any]]
                else { return nil }
                return names.first { $0["kind"] as? String == "long" }?["name"] as? String
            }
        }
        for sub in subcommands { walk(sub, path + [sub["commandName"] as? String ?? "?"]) }
    }
    walk(try #require(root["command"] as? [String: Any]), [])
    found["help"] = nil
    return found
}

@Suite(.serialized, .enabled(if: executable != nil, "needs the reparam executable"))
struct CLIFuzzTests {
    /// Malformed and out-of-range values for every option: refused with a message naming the flag
    /// or the value, or accepted and run to a clean end.
    @Test func everyOptionOfEveryCommand() throws {
        let workspace = try Workspace.shared.get()
        let options = try commandOptions(in: workspace.folder)
        let bases = workspace.bases
        #expect(
            Set(options.keys).subtracting(bases.keys).isEmpty,
            "commands without a base invocation here: \(Set(options.keys).subtracting(bases.keys).sorted())")
        let values = ["abc", "-1", "-0", "0", "1e-45", "nan", "1e40", "", "1,,2", "99999999999999999999"]
        var cases: [(command: String, option: String, value: String, arguments: [String])] = []
        for (command, names) in options.sorted(by: { $0.key < $1.key }) {
            guard let base = bases[command] else { continue }
            for option in names {
                for value in values {
                    let out = workspace.fresh()
                    var arguments = base.map { $0.replacingOccurrences(of: "{out}", with: out) }
                    if let i = arguments.firstIndex(of: "--\(option)") { arguments.removeSubrange(i...(i + 1)) }
                    cases.append(
                        (
                            command, option, value,
                            command.split(separator: " ").map(String.init) + arguments
                                + ["--\(option)", value]
                        ))
                }
            }
        }
        let problems = concurrentMap(cases) { item -> String? in
            guard let outcome = try? execute(item.arguments, in: workspace.folder) else { return "could not start" }
            let label = "\(item.command) --\(item.option) '\(item.value)'"
            if outcome.crashed {
                return "\(label): crashed (status \(outcome.status)): \(outcome.standardError.suffix(300))"
            }
            if outcome.status == 0 { return nil }
            let text = outcome.standardError
            if text.contains("--\(item.option)") || (!item.value.isEmpty && text.contains(item.value)) { return nil }
            if item.command == "data fetch" && text.contains("download failed") { return nil }  // as its base does
            return "\(label): exit \(outcome.status) without naming the flag: \(outcome.firstLine)"
        }.compactMap { $0 }
        report(problems, of: cases.count)
    }

    /// Run files cut short, with flipped bytes, with a wrong header or replaced by garbage, read by
    /// every command that opens a run: a clean error naming the file, or a normal run (a flipped
    /// byte inside a tensor's data is a different, valid network).
    @Test func corruptedRunFiles() throws {
        let workspace = try Workspace.shared.get()
        let m = workspace.mnist, points = workspace.points
        let readers: [String: [[String]]] = [
            "vae": [
                ["vae", "eval", "{run}", "--data", m, "--k", "2", "--limit", "5"],
                ["vae", "sample", "{run}", "--count", "2", "--out", "{run}/s.png"],
                ["vae", "train", "--resume", "{run}", "--epochs", "2", "--data", m],
            ],
            "dvae": [
                ["dvae", "eval", "{run}", "--data", m, "--samples", "2"],
                ["dvae", "train", "--resume", "{run}", "--epochs", "2", "--data", m],
            ],
            "flow": [
                ["flow", "sample", "{run}", "--count", "3"], ["flow", "density", "{run}", "--points", points],
                ["flow", "train", "--resume", "{run}", "--steps", "40"],
            ],
            "rl": [
                ["rl", "eval", "{run}", "--episodes", "1"], ["rl", "train", "--resume", "{run}", "--steps", "400"],
            ],
        ]
        var cases: [(label: String, kind: String, bytes: Data, arguments: [String])] = []
        for (kind, commands) in readers.sorted(by: { $0.key < $1.key }) {
            let original = try Data(
                contentsOf: URL(fileURLWithPath: workspace.run(kind))
                    .appendingPathComponent("checkpoint.safetensors"))
            for (label, bytes) in corruptions(of: original) + headerEdits(of: original) {
                for command in commands {
                    cases.append(("\(kind) \(label): \(command[0]) \(command[1])", kind, bytes, command))
                }
            }
        }
        let problems = concurrentMap(cases) { item -> String? in
            let copy = workspace.fresh()
            do {
                try FileManager.default.copyItem(atPath: workspace.run(item.kind), toPath: copy)
                try item.bytes.write(to: URL(fileURLWithPath: copy).appendingPathComponent("checkpoint.safetensors"))
                let outcome = try execute(
                    item.arguments.map { $0.replacingOccurrences(of: "{run}", with: copy) },
                    in: workspace.folder)
                if outcome.crashed { return "\(item.label): crashed: \(outcome.standardError.suffix(300))" }
                if outcome.status != 0 && !outcome.standardError.contains("checkpoint.safetensors") {
                    return "\(item.label): exit \(outcome.status) without naming the file: \(outcome.firstLine)"
                }
                return nil
            } catch { return "\(item.label): \(error)" }
        }.compactMap { $0 }
        report(problems, of: cases.count)
    }

    /// MNIST files and points CSVs that are empty, cut short, mislabelled or malformed: refused
    /// with the file's name (and, for CSV, the line), or read correctly.
    @Test func corruptedDataFiles() throws {
        let workspace = try Workspace.shared.get()
        var cases: [(label: String, file: String, bytes: Data, arguments: [String])] = []
        let names = [
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
        ]
        for name in names {
            let original = try Data(contentsOf: URL(fileURLWithPath: workspace.mnist).appendingPathComponent(name))
            var headers: [(String, Data)] = [
                ("bad magic", Data([1]) + original.dropFirst()),
                ("bad type", original.prefix(2) + Data([0x0D]) + original.dropFirst(3)),
                (
                    "huge dimension",
                    original.prefix(4) + Data([0x7F, 0xFF, 0xFF, 0xFF])
                        + original.dropFirst(8)
                ),
                ("extra byte", original + Data([0])),
            ]
            headers += corruptions(of: original).filter { $0.0.hasPrefix("cut") || $0.0 == "empty" }
            for (label, bytes) in headers {
                cases.append(
                    (
                        "\(name) \(label)", "mnist/\(name)", bytes,
                        [
                            "vae", "train", "--data", "{dir}", "--epochs", "1", "--hidden", "8", "--latent", "2",
                            "--out", "{out}",
                        ]
                    ))
            }
            // The gzip form (the loader prefers it): cut, a flipped byte in the deflate data and in
            // the CRC trailer, where zlib's check runs only at the end of the stream.
            let compressed = try gzipped(original, in: workspace.folder)
            let n = compressed.count
            var gzipCases: [(String, Data)] = [
                ("gzip cut in half", compressed.prefix(n / 2)),
                ("gzip without its trailer", compressed.prefix(n - 8)),
            ]
            for (place, index) in [("gzip deflate data", n / 2), ("gzip CRC", n - 6)] {
                var flipped = compressed
                flipped[flipped.startIndex + index] ^= 0x55
                gzipCases.append(("\(place) flipped", flipped))
            }
            for (label, bytes) in gzipCases {
                cases.append(
                    (
                        "\(name) \(label)", "mnist/\(name).gz", bytes,
                        [
                            "vae", "train", "--data", "{dir}", "--epochs", "1", "--hidden", "8", "--latent", "2",
                            "--out", "{out}",
                        ]
                    ))
            }
        }
        let csv: [(String, String)] = [
            ("empty", ""), ("header only", "x,y\n"), ("text rows", "a,b\nc,d\n"), ("NaN", "0.1,nan\n0.2,0.3\n"),
            ("infinite", "inf,1\n"), ("overflow", "1e40,2\n"), ("ragged", "0.1,0.2\n0.3\n"),
            ("trailing comma", "0.1,0.2,\n"),
            ("three coordinates", "1,2,3\n4,5,6\n"), ("semicolons", "0.1;0.2\n"),
            ("control bytes", "\u{0}\u{1},\u{2}\n"),
            ("CRLF", "x,y\r\n0.1,0.2\r\n"), ("spaces and blank lines", "\n 0.1 , 0.2 \n\n0.3,0.4\n"),
        ]
        for (label, text) in csv {
            cases.append(
                (
                    "points \(label): flow density", "points.csv", Data(text.utf8),
                    ["flow", "density", workspace.run("flow"), "--points", "{dir}/points.csv"]
                ))
            cases.append(
                (
                    "points \(label): flow train --data", "points.csv", Data(text.utf8),
                    [
                        "flow", "train", "--data", "{dir}/points.csv", "--test", workspace.points, "--steps", "20",
                        "--layers", "2", "--hidden", "8", "--out", "{out}",
                    ]
                ))
        }
        let problems = concurrentMap(cases) { item -> String? in
            let dir = URL(fileURLWithPath: workspace.fresh())
            do {
                try FileManager.default.copyItem(atPath: workspace.mnist, toPath: dir.path)
                let target = item.file.hasPrefix("mnist/") ? String(item.file.dropFirst(6)) : item.file
                try item.bytes.write(to: dir.appendingPathComponent(target))
                let arguments = item.arguments.map {
                    $0.replacingOccurrences(of: "{dir}", with: dir.path).replacingOccurrences(
                        of: "{out}", with: workspace.fresh())
                }
                let outcome = try execute(arguments, in: workspace.folder)
                if outcome.crashed { return "\(item.label): crashed: \(outcome.standardError.suffix(300))" }
                // Every damaged MNIST file must be refused: training on it would be a silent wrong result.
                if item.file.hasPrefix("mnist/") && outcome.status == 0 { return "\(item.label): accepted" }
                if outcome.status != 0 && !outcome.standardError.contains(target) {
                    return "\(item.label): exit \(outcome.status) without naming \(target): \(outcome.firstLine)"
                }
                if outcome.standardError.contains("\r") { return "\(item.label): a carriage return in the message" }
                return nil
            } catch { return "\(item.label): \(error)" }
        }.compactMap { $0 }
        report(problems, of: cases.count)
    }

    /// SIGINT or SIGTERM (once, or twice 10 ms apart) while loading, early or later in each long
    /// command: it ends by exit (0 if it had finished, else 128 + the signal), and leaves no partial file.
    /// The acceptance check of sweeps without a cluster: eight tasks run locally on two workers,
    /// and the same eight run one at a time as array elements would (`--task I`), merge to
    /// byte-identical tables; a sweep stopped by SIGINT keeps what
    /// finished and its re-run completes only the rest.
    @Test func sweepMergesTheSameWhereverItsTasksRan() throws {
        let workspace = try Workspace.shared.get()
        let folder = URL(fileURLWithPath: workspace.fresh())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["local", "array", "stopped"] {
            try Data(sweepSpec(output: name, seeds: 2, steps: 300).utf8)
                .write(to: folder.appendingPathComponent("\(name).json"))
        }
        let local = try execute(["sweep", "run", "local.json", "--local", "--workers", "2"], in: folder)
        #expect(local.status == 0, "\(local.standardError)")
        for index in 0..<8 {
            let one = try execute(["sweep", "run", "array.json", "--task", "\(index)"], in: folder)
            #expect(one.status == 0, "task \(index): \(one.standardError)")
        }
        let outOfRange = try execute(["sweep", "run", "array.json", "--task", "8"], in: folder)
        #expect(outOfRange.status != 0 && outOfRange.standardError.contains("task 8 is out of range"))
        for name in ["local", "array"] {
            let merge = try execute(["sweep", "merge", "\(name).json"], in: folder)
            #expect(merge.status == 0, "\(merge.standardError)")
        }
        let merged = { (name: String) in try Data(contentsOf: folder.appendingPathComponent("\(name)/merged.csv")) }
        #expect(try merged("local") == merged("array"), "the merged tables differ")
        #expect(String(decoding: try merged("local"), as: UTF8.self).split(separator: "\n").count == 5)

        // Stopped mid-way: finished results stay as they were and only the missing tasks run again.
        // The SIGINT goes when the first result exists (a fixed delay outran a fast machine's sweep).
        let results = (0..<8).map { folder.appendingPathComponent("stopped/tasks/0000\($0)/result.json") }
        let firstResult = { results.contains { FileManager.default.fileExists(atPath: $0.path) } }
        let stopped = try execute(
            ["sweep", "run", "stopped.json", "--local"], in: folder, signalWhen: (firstResult, SIGINT))
        #expect(stopped.status == 130, "\(stopped.standardError)")
        let before = results.map { try? Data(contentsOf: $0) }
        let rerun = try execute(["sweep", "run", "stopped.json", "--local"], in: folder)
        #expect(rerun.status == 0, "\(rerun.standardError)")
        for (url, old) in zip(results, before) {
            let now = try Data(contentsOf: url)
            if let old { #expect(now == old, "\(url.path) was rewritten") }
        }
        let merge = try execute(["sweep", "merge", "stopped.json"], in: folder)
        #expect(merge.status == 0)
        #expect(try Data(contentsOf: folder.appendingPathComponent("stopped/merged.csv")) == merged("local"))

        // A comparison scales out as a sweep of its train command: flows × seeds.
        let export = try execute(
            [
                "flow", "compare", "--task", "two-moons", "--flows", "realnvp,planar",
                "--layers", "2", "--steps", "20", "--seeds", "3", "--sweep", "compare.json",
            ],
            in: folder)
        #expect(export.status == 0, "\(export.standardError)")
        let exported = try execute(["sweep", "run", "compare.json", "--local", "--workers", "2"], in: folder)
        #expect(exported.status == 0, "\(exported.standardError)")
        _ = try execute(["sweep", "merge", "compare.json"], in: folder)
        let table = String(
            decoding: try Data(contentsOf: folder.appendingPathComponent("compare-runs/merged.csv")),
            as: UTF8.self
        ).split(separator: "\n")
        #expect(table.count == 3 && table[1].hasPrefix("realnvp,3,") && table[2].hasPrefix("planar,3,"))
        // A misspelt flag or command in a spec is named before anything runs.
        try Data(#"{"command": ["flow", "train"], "grid": {"flwo": ["realnvp"]}, "output": "bad"}"#.utf8)
            .write(to: folder.appendingPathComponent("bad.json"))
        let misspelt = try execute(["sweep", "run", "bad.json", "--local"], in: folder)
        #expect(
            misspelt.status != 0
                && misspelt.standardError.contains("grid names --flwo, which 'flow train' does not have"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad").path))
        let alone = try execute(["flow", "compare", "--task", "two-moons", "--seeds", "3"], in: folder)
        #expect(alone.status != 0 && alone.standardError.contains("--seeds 3 needs --sweep"))
    }

    @Test func signalsMidRun() throws {
        let workspace = try Workspace.shared.get()
        let m = workspace.mnist
        let commands: [[String]] = [
            [
                "vae", "train", "--data", m, "--epochs", "30", "--hidden", "64", "--latent", "4", "--batch", "20",
                "--out", "{out}",
            ],
            [
                "dvae", "train", "--data", m, "--epochs", "30", "--hidden", "64", "--variables", "8", "--batch", "20",
                "--out", "{out}",
            ],
            [
                "dvae", "compare", "--data", m, "--epochs", "3", "--hidden", "32", "--variables", "8", "--batch", "20",
                "--latent", "bernoulli", "--estimators", "rloo,gumbel-softmax,arm", "--out", "{out}",
            ],
            [
                "flow", "train", "--task", "two-moons", "--flow", "spline", "--layers", "2", "--hidden", "16",
                "--steps", "3000",
                "--out", "{out}",
            ],
            [
                "flow", "compare", "--task", "two-moons", "--flows", "realnvp,planar", "--layers", "2", "--hidden",
                "16",
                "--steps", "2000", "--report", "{out}",
            ],
            ["rl", "train", "--env", "cartpole", "--algo", "ppo", "--steps", "20000", "--out", "{out}"],
            [
                "rl", "compare", "--env", "cartpole", "--algos", "reinforce,a2c", "--seeds", "1", "--steps", "5000",
                "--report", "{out}",
            ],
            ["pref", "train", "--method", "dpo", "--pairs", "2000", "--steps", "300"],
            ["vae", "eval", workspace.run("vae"), "--data", m, "--k", "500"],
            ["lab", "sigma-sweep", "--report", "{out}"],
        ]
        var cases: [(label: String, arguments: [String], signals: [(TimeInterval, Int32)])] = []
        for command in commands {
            for signal in [SIGINT, SIGTERM] {
                for delay in [0.2, 0.5, 1.5] {
                    for twice in [false, true] {
                        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
                        cases.append(
                            (
                                "\(command[0]) \(command[1]) \(name)\(twice ? " twice" : "") at \(delay) s", command,
                                [(delay, signal)] + (twice ? [(delay + 0.01, signal)] : [])
                            ))
                    }
                }
            }
        }
        let problems = concurrentMap(cases) { item -> String? in
            let out = workspace.fresh()
            guard
                let outcome = try? execute(
                    item.arguments.map { $0.replacingOccurrences(of: "{out}", with: out) },
                    in: workspace.folder, signals: item.signals.map { ($0.0, $0.1) })
            else { return "\(item.label): could not start" }
            if outcome.crashed { return "\(item.label): crashed: \(outcome.standardError.suffix(300))" }
            let signal = item.signals[0].1
            if ![0, 128 + signal].contains(outcome.status) {
                return "\(item.label): exit \(outcome.status), not 0 or \(128 + signal): \(outcome.firstLine)"
            }
            let left = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? [])
                .filter { $0.contains(".partial") || $0.contains(".tmp") }
            return left.isEmpty ? nil : "\(item.label): left \(left)"
        }.compactMap { $0 }
        report(problems, of: cases.count)
    }
}

/// A safetensors file with its JSON header edited but its length kept: a digit (of a shape, an
/// offset or a saved configuration) replaced by a letter, a quote by an apostrophe, at a few places.
private func headerEdits(of data: Data) -> [(String, Data)] {
    guard data.count >= 8 else { return [] }
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    guard length > 0, 8 + length <= data.count else { return [] }
    var out: [(String, Data)] = []
    for (target, replacement, name) in [
        (UInt8(ascii: "7"), UInt8(ascii: "x"), "a digit 7"),
        (UInt8(ascii: "2"), UInt8(ascii: "q"), "a digit 2"),
        (UInt8(ascii: "\""), UInt8(ascii: "'"), "a quote"),
    ] {
        let positions = (8..<(8 + length)).filter { data[data.startIndex + $0] == target }
        for (which, position) in [
            ("first", positions.first), ("middle", positions.isEmpty ? nil : positions[positions.count / 2]),
            ("last", positions.last),
        ] {
            guard let position else { continue }
            var edited = data
            edited[edited.startIndex + position] = replacement
            out.append(("header: \(which) \(name) replaced", edited))
        }
    }
    return out
}

@Suite(.enabled(if: executable != nil, "needs the reparam executable"))
struct VAEResumeTests {
    /// SIGTERM mid-epoch (200 batches of one image per epoch, so a signal lands between batches)
    /// then --resume ends with the same checkpoint, byte for byte, as a run never stopped: batch
    /// order, binarization and noise derive from the seed and the step.
    @Test func sigtermMidEpochThenResumeEqualsAnUninterruptedRun() throws {
        let workspace = try Workspace.shared.get()
        let flags = [
            "vae", "train", "--data", workspace.mnist, "--epochs", "100", "--hidden", "64", "--latent", "4",
            "--batch", "1", "--json",
        ]
        let straight = workspace.fresh(), stopped = workspace.fresh()
        let whole = try execute(flags + ["--out", straight], in: workspace.folder)
        #expect(whole.status == 0 && !whole.crashed, "\(whole.standardError)")
        let interrupted = try execute(flags + ["--out", stopped], in: workspace.folder, signals: [(1.0, SIGTERM)])
        #expect(
            interrupted.status == 143 && !interrupted.crashed,
            "status \(interrupted.status): \(interrupted.standardError)")
        let resumed = try execute(
            [
                "vae", "train", "--resume", stopped, "--epochs", "100", "--json", "--data", workspace.mnist,
            ], in: workspace.folder)
        #expect(resumed.status == 0 && !resumed.crashed, "\(resumed.standardError)")
        let a = try Data(contentsOf: URL(fileURLWithPath: straight).appendingPathComponent("checkpoint.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: stopped).appendingPathComponent("checkpoint.safetensors"))
        // Compared outside #expect: on a mismatch it would diff two megabyte buffers element by element.
        let identical = a == b
        #expect(
            identical,
            "the resumed run's checkpoint (\(b.count) bytes) differs from the uninterrupted one's (\(a.count) bytes)")
    }
}

/// `data` gzip-compressed (through a temporary file, as zlib's gz functions write one).
private func gzipped(_ data: Data, in folder: URL) throws -> Data {
    let url = folder.appendingPathComponent("gzip-\(UUID().uuidString).gz")
    defer { try? FileManager.default.removeItem(at: url) }
    let handle = try #require(gzopen(url.path, "wb"))
    _ = data.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32(data.count)) }
    gzclose(handle)
    return try Data(contentsOf: url)
}

/// One expectation for a batch of cases, listing the first failures.
private func report(_ problems: [String], of total: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let failed = problems.count
    #expect(
        failed == 0, "\(failed) of \(total) cases:\n\(problems.prefix(25).joined(separator: "\n"))",
        sourceLocation: sourceLocation)
}

/// Damaged copies of `data`: empty, cut at several points, one byte flipped at several places,
/// a header length of 2⁶⁴ − 1, and random bytes.
private func corruptions(of data: Data) -> [(String, Data)] {
    let n = data.count
    var out: [(String, Data)] = [
        ("empty", Data()), ("cut to 8 bytes", data.prefix(8)), ("cut in half", data.prefix(n / 2)),
        ("cut by one byte", data.prefix(n - 1)),
    ]
    for (place, index) in [("in the header", min(3, n - 1)), ("in the middle", n / 2), ("at the end", n - 2)] {
        var flipped = data
        flipped[flipped.startIndex + index] ^= 0xFF
        out.append(("flipped byte \(place)", flipped))
    }
    out.append(("header length 2⁶⁴ − 1", Data(repeating: 0xFF, count: 8) + data.dropFirst(8)))
    var state: UInt32 = 7
    out.append(
        (
            "random bytes",
            Data(
                (0..<256).map { _ in
                    state = state &* 1_664_525 &+ 1_013_904_223
                    return UInt8(truncatingIfNeeded: state >> 24)
                })
        ))
    return out
}
