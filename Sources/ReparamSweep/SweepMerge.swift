import Foundation

/// The sweep's results gathered per grid point (and, for a command that prints a table of records,
/// per record): for every numeric field, the mean over seeds and its standard error s/√n. Timing
/// fields (any with `seconds` in the name, or ending in `per_second`) depend on the machine, not the
/// seed, and are left out, so a sweep merges to the same table wherever its tasks ran.
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

    /// Times (`seconds`, `seconds_per_draw`, `steps_per_second`, ...) measure the machine, not the seed.
    static func isTiming(_ field: String) -> Bool { field.contains("seconds") || field.hasSuffix("per_second") }

    public init(folder: SweepFolder) throws {
        let grid = folder.spec.gridFlags
        // A command's result often echoes its configuration (layers, steps): not a measurement.
        let echoes = Set(folder.spec.fixed.map(\.flag) + folder.spec.switches + grid + ["seed"])
            .union((folder.spec.fixed.map(\.flag) + grid).map { $0.replacingOccurrences(of: "-", with: "_") })
        // Each task's records (its JSON lines), the last one per identity: the text fields that are no
        // echo (a lab table's estimator and problem) tell records apart; a training command's
        // per-epoch lines share one identity, so its final line stands for it.
        var planned: [[String]: Int] = [:]
        var tasks: [(key: [String], records: [[String: StoredResult.Value]])] = []
        var identitySet = Set<String>()
        for task in folder.tasks {
            let key = grid.map { task.point[$0] ?? "" }
            planned[key, default: 0] += 1
            guard let data = try? Data(contentsOf: folder.resultFile(task)) else { continue }
            guard let stored = try? JSONDecoder().decode(StoredResult.self, from: data) else {
                throw SweepError(
                    "\(folder.resultFile(task).path) is not a sweep result; remove it to run the task again")
            }
            // The task's own flag values, by the names a JSON field would use.
            var given: [String: String] = [:]
            for (flag, value) in folder.spec.fixed.map({ ($0.flag, $0.value) }) + task.point.map({ ($0.key, $0.value) })
            {
                given[flag] = value
                given[flag.replacingOccurrences(of: "-", with: "_")] = value
            }
            // An echo that repeats the task's flag goes; a text field that differs (a lab's `problem`
            // when the flag said `both`) tells records apart.
            let records = (stored.records ?? [stored.result]).map { record in
                record.filter { field, value in
                    if SweepTable.isTiming(field) { return false }
                    guard echoes.contains(field) else { return true }
                    if case .text(let text) = value { return given[field].map { $0 != text } ?? false }
                    return false
                }
            }
            for record in records {
                for (field, value) in record { if case .text = value { identitySet.insert(field) } }
            }
            tasks.append((key, records))
        }
        let identity = identitySet.sorted()
        var groups: [[String]: [String: [Double]]] = [:]
        var order: [[String]] = []
        var fieldSet = Set<String>()
        for (key, records) in tasks {
            var last: [[String]: [String: StoredResult.Value]] = [:]
            var seen: [[String]] = []
            for record in records {
                let id = identity.map { field -> String in
                    if case .text(let text)? = record[field] { return text }
                    return ""
                }
                if last[id] == nil { seen.append(id) }
                last[id] = record
            }
            for id in seen {
                let row = key + id
                if groups[row] == nil {
                    groups[row] = [:]
                    order.append(row)
                }
                for (field, value) in last[id]! {
                    guard case .number(let number) = value else { continue }
                    groups[row]![field, default: []].append(number)
                    fieldSet.insert(field)
                }
            }
        }
        let flags = grid + identity
        self.flags = flags
        fields = fieldSet.sorted()
        var all = order.map { row in
            let values = groups[row]!
            let metrics = values.keys.sorted().map { field -> (String, Double, Double?) in
                let xs = values[field]!
                let mean = xs.reduce(0, +) / Double(xs.count)
                guard xs.count > 1 else { return (field, mean, nil) }
                let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
                return (field, mean, (variance / Double(xs.count)).squareRoot())
            }
            return Row(
                point: Dictionary(uniqueKeysWithValues: zip(flags, row)), seeds: values.values.map(\.count).max() ?? 0,
                planned: planned[Array(row.prefix(grid.count))] ?? 0,
                metrics: metrics.map { (field: $0.0, mean: $0.1, standardError: $0.2) })
        }
        // Grid points without any result still get their (empty) row.
        var withRows = Set(order.map { Array($0.prefix(grid.count)) })
        for task in folder.tasks {
            let key = grid.map { task.point[$0] ?? "" }
            guard withRows.insert(key).inserted else { continue }
            all.append(
                Row(
                    point: Dictionary(uniqueKeysWithValues: zip(flags, key + identity.map { _ in "" })),
                    seeds: 0, planned: planned[key] ?? 0, metrics: []))
        }
        rows = all
        done = tasks.count
        total = folder.tasks.count
    }

    /// One JSON object per grid point.
    public var jsonLines: String {
        rows.map { row in
            var metrics: [String: Any] = [:]
            for m in row.metrics {
                metrics[m.field] = ["mean": m.mean, "se": m.standardError.map { $0 as Any } ?? NSNull()]
            }
            let object: [String: Any] = [
                "point": row.point, "seeds": row.seeds, "planned": row.planned, "metrics": metrics,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// A CSV: the grid's flags, seeds done, then mean and standard error of every field.
    public var csv: String {
        let header = flags + ["seeds"] + fields.flatMap { ["\($0)_mean", "\($0)_se"] }
        let lines = rows.map { row -> String in
            let byField = Dictionary(uniqueKeysWithValues: row.metrics.map { ($0.field, $0) })
            let cells =
                flags.map { SweepTable.csvCell(row.point[$0] ?? "") } + [String(row.seeds)]
                + fields.flatMap { field -> [String] in
                    guard let m = byField[field] else { return ["", ""] }
                    return ["\(m.mean)", m.standardError.map { "\($0)" } ?? ""]
                }
            return cells.joined(separator: ",")
        }
        return ([header.joined(separator: ",")] + lines).joined(separator: "\n") + "\n"
    }

    static func csvCell(_ text: String) -> String {
        text.contains(",") || text.contains("\"")
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// A table for the terminal: flags, seeds, then mean ± standard error per field.
    public var text: String {
        let header = flags + ["seeds"] + fields
        let body = rows.map { row -> [String] in
            let byField = Dictionary(uniqueKeysWithValues: row.metrics.map { ($0.field, $0) })
            return flags.map { row.point[$0] ?? "" } + ["\(row.seeds)/\(row.planned)"]
                + fields.map { field in
                    guard let m = byField[field] else { return "—" }
                    return m.standardError.map { String(format: "%.4g ± %.2g", m.mean, $0) }
                        ?? String(format: "%.4g", m.mean)
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
            let cells =
                flags.map { escape(row.point[$0] ?? "") } + ["\(row.seeds)/\(row.planned)"]
                + fields.map { field in
                    guard let m = byField[field] else { return "—" }
                    return m.standardError.map { String(format: "%.5g ± %.2g", m.mean, $0) }
                        ?? String(format: "%.5g", m.mean)
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
        case number(Double)
        case text(String)
        case other
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if (try? container.decode(Bool.self)) != nil {
                self = .other
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .other
            }
        }
    }
    let result: [String: Value]
    /// Every JSON line the command printed (results filed before this field existed hold `result` alone).
    let records: [[String: Value]]?
}
