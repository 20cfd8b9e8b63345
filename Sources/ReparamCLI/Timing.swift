import Foundation

/// Median over `repeats` of the mean seconds per call in loops of at least `minimum` seconds,
/// after one warm-up call.
func medianSeconds(repeats: Int = 7, minimum: Double = 0.05, _ body: () -> Void) -> Double {
    body()
    var samples: [Double] = []
    for _ in 0..<repeats {
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minimum
        samples.append(elapsed / Double(calls))
    }
    return samples.sorted()[samples.count / 2]
}

/// One JSON object per line, keys in the given order.
func jsonLine(_ fields: [(String, Any)]) -> String {
    "{"
        + fields.map { key, value in
            let rendered: String
            switch value {
            case let s as String: rendered = "\"\(s)\""
            case let d as Double: rendered = String(format: "%.3f", d)
            default: rendered = "\(value)"
            }
            return "\"\(key)\":\(rendered)"
        }.joined(separator: ",") + "}"
}
