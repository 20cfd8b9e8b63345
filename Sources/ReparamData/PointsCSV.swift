import Foundation
import ReparamTensor

/// Points as CSV: one point per row, coordinates separated by commas, every row the same
/// length. A first row that is not numeric is a header and skipped; blank lines are skipped.
/// Lines may end in LF or CRLF.
public enum PointsCSV {
    /// The points of `url` as [rows, coordinates]; a malformed row is reported with its line
    /// number and what is wrong with it.
    public static func read(_ url: URL) throws -> Tensor {
        func fail(_ reason: String) -> DataFileError { DataFileError(file: url.path, reason: reason) }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw fail("cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        var scalars: [Float] = []
        var width: Int?
        var header = false, firstRow = true
        // Split on any line break: "\r\n" is one Character in Swift, so splitting on "\n" alone
        // would leave a CRLF file as one line.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let row = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if row.isEmpty { continue }
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let values = fields.map { Float($0) }
            defer { firstRow = false }
            if firstRow && values.allSatisfy({ $0 == nil }) {  // a header, only as the first row
                header = true
                continue
            }
            if let column = values.firstIndex(where: { $0 == nil }) {
                throw fail("line \(index + 1): field \(column + 1), '\(fields[column])', is not a number")
            }
            if let column = values.firstIndex(where: { !$0!.isFinite }) {
                throw fail("line \(index + 1): field \(column + 1) is \(fields[column]); coordinates must be finite")
            }
            if let width, width != values.count {
                throw fail("line \(index + 1) has \(values.count) fields, the rows before it \(width)")
            }
            width = values.count
            scalars += values.map { $0! }
        }
        guard let width else {
            throw fail(header ? "holds a header and no points (fields are separated by commas)" : "holds no points")
        }
        return Tensor(shape: [scalars.count / width, width], scalars: scalars)
    }

    /// Rows of `points` [n, d] as CSV text, with a header x1,…,xd.
    public static func text(_ points: Tensor, header: [String]? = nil) -> String {
        let d = points.shape[1]
        var lines = [(header ?? (1...d).map { "x\($0)" }).joined(separator: ",")]
        for row in 0..<points.shape[0] {
            lines.append((0..<d).map { "\(points.scalars[row * d + $0])" }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
