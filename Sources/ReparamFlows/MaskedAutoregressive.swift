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
        let (shift, scale) = shiftAndScale(x, context)
        return ValueAndLogDet(value: x * scale + shift, logDet: rowSums(log(scale)))
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
