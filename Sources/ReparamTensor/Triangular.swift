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
    precondition(b.rank == 2 && b.shape[0] == l.shape[0], "solveLowerTriangular: B \(b.shape) does not match L \(l.shape)")
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
@usableFromInline func vjpSolveLowerTriangular(_ l: Tensor, _ b: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
    let x = triangularSolve(l, b, transposed: false)
    return (x, { v in
        if v.isShapelessZero { return (.zero, .zero) }
        let gradB = triangularSolve(l, v.expanded(to: x.shape), transposed: true)
        let full = matmul(gradB, x, transposeB: true)
        let d = l.shape[0]
        let lower = Tensor(shape: [d, d], scalars: (0..<(d * d)).map { $0 % d <= $0 / d ? -full.scalars[$0] : 0 })
        return (lower, gradB)
    })
}
