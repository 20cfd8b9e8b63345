import ReparamDistributions
import ReparamTensor
import _Differentiation

/// What every bijector must satisfy, measured at a batch of points (largest errors, relative
/// to max(1, |reference|)); `checkBijectorLaws` is the one checker all bijector tests call.
public struct BijectorLawReport: CustomStringConvertible {
    /// |f⁻¹(f(x)) − x|
    public var roundTrip: Float
    /// |forwardLogDetJacobian(x) − log|det ∂f/∂x||, the Jacobian built column by column from
    /// reverse-mode pullbacks of `forward` and its determinant taken in Double.
    public var forwardLogDet: Float
    /// |inverseLogDetJacobian(f(x)) + forwardLogDetJacobian(x)|
    public var inverseLogDet: Float
    /// The fused `…WithLogDet` pair against the separate methods.
    public var fused: Float

    public var worst: Float { Swift.max(roundTrip, forwardLogDet, inverseLogDet, fused) }
    public var description: String {
        "round trip \(roundTrip), forward log-det \(forwardLogDet), inverse log-det \(inverseLogDet), fused \(fused)"
    }
}

/// Checks f at x, shaped [n] (event rank 0) or [n, d] (event rank 1).
public func checkBijectorLaws<B: Bijector>(_ f: B, at x: Tensor) -> BijectorLawReport {
    precondition(x.rank == f.eventRank + 1, "checkBijectorLaws: x needs rank \(f.eventRank + 1), got \(x.shape)")
    let y = f.forward(x)
    let fldj = f.forwardLogDetJacobian(x)
    let (n, d) = (x.shape[0], f.eventRank == 0 ? 1 : x.shape[1])
    // Differentiated in f too: a pullback in x alone goes through a generic subset-parameters
    // thunk that crashes the Swift 6.3 runtime (swift_getAssociatedTypeWitness).
    let (_, pullback) = valueWithPullback(at: f, x) { f, x in f.forward(x) }
    // Row i of each sample's Jacobian is the pullback of the i-th output coordinate.
    var jacobians = [[Double]](repeating: [Double](repeating: 0, count: d * d), count: n)
    for i in 0..<d {
        var seed = [Float](repeating: 0, count: n * d)
        for s in 0..<n { seed[s * d + i] = 1 }
        let row = pullback(Tensor(shape: y.shape, scalars: seed)).1
        for s in 0..<n { for j in 0..<d { jacobians[s][i * d + j] = Double(row.scalars[s * d + j]) } }
    }
    let exact = Tensor(shape: [n], scalars: jacobians.map { Float(logAbsDeterminant($0, d)) })
    let fused = f.forwardWithLogDet(x)
    let fusedInverse = f.inverseWithLogDet(y)
    return BijectorLawReport(
        roundTrip: GradientCheck.maxRelativeError(f.inverse(y), x),
        forwardLogDet: GradientCheck.maxRelativeError(fldj.reshaped(to: [n]), exact),
        inverseLogDet: GradientCheck.maxRelativeError(f.inverseLogDetJacobian(y), -fldj),
        fused: [
            GradientCheck.maxRelativeError(fused.value, y), GradientCheck.maxRelativeError(fused.logDet, fldj),
            GradientCheck.maxRelativeError(fusedInverse.value, f.inverse(y)),
            GradientCheck.maxRelativeError(fusedInverse.logDet, f.inverseLogDetJacobian(y)),
        ].max()!)
}

/// log|det A| of a d×d row-major matrix by Gaussian elimination with partial pivoting.
public func logAbsDeterminant(_ matrix: [Double], _ d: Int) -> Double {
    var a = matrix
    var total = 0.0
    for column in 0..<d {
        let pivot = (column..<d).max { Swift.abs(a[$0 * d + column]) < Swift.abs(a[$1 * d + column]) }!
        if pivot != column { for j in 0..<d { a.swapAt(pivot * d + j, column * d + j) } }
        let p = a[column * d + column]
        if p == 0 { return -.infinity }
        total += Special.log(Swift.abs(p))
        for row in (column + 1)..<d {
            let factor = a[row * d + column] / p
            for j in column..<d { a[row * d + j] -= factor * a[column * d + j] }
        }
    }
    return total
}
