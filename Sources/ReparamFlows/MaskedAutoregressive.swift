import CReparamKernels
import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// The masked autoregressive flow layer (MAF, Papamakarios et al. 2017) with nflows' stable
/// affine form: from data x to noise, z_i = x_i·σ_i + μ_i with (μ_i, s_i) = MADE(x_<i) and
/// σ_i = sigmoid(s_i + 2) + 10⁻³, log|det| = Σ log σ_i — one MADE pass. This is the layer's
/// `inverse`; `forward` (noise to data, for sampling) solves for x one variable at a time, d
/// MADE passes.
///
/// The inverse autoregressive flow (IAF, Kingma et al. 2016) is the same layer inverted,
/// `Inverse<MaskedAutoregressive>`: its forward map conditions on its own input and takes one
/// pass, which is what variational inference needs.
public struct MaskedAutoregressive: FlowLayer {
    public var made: MADE

    public init(
        dimension d: Int, hidden: [Int], activation: Activation = .relu, contextSize: Int = 0,
        reversedOrder: Bool = false,
        key: RandomKey
    ) {
        made = MADE(
            inputSize: d, hidden: hidden, activation: activation, outputsPerInput: 2, contextSize: contextSize,
            reversedOrder: reversedOrder, key: key)
    }

    public var contextSize: Int { made.contextSize }

    @differentiable(reverse)
    func shiftAndScale(_ x: Tensor, _ context: Tensor) -> (shift: Tensor, scale: Tensor) {
        let out = made(x, context: context)
        let shape = withoutDerivative(at: x.shape)
        let shift = out.slice(axis: 2, 0..<1).reshaped(to: shape)
        return (shift, sigmoid(out.slice(axis: 2, 1..<2).reshaped(to: shape) + 2) + 1e-3)
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ x: Tensor, context: Tensor) -> ValueAndLogDet {
        affineAutoregressiveStep(made(x, context: context), x)
    }

    /// x = (z − μ(x))/σ(x), iterated d times from 0: after pass k the first k variables in the
    /// order are exact (and the unrolled derivative is the exact one). The last pass's σ is
    /// already the final one: variable i's depends only on the variables before it.
    @differentiable(reverse)
    public func forwardWithLogDet(_ z: Tensor, context: Tensor) -> ValueAndLogDet {
        var x = z * 0
        for _ in 0..<(withoutDerivative(at: made.inputSize) - 1) {
            let (shift, scale) = shiftAndScale(x, context)
            x = (z - shift) / scale
        }
        let (shift, scale) = shiftAndScale(x, context)
        return ValueAndLogDet(value: (z - shift) / scale, logDet: -rowSums(log(scale)))
    }
}

extension MaskedAutoregressive: ParameterListing {
    public var parameterPaths: [ParameterPath<MaskedAutoregressive>] {
        made.parameterPaths.map {
            $0.nested(in: "made", value: \MaskedAutoregressive.made, gradient: \MaskedAutoregressive.TangentVector.made)
        }
    }
}

/// x·σ + μ and Σ log σ per row, σ = sigmoid(s + 2) + 10⁻³, from a MADE's [n, d, 2] output of
/// (μ, s) pairs: the same map as `shiftAndScale` followed by the affine step, as one kernel
/// instead of ten tensor operations (slices, sigmoid, products, log, row sums) and their pullbacks.
@differentiable(reverse)
func affineAutoregressiveStep(_ parameters: Tensor, _ x: Tensor) -> ValueAndLogDet {
    affineAutoregressiveForward(parameters, x).result
}

private func affineAutoregressiveForward(_ parameters: Tensor, _ x: Tensor) -> (result: ValueAndLogDet, sig: Tensor) {
    precondition(
        x.rank == 2 && parameters.shape == [x.shape[0], x.shape[1], 2],
        "affine autoregressive step: parameters \(parameters.shape) do not fit x \(x.shape)")
    let (n, d) = (x.shape[0], x.shape[1])
    // The kernel writes every element of all three: no zero fill first.
    var (sig, logDet) = (Tensor.zero, Tensor.zero)
    let y = Tensor.filled([n, d]) { py, _ in
        sig = Tensor.filled([n, d]) { ps, _ in
            logDet = Tensor.filled([n]) { pl, _ in
                parameters.withUnsafeScalars { pp in
                    x.withUnsafeScalars { px in
                        rp_affine_autoregressive(pp.baseAddress, px.baseAddress, n, d, py, ps, pl)
                    }
                }
            }
        }
    }
    return (ValueAndLogDet(value: y, logDet: logDet), sig)
}

@derivative(of: affineAutoregressiveStep)
func vjpAffineAutoregressiveStep(_ parameters: Tensor, _ x: Tensor)
    -> (value: ValueAndLogDet, pullback: (ValueAndLogDet.TangentVector) -> (Tensor, Tensor))
{
    let (result, sig) = affineAutoregressiveForward(parameters, x)
    return (
        result,
        { v in
            if v.value.isShapelessZero && v.logDet.isShapelessZero { return (.zero, .zero) }
            let (n, d) = (x.shape[0], x.shape[1])
            var gx = Tensor.zero
            let gp = Tensor.filled([n, d, 2]) { pgp, _ in
                gx = Tensor.filled([n, d]) { pgx, _ in
                    func optional<R>(_ t: Tensor, _ body: (UnsafePointer<Float>?) -> R) -> R {
                        t.isShapelessZero ? body(nil) : t.withUnsafeScalars { body($0.baseAddress) }
                    }
                    x.withUnsafeScalars { px in
                        sig.withUnsafeScalars { ps in
                            optional(v.value) { gy in
                                optional(v.logDet) { gl in
                                    rp_affine_autoregressive_backward(
                                        px.baseAddress, ps.baseAddress, gy, gl, n, d, pgp, pgx)
                                }
                            }
                        }
                    }
                }
            }
            return (gp, gx)
        }
    )
}
