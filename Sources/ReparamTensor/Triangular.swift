import _Differentiation

/// X with L·X = B for a lower-triangular L [D, D] (entries above the diagonal are ignored) and
/// B [D, N]: forward substitution. Pullback: B̄ = L⁻ᵀ·X̄ (back substitution), and
/// L̄ = −tril(B̄·Xᵀ).
@differentiable(reverse)
public func solveLowerTriangular(_ l: Tensor, _ b: Tensor) -> Tensor {
    triangularSolve(l, b, transposed: false)
}

/// Solves L·X = B (transposed: Lᵀ·X = B) by substitution, column by column.
func triangularSolve(_ l: Tensor, _ b: Tensor, transposed: Bool) -> Tensor {
    precondition(l.rank == 2 && l.shape[0] == l.shape[1], "solveLowerTriangular: L must be square, got \(l.shape)")
    precondition(
        b.rank == 2 && b.shape[0] == l.shape[0], "solveLowerTriangular: B \(b.shape) does not match L \(l.shape)")
    let d = l.shape[0], n = b.shape[1]
    var x = b.scalars
    let lv = l.scalars
    for column in 0..<n {
        if !transposed {
            for i in 0..<d {
                var total = x[i * n + column]
                for k in 0..<i { total -= lv[i * d + k] * x[k * n + column] }
                x[i * n + column] = total / lv[i * d + i]
            }
        } else {
            for i in stride(from: d - 1, through: 0, by: -1) {
                var total = x[i * n + column]
                for k in (i + 1)..<Swift.max(i + 1, d) { total -= lv[k * d + i] * x[k * n + column] }
                x[i * n + column] = total / lv[i * d + i]
            }
        }
    }
    return Tensor(shape: b.shape, scalars: x)
}

@derivative(of: solveLowerTriangular)
@usableFromInline func vjpSolveLowerTriangular(_ l: Tensor, _ b: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)
) {
    let x = triangularSolve(l, b, transposed: false)
    return (
        x,
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            let gradB = triangularSolve(l, v.expanded(to: x.shape), transposed: true)
            let full = matmul(gradB, x, transposeB: true)
            let d = l.shape[0]
            let lower = Tensor(shape: [d, d], scalars: (0..<(d * d)).map { $0 % d <= $0 / d ? -full.scalars[$0] : 0 })
            return (lower, gradB)
        }
    )
}

/// The lower-triangular L with L·Lᵀ = A for a symmetric positive-definite A [D, D]
/// (Cholesky–Banachiewicz, in Double). Only A's lower triangle is read. Pullback (Murray 2016):
/// Ā = ½(S + Sᵀ), S = L⁻ᵀ·Φ(Lᵀ·L̄)·L⁻¹, Φ keeping the lower triangle with a halved diagonal.
@differentiable(reverse)
public func cholesky(_ a: Tensor) -> Tensor {
    choleskyForward(a)
}

func choleskyForward(_ a: Tensor) -> Tensor {
    switch choleskyFactor(a) {
    case .success(let l): return l
    case .failure(let failure):
        preconditionFailure(
            "cholesky: the matrix is not positive definite (pivot \(failure.pivot) is \(failure.value)); validate it with choleskyFactor"
        )
    }
}

/// Where a Cholesky factorization broke down: the first non-positive pivot.
public struct CholeskyFailure: Error, Equatable {
    public let pivot: Int
    public let value: Double
}

/// L with L·Lᵀ = A, or the first pivot that is not positive (A not positive definite).
/// Not differentiable: the checking counterpart of `cholesky`.
public func choleskyFactor(_ a: Tensor) -> Result<Tensor, CholeskyFailure> {
    precondition(a.rank == 2 && a.shape[0] == a.shape[1], "cholesky: the matrix must be square, got \(a.shape)")
    let d = a.shape[0]
    var l = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
        for j in 0...i {
            var total = Double(a.scalars[i * d + j])
            for k in 0..<j { total -= l[i * d + k] * l[j * d + k] }
            if i == j {
                guard total > 0 else { return .failure(CholeskyFailure(pivot: i, value: total)) }
                l[i * d + i] = total.squareRoot()
            } else {
                l[i * d + j] = total / l[j * d + j]
            }
        }
    }
    return .success(Tensor(shape: [d, d], scalars: l.map(Float.init)))
}

@derivative(of: cholesky)
@usableFromInline func vjpCholesky(_ a: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    let l = choleskyForward(a)
    let d = a.shape[0]
    return (
        l,
        { v in
            if v.isShapelessZero { return .zero }
            let product = matmul(l, v.expanded(to: [d, d]), transposeA: true)
            let phi = Tensor(
                shape: [d, d],
                scalars: (0..<(d * d)).map { index in
                    let (i, j) = (index / d, index % d)
                    return j < i ? product.scalars[index] : (j == i ? 0.5 * product.scalars[index] : 0)
                })
            let x = triangularSolve(l, phi, transposed: true)  // L⁻ᵀ·Φ
            let s = triangularSolve(l, x.transposed(), transposed: true).transposed()  // (L⁻ᵀ·Φ)·L⁻¹
            return 0.5 * (s + s.transposed())
        }
    )
}
