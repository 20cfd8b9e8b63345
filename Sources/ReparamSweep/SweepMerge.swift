import Foundation

/// The sweep's results gathered per grid point: for every numeric field a task's result holds,
/// the mean over seeds and its standard error s/√n. Timing fields (`seconds`, `*_seconds`,
/// `*per_second`) depend on the machine, not the seed, and are left out, so a sweep merges to
/// the same table wherever its tasks ran.
public struct SweepTable: Sendable {
    public struct Row: Sendable {
        public let point: [String: String]
        public let seeds: Int
        public let planned: Int
        /// field → (mean, standard error; nil with one seed)
        public let metrics: [(field: String, mean: Double, standardError: Double?)]
    }

    public let flags: [String]
    public let fields: [String]
    public let rows: [Row]
    public let done: Int, total: Int

    static func isTiming(_ field: String) -> Bool {
        field == "seconds" || field.hasSuffix("_seconds") || field.hasSuffix("per_second") || field == "wall_seconds"
    }

    public init(folder: SweepFolder) throws {
        let flags = folder.spec.gridFlags
        self.flags = flags
        var groups: [[String]: (planned: Int, values: [String: [Double]])] = [:]
        var order: [[String]] = []
        var fieldSet = Set<String>()
        var done = 0
        // A command's result often echoes its configuration (layers, steps): not a measurement.
        let echoes = Set(folder.spec.fixed.map(\.flag) + folder.spec.switches + flags + ["seed"])
            .union((folder.spec.fixed.map(\.flag) + flags).map { $0.replacingOccurrences(of: "-", with: "_") })
        for task in folder.tasks {
            let key = flags.map { task.point[$0] ?? "" }
            if groups[key] == nil {
                groups[key] = (0, [:])
                order.append(key)
            }
            groups[key]!.planned += 1
            guard let data = try? Data(contentsOf: folder.resultFile(task)) else { continue }
            guard let stored = try? JSONDecoder().decode(StoredResult.self, from: data) else {
                throw SweepError("\(folder.resultFile(task).path) is not a sweep result; remove it to run the task again")
            }
            done += 1
            for (field, value) in stored.result where !SweepTable.isTiming(field) && !echoes.contains(field) {
                guard case .number(let number) = value else { continue }
                groups[key]!.values[field, default: []].append(number)
                fieldSet.insert(field)
            }
        }
        fields = fieldSet.sorted()
        rows = order.map { key in
            let group = groups[key]!
            let metrics = group.values.keys.sorted().map { field -> (String, Double, Double?) in
                let values = group.values[field]!
                let mean = values.reduce(0, +) / Double(values.count)
                guard values.count > 1 else { return (field, mean, nil) }
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
                return (field, mean, (variance / Double(values.count)).squareRoot())
            }
            let seeds = group.values.values.map(\.count).max() ?? 0
            return Row(point: Dictionary(uniqueKeysWithValues: zip(flags, key)), seeds: seeds, planned: group.planned,
                       metrics: metrics.map { (field: $0.0, mean: $0.1, standardError: $0.2) })
        }
        self.done = done
        total = folder.tasks.count
    }

    /// One JSON object per grid point.
    public var jsonLines: String {
        rows.map { row in
            var metrics: [String: Any] = [:]
            for m in row.metrics {
                metrics[m.field] = ["mean": m.mean, "se": m.standardError.map { $0 as Any } ?? NSNull()]
            }
            let object: [String: Any] = ["point": row.point, "seeds": row.seeds, "planned": row.planned, "metrics": metrics]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// A CSV: the grid's flags, seeds done, then mean and standard error of every field.
    public var csv: String {
        let header = flags + ["seeds"] + fields.flatMap { ["\($0)_mean", "\($0)_se"] }
        let lines = rows.map { row -> String in
            let byField = Dictionary(uniqueKeysWithValues: row.metrics.map { ($0.field, $0) })
            let cells = flags.map { SweepTable.csvCell(row.point[$0] ?? "") } + [String(row.seeds)]
                + fields.flatMap { field -> [String] in
                    guard let m = byField[field] else { return ["", ""] }
                    return ["\(m.mean)", m.standardError.map { "\($0)" } ?? ""]
                }
            return cells.joined(separator: ",")
        }
        return ([header.joined(separator: ",")] + lines).joined(separator: "\n") + "\n"
    }

    static func csvCell(_ text: String) -> String {
        text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// A table for the terminal: flags, seeds, then mean ± standard error per field.
    public var text: String {
        let header = flags + ["seeds"] + fields
        let body = rows.map { row -> [String] in
            let byField = Dictionary(uniqueKeysWithValues: row.metrics.map { ($0.field, $0) })
            return flags.map { row.point[$0] ?? "" } + ["\(row.seeds)/\(row.planned)"] + fields.map { field in
                guard let m = byField[field] else { return "—" }
                return m.standardError.map { String(format: "%.4g ± %.2g", m.mean, $0) } ?? String(format: "%.4g", m.mean)
            }
        }
        let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max() ?? 0 }
        let line = { (cells: [String]) in
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
        }
        return ([line(header)] + body.map(line)).joined(separator: "\n") + "\n"
    }

    /// An HTML page with the same table, for a report folder.
    public var html: String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        }
        let header = (flags + ["seeds"] + fields).map { "<th>\(escape($0))</th>" }.joined()
        let body = rows.map { row -> String in
            let byField = Dictionary(uniqueKeysWithValues: row.metrics.map { ($0.field, $0) })
            let cells = flags.map { escape(row.point[$0] ?? "") } + ["\(row.seeds)/\(row.planned)"] + fields.map { field in
                guard let m = byField[field] else { return "—" }
                return m.standardError.map { String(format: "%.5g ± %.2g", m.mean, $0) } ?? String(format: "%.5g", m.mean)
            }
            return "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html><meta charset="utf-8"><title>Sweep results</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style>
            <h1>Sweep results</h1><p>\(done) of \(total) tasks done; mean ± standard error over seeds.</p>
            <table><tr>\(header)</tr>
            \(body)
            </table>
            """
    }

    /// Writes merged.jsonl and merged.csv into the sweep folder (atomically).
    public func write(to folder: URL) throws {
        try makeFolder(folder)
        try writeAtomically(Data(jsonLines.utf8), to: folder.appendingPathComponent("merged.jsonl"))
        try writeAtomically(Data(csv.utf8), to: folder.appendingPathComponent("merged.csv"))
    }
}

/// A result.json as merging reads it: the command's own JSON object, numbers told from the rest.
private struct StoredResult: Decodable {
    enum Value: Decodable {
        case number(Double), other
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if (try? container.decode(Bool.self)) != nil {
                self = .other
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .other
            }
        }
    }
    let result: [String: Value]
}
