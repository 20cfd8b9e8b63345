import Foundation

/// A grid of `reparam` runs: one subcommand, flags every run shares, flags whose values form a
/// grid, and seeds. Written as JSON:
///
/// ```json
/// {"command": ["flow", "train"],
///  "fixed": {"task": "two-moons", "steps": 200, "out": "{task}/run"},
///  "switches": ["json"],
///  "grid": {"flow": ["realnvp", "spline"], "layers": [2, 4]},
///  "seeds": 3,
///  "output": "sweeps/flows"}
/// ```
///
/// `seeds` is a count (seeds 0 … n−1) or a list. Values may be strings, numbers or booleans;
/// `{task}` in a value becomes the task's own folder. `output` is relative to the spec's folder.
/// Flags are sorted by name, so a plan does not depend on the order a file lists them in.
public struct SweepSpec: Sendable {
    public var command: [String]
    public var fixed: [(flag: String, value: String)]
    public var switches: [String]
    public var grid: [(flag: String, values: [String])]
    public var seeds: [UInt64]
    /// The sweep's folder, absolute.
    public var output: URL
    /// The folder the spec file is in: tasks run there, so relative paths in a spec mean what
    /// `output` does.
    public var folder: URL

    /// Reads a spec file; every problem names the file and the field.
    public init(contentsOf file: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw SweepError("cannot read the sweep spec \(file.path): \(error.localizedDescription)")
        }
        try self.init(json: data, name: file.path, folder: file.deletingLastPathComponent())
    }

    public init(json data: Data, name: String, folder: URL) throws {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw SweepError("\(name) is not valid JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw SweepError("\(name): the spec must be a JSON object") }
        let known = Set(RawSpec.CodingKeys.allCases.map(\.rawValue))
        if let extra = root.keys.sorted().first(where: { !known.contains($0) }) {
            throw SweepError("\(name): unknown field '\(extra)' (fields: \(known.sorted().joined(separator: ", ")))")
        }
        let raw: RawSpec
        do {
            raw = try JSONDecoder().decode(RawSpec.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            throw SweepError("\(name): \(field.dropFirst()) has the wrong type (\(context.debugDescription))")
        } catch { throw SweepError("\(name): \(error)") }
        guard let command = raw.command, !command.isEmpty, command.allSatisfy({ !$0.isEmpty }) else {
            throw SweepError("\(name): 'command' must be a non-empty list of words such as [\"flow\", \"train\"]")
        }
        if command.first == "sweep" { throw SweepError("\(name): a sweep cannot run 'sweep' itself") }
        self.command = command
        fixed = (raw.fixed ?? [:]).map { (flag: $0.key, value: $0.value.text) }.sorted { $0.flag < $1.flag }
        switches = (raw.switches ?? []).sorted()
        grid = try (raw.grid ?? [:]).map { entry in
            guard !entry.value.isEmpty else {
                throw SweepError("\(name): grid.\(entry.key) must list at least one value")
            }
            return (flag: entry.key, values: entry.value.map(\.text))
        }.sorted { $0.flag < $1.flag }
        switch raw.seeds {
        case .count(let count)?:
            guard (1...100_000).contains(count) else {
                throw SweepError("\(name): 'seeds' must count 1 to 100000 seeds")
            }
            seeds = (0..<UInt64(count)).map { $0 }
        case .list(let list)?:
            guard !list.isEmpty else { throw SweepError("\(name): 'seeds' must not be empty") }
            seeds = list
        case nil: seeds = [0]
        }
        if Set(seeds).count != seeds.count { throw SweepError("\(name): 'seeds' lists a seed twice") }
        guard let out = raw.output, !out.isEmpty else {
            throw SweepError("\(name): 'output' must name the sweep's folder")
        }
        output =
            (out.hasPrefix("/") ? URL(fileURLWithPath: out) : folder.appendingPathComponent(out)).standardizedFileURL
        self.folder = folder.standardizedFileURL
        let flags = fixed.map(\.flag) + switches + grid.map(\.flag)
        for flag in flags where flag.isEmpty || flag.hasPrefix("-") || flag.contains(" ") {
            throw SweepError("\(name): '\(flag)' is not a flag name (write it without dashes, e.g. \"epochs\")")
        }
        if let twice = Dictionary(grouping: flags, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw SweepError("\(name): the flag '\(twice)' is given twice (fixed, switches and grid must not overlap)")
        }
        if flags.contains("seed") { throw SweepError("\(name): give seeds in 'seeds', not as a flag") }
    }
}

/// The file's fields as decoded; `SweepSpec` checks and orders them.
private struct RawSpec: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case command, fixed, switches, grid, seeds, output }
    var command: [String]?
    var fixed: [String: FlagValue]?
    var switches: [String]?
    var grid: [String: [FlagValue]]?
    var seeds: Seeds?
    var output: String?
}

private enum Seeds: Decodable {
    case count(Int)
    case list([UInt64])
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) {
            self = .count(count)
        } else {
            self = .list(try container.decode([UInt64].self))
        }
    }
}

/// A flag's value as the command line spells it: strings as given, whole numbers without a point.
private struct FlagValue: Decodable {
    let text: String
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            text = flag ? "true" : "false"
        } else if let whole = try? container.decode(Int64.self) {
            text = String(whole)
        } else if let number = try? container.decode(Double.self) {
            text = "\(number)"
        } else {
            text = try container.decode(String.self)
        }
    }
}

/// A problem with a sweep, named for the person who wrote the spec or runs the sweep.
public struct SweepError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
