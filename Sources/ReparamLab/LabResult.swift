import Foundation
import Reparam

/// A JSON scalar, enough for the lab's one-object-per-line output.
public enum JSONValue: Sendable, ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    case string(String), number(Double), integer(Int), bool(Bool), null

    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public static func optional(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }

    var encoded: String {
        switch self {
        case .string(let s): return jsonString(s)
        case .number(let v): return v.isFinite ? String(format: "%.10g", v) : "null"
        case .integer(let v): return String(v)
        case .bool(let v): return v ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// One JSON object with its keys in a fixed order.
public struct Record: Sendable {
    public var fields: [(String, JSONValue)]
    public init(_ fields: [(String, JSONValue)]) { self.fields = fields }
    public var json: String {
        "{" + fields.map { JSONValue.string($0.0).encoded + ":" + $0.1.encoded }.joined(separator: ",") + "}"
    }
}

/// A plain-text table with right-aligned numeric columns.
public struct Table: Sendable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }

    public var text: String {
        let widths = header.indices.map { j in ([header] + rows).map { $0[j].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { j, cell in
                let pad = String(repeating: " ", count: widths[j] - cell.count)
                return j == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return
            ([line(header), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }
}

/// What one lab experiment found: headline lines, a table, JSON records, and charts.
public struct LabResult: Sendable {
    public var title: String
    public var headline: [String]
    public var table: Table
    public var records: [Record]
    public var charts: [Chart]
    /// Pictures shown side by side after the charts (density plots).
    public var heatmaps: [Heatmap]
    public var notes: [String]

    public init(
        title: String, headline: [String], table: Table, records: [Record], charts: [Chart],
        heatmaps: [Heatmap] = [],
        notes: [String] = []
    ) {
        self.title = title
        self.headline = headline
        self.table = table
        self.records = records
        self.charts = charts
        self.heatmaps = heatmaps
        self.notes = notes
    }

    public var text: String {
        ([title, String(repeating: "═", count: title.count)] + headline + ["", table.text]
            + (notes.isEmpty ? [] : [""] + notes))
            .joined(separator: "\n")
    }
}

/// Numbers for tables: 4 significant digits, scientific outside [1e-3, 1e5).
func formatted(_ v: Double) -> String {
    guard v.isFinite else { return v.isNaN ? "—" : (v > 0 ? "∞" : "−∞") }
    if v == 0 { return "0" }
    return abs(v) >= 1e5 || abs(v) < 1e-3 ? String(format: "%.3e", v) : String(format: "%.4g", v)
}
