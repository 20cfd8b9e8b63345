import CReparamKernels
import _Differentiation

/// C = op(A)·op(B) for rank-2 tensors, op = transpose when the flag is set.
///
/// Derivatives are registered for both operands and for each one alone, so a data operand
/// (a batch of inputs) costs no gradient GEMM.
@differentiable(reverse)
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    matmulForward(a, b, transposeA, transposeB)
}

func matmulForward(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul: operands must be rank 2, got shapes \(a.shape) and \(b.shape)")
    let (m, k) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = tb ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(
        k == kb,
        "matmul: inner dimensions differ: \(ta ? "transposed " : "")\(a.shape) · \(tb ? "transposed " : "")\(b.shape)")
    return Tensor.filled([m, n]) { out, _ in
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                rp_sgemm(
                    ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), 1, pa.baseAddress,
                    Int32(a.shape[1]), pb.baseAddress, Int32(b.shape[1]), 0, out, Int32(n))
            }
        }  // with k = 0, rp_sgemm writes the zeros itself (beta = 0)
    }
}

/// ∂A for C = op(A)·op(B): dC·op(B)ᵀ, transposed back when A is stored transposed.
func matmulGradientA(_ v: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
    ta ? matmulForward(b, v, tb, true) : matmulForward(v, b, false, !tb)
}

/// ∂B for C = op(A)·op(B): op(A)ᵀ·dC, transposed back when B is stored transposed.
func matmulGradientB(_ v: Tensor, _ a: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
    tb ? matmulForward(v, a, true, ta) : matmulForward(a, v, !ta, false)
}

@derivative(of: matmul)
@usableFromInline func vjpMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    let c = matmulForward(a, b, transposeA, transposeB)
    return (
        c,
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            return (matmulGradientA(v, b, transposeA, transposeB), matmulGradientB(v, a, transposeA, transposeB))
        }
    )
}

@derivative(of: matmul, wrt: a)
@usableFromInline func vjpMatmulA(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool)
    -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    (
        matmulForward(a, b, transposeA, transposeB),
        { v in
            v.isShapelessZero ? .zero : matmulGradientA(v, b, transposeA, transposeB)
        }
    )
}

@derivative(of: matmul, wrt: b)
@usableFromInline func vjpMatmulB(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool)
    -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    (
        matmulForward(a, b, transposeA, transposeB),
        { v in
            v.isShapelessZero ? .zero : matmulGradientB(v, a, transposeA, transposeB)
        }
    )
}
