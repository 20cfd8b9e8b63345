/// The mean of per-image values and its standard error: s/√n, s the sample standard deviation
/// (n − 1 in the denominator). Both evaluation commands report test numbers this way.
public func meanAndStandardError(_ values: [Double]) -> (mean: Double, standardError: Double) {
    let n = Double(values.count)
    guard n > 0 else { return (.nan, .nan) }
    let mean = values.reduce(0, +) / n
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)
    return (mean, (variance / n).squareRoot())
}

/// The middle value (mean of the two middle ones for an even count); NaN for no values.
public func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let m = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
}
