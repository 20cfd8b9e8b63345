import Foundation
import ReparamSweep
import Testing

private func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func spec(_ json: String, in folder: URL) throws -> SweepSpec {
    try SweepSpec(json: Data(json.utf8), name: "spec.json", folder: folder)
}

/// Writes a script through a close-on-exec descriptor: Foundation's writer leaves its descriptor open
/// across a fork, so a process another test starts meanwhile could hold the file open for writing,
/// and running the script would then fail with "text file busy".
private func writeExecutable(_ text: String, to url: URL) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw POSIXError(.EIO) }
}

/// A stand-in for `reparam`: prints a JSON result from its last argument (the seed) and its
/// `--scale` value, fails when the scale is "fail", and sleeps when it is "slow".
private func fakeCommand(in folder: URL) throws -> URL {
    let script = folder.appendingPathComponent("fake.sh")
    let text = """
        #!/bin/sh
        scale=1
        while [ $# -gt 1 ]; do
          if [ "$1" = "--scale" ]; then scale=$2; fi
          shift
        done
        if [ "$scale" = fail ]; then echo "no good: --scale fail" >&2; exit 3; fi
        if [ "$scale" = slow ]; then exec sleep 30; fi
        echo "progress line"
        echo "{\\"x\\": $(($1 * scale)), \\"seconds\\": 0.$1, \\"final\\": true, \\"name\\": \\"fake\\"}"
        """
    try writeExecutable(text, to: script)
    return script
}

@Suite("Sweeps")
struct SweepTests {
    @Test("A spec expands into its grid times its seeds, flags sorted, {task} filled in")
    func plan() throws {
        let folder = temporaryFolder()
        let s = try spec(
            """
            {"command": ["flow", "train"], "fixed": {"steps": 100, "out": "{task}/run"}, "switches": ["json"],
             "grid": {"layers": [2, 4], "flow": ["realnvp", "spline", "maf"]}, "seeds": 2, "output": "out"}
            """, in: folder)
        let tasks = s.tasks
        #expect(tasks.count == 12)
        #expect(s.output == folder.appendingPathComponent("out").standardizedFileURL)
        #expect(
            tasks[0].arguments == [
                "flow", "train", "--out", tasks[0].folder.path + "/run", "--steps", "100", "--json",
                "--flow", "realnvp", "--layers", "2", "--seed", "0",
            ])
        #expect(tasks[1].point == ["flow": "realnvp", "layers": "2"] && tasks[1].seed == 1)
        #expect(
            tasks[2].point == ["flow": "realnvp", "layers": "4"] && tasks[11].point == ["flow": "maf", "layers": "4"])
        #expect(Set(tasks.map(\.folder)).count == 12 && tasks.map(\.index) == Array(0..<12))
    }

    @Test(
        "A malformed spec is refused with the field that is wrong",
        arguments: [
            ("{", "not valid JSON"),
            ("[1]", "must be a JSON object"),
            (#"{"command": [], "output": "o"}"#, "'command'"),
            (#"{"command": ["flow"], "output": "o", "grid": {"layers": []}}"#, "grid.layers"),
            (#"{"command": ["flow"], "output": "o", "grid": {"layers": 3}}"#, "grid.layers"),
            (#"{"command": ["flow"], "output": "o", "seeds": 0}"#, "'seeds'"),
            (#"{"command": ["flow"], "output": "o", "seeds": [1, 1]}"#, "seed twice"),
            (#"{"command": ["flow"], "output": "o", "fixed": {"seed": 1}}"#, "'seeds'"),
            (#"{"command": ["flow"], "output": "o", "fixed": {"--steps": 1}}"#, "without dashes"),
            (
                #"{"command": ["flow"], "output": "o", "fixed": {"steps": 1}, "grid": {"steps": [1]}}"#,
                "'steps' is given twice"
            ),
            (#"{"command": ["flow"], "output": "o", "colour": 1}"#, "unknown field 'colour'"),
            (#"{"command": ["flow"]}"#, "'output'"),
            (#"{"command": ["sweep", "run"], "output": "o"}"#, "cannot run 'sweep'"),
        ])
    func malformed(json: String, phrase: String) {
        #expect {
            _ = try spec(json, in: temporaryFolder())
        } throws: { error in
            "\(error)".contains(phrase) && "\(error)".contains("spec.json")
        }
    }

    @Test("Local runs file each result once, record failures, and merge to mean ± standard error")
    func runAndMerge() throws {
        let folder = temporaryFolder()
        let s = try spec(
            """
            {"command": ["fake"], "grid": {"scale": [1, 10, "fail"]}, "seeds": [1, 2, 6], "output": "out"}
            """, in: folder)
        let sweep = SweepFolder(spec: s)
        try sweep.writePlan()
        let runner = SweepRunner(folder: sweep, executable: try fakeCommand(in: folder))
        var seen: [SweepCounts] = []
        let outcome = try runner.runPending(workers: 2, shouldStop: { false }, progress: { seen.append($0) })
        #expect(outcome == .finished(failed: 3))
        #expect(sweep.counts().done == 6 && sweep.counts().failed == 3 && seen.last?.running == 0)
        if case .failed(let status, let tail) = sweep.state(of: try sweep.task(8)) {
            #expect(status == 3 && tail.contains("--scale fail"))
        } else {
            Issue.record("task 8 should have failed")
        }
        let table = try SweepTable(folder: sweep)
        #expect(table.fields == ["x"] && table.done == 6 && table.total == 9)
        // x = seed · scale over seeds 1, 2, 6: mean 3·scale, s = √7·scale, se = s/√3.
        let ten = try #require(table.rows.first { $0.point["scale"] == "10" })
        #expect(ten.seeds == 3 && ten.metrics.count == 1)
        #expect(ten.metrics[0].mean == 30 && abs(ten.metrics[0].standardError! - 10 * (7.0 / 3).squareRoot()) < 1e-12)
        #expect(table.rows.first { $0.point["scale"] == "fail" }?.seeds == 0)
        // A text field that is no flag of the task ("name") labels the records: one more key column.
        #expect(table.flags == ["scale", "name"] && table.csv.hasPrefix("scale,name,seeds,x_mean,x_se\n1,fake,3,3.0,"))

        // A second run starts nothing that is done: results keep their bytes and dates.
        let result = sweep.resultFile(try sweep.task(0))
        let before = try Data(contentsOf: result)
        let date = try FileManager.default.attributesOfItem(atPath: result.path)[.modificationDate] as? Date
        _ = try runner.runPending(workers: 2, shouldStop: { false }, progress: { _ in })
        #expect(try Data(contentsOf: result) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: result.path)[.modificationDate] as? Date == date)
        #expect(try runner.runOne(try sweep.task(0)))
    }

    @Test("A stopped sweep leaves running tasks pending and the next run finishes only those")
    func stopAndResume() throws {
        let folder = temporaryFolder()
        let s = try spec(
            #"{"command": ["fake"], "grid": {"scale": [2, "slow"]}, "seeds": 2, "output": "out"}"#, in: folder)
        let sweep = SweepFolder(spec: s)
        let runner = SweepRunner(folder: sweep, executable: try fakeCommand(in: folder))
        var polls = 0
        let outcome = try runner.runPending(
            workers: 4,
            shouldStop: {
                polls += 1
                return sweep.state(of: sweep.tasks[0]) == .done && sweep.state(of: sweep.tasks[1]) == .done
                    || polls > 1000
            }, progress: { _ in })
        #expect(outcome == .interrupted)
        #expect(
            sweep.counts()
                == {
                    var c = SweepCounts()
                    c.done = 2
                    c.pending = 2
                    return c
                }())
    }

    @Test("A command that prints several records merges per record, the last line of each kind standing")
    func records() throws {
        let folder = temporaryFolder()
        let script = folder.appendingPathComponent("table.sh")
        try writeExecutable(
            """
            #!/bin/sh
            eval seed=\\${$#}
            echo "{\\"estimator\\": \\"a\\", \\"v\\": $seed, \\"problem\\": \\"p\\"}"
            echo "{\\"estimator\\": \\"b\\", \\"v\\": $((2 * seed)), \\"problem\\": \\"p\\"}"
            echo "{\\"estimator\\": \\"a\\", \\"v\\": $((10 * seed)), \\"problem\\": \\"p\\"}"
            """, to: script)
        // `problem` echoes a fixed flag with the same value: no key column for it.
        let s = try spec(
            #"{"command": ["t"], "fixed": {"problem": "p"}, "seeds": [1, 3], "output": "out"}"#, in: folder)
        let sweep = SweepFolder(spec: s)
        _ = try SweepRunner(folder: sweep, executable: script).runPending(
            workers: 1, shouldStop: { false }, progress: { _ in })
        let table = try SweepTable(folder: sweep)
        #expect(table.flags == ["estimator"] && table.rows.count == 2)
        #expect(table.rows.map { $0.point["estimator"] } == ["a", "b"])
        #expect(table.rows[0].metrics[0].mean == 20 && table.rows[1].metrics[0].mean == 4)
    }

    @Test("A task index out of range and a changed plan are refused by name")
    func refusals() throws {
        let folder = temporaryFolder()
        let s = try spec(#"{"command": ["fake"], "grid": {"scale": [1, 2]}, "output": "out"}"#, in: folder)
        let sweep = SweepFolder(spec: s)
        try sweep.writePlan()
        #expect { try sweep.task(2) } throws: {
            "\($0)".contains("task 2 is out of range: this sweep has tasks 0 to 1")
        }
        let changed = SweepFolder(
            spec: try spec(
                #"{"command": ["fake"], "grid": {"scale": [1, 3]}, "output": "out"}"#,
                in: folder))
        #expect { try changed.writePlan() } throws: { "\($0)".contains("holds a different plan") }
    }
}
