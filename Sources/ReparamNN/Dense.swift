import CReparamKernels
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Activations that `Dense` fuses into its bias add; raw values are the names configurations save.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case identity, relu, tanh, sigmoid

    /// The C kernels' code for this activation.
    public var kernelCode: Int32 {
        switch self {
        case .identity: Int32(RP_ACT_IDENTITY.rawValue)
        case .relu: Int32(RP_ACT_RELU.rawValue)
        case .tanh: Int32(RP_ACT_TANH.rawValue)
        case .sigmoid: Int32(RP_ACT_SIGMOID.rawValue)
        }
    }
}

/// y = act(x·W + b) with W of shape [inputs, outputs] and b of shape [outputs].
public struct Dense: Differentiable {
    public var weight: Tensor
    public var bias: Tensor
    @noDerivative public let activation: Activation

    public init(weight: Tensor, bias: Tensor, activation: Activation = .identity) {
        precondition(
            weight.rank == 2 && bias.shape == [weight.shape[1]],
            "Dense: weight \(weight.shape) and bias \(bias.shape) do not fit ([in, out] and [out])")
        self.weight = weight
        self.bias = bias
        self.activation = activation
    }

    /// A layer initialized like PyTorch's `nn.Linear` (or with `initializer`).
    public init(
        inputSize: Int, outputSize: Int, activation: Activation = .identity,
        initializer: Initializer = .pytorchDefault, key: RandomKey
    ) {
        precondition(inputSize > 0 && outputSize > 0, "Dense: sizes must be positive, got \(inputSize) → \(outputSize)")
        let (weight, bias) = initializer.parameters(inputs: inputSize, outputs: outputSize, key: key)
        self.init(weight: weight, bias: bias, activation: activation)
    }

    @differentiable(reverse)
    @differentiable(reverse,wrt: self)
    @differentiable(reverse,wrt: x)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        dense(x, weight, bias, activation: activation)
    }
}

extension Dense {
    /// `bernoulliLogitsNLLRows(logits: self(input), targets:)` for a layer with no activation, bit for bit,
    /// without the logits in memory: the product's tiles add their own terms (−L_K's decoder output is
    /// 16 MB a chunk). For evaluation (no derivative); with more than 512 inputs or 4096 outputs it forms
    /// the logits first.
    public func bernoulliLogitsNLLRows(_ input: Tensor, targets: Tensor) -> Tensor {
        precondition(activation == .identity, "Dense.bernoulliLogitsNLLRows: the layer's outputs must be logits")
        precondition(
            input.rank == 2 && input.shape[1] == weight.shape[0],
            "Dense: input \(input.shape) does not fit weight \(weight.shape) (expected [batch, \(weight.shape[0])])")
        let (rows, k, columns) = (input.shape[0], input.shape[1], weight.shape[1])
        precondition(
            targets.rank == 2 && targets.shape[1] == columns && targets.shape[0] > 0 && rows % targets.shape[0] == 0,
            "bernoulliLogitsNLLRows: targets \(targets.shape) need \(columns) columns and a divisor of \(rows) rows")
        var fused: Int32 = 0
        let sums = Tensor.filled([rows]) { out, _ in
            input.withUnsafeScalars { pa in
                weight.withUnsafeScalars { pw in
                    bias.withUnsafeScalars { pb in
                        targets.withUnsafeScalars { px in
                            fused = rp_sgemm_bernoulli_nll_rows(
                                Int32(rows), Int32(columns), Int32(k), pa.baseAddress, pw.baseAddress, pb.baseAddress,
                                px.baseAddress, Int32(targets.shape[0]), out)
                        }
                    }
                }
            }
        }
        return fused != 0 ? sums : ReparamTensor.bernoulliLogitsNLLRows(logits: self(input), targets: targets)
    }
}

/// act(x·W + b) as one primitive: one GEMM that adds the bias and applies the activation as it
/// stores each tile; the pullback differentiates the activation from its output, so no
/// pre-activation is kept.
@differentiable(reverse,wrt: (x, weight, bias))
@differentiable(reverse,wrt: (weight, bias))
@differentiable(reverse,wrt: x)
public func dense(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, activation: Activation) -> Tensor {
    denseForward(x, weight, bias, activation)
}

func denseForward(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, _ activation: Activation) -> Tensor {
    precondition(
        x.rank == 2 && x.shape[1] == weight.shape[0],
        "Dense: input \(x.shape) does not fit weight \(weight.shape) (expected [batch, \(weight.shape[0])])")
    let (m, k, n) = (x.shape[0], x.shape[1], weight.shape[1])
    precondition(bias.shape == [n], "Dense: bias \(bias.shape) does not fit weight \(weight.shape) (expected [\(n)])")
    let scalars = [Float](unsafeUninitializedCapacity: m * n) { out, initialized in
        x.withUnsafeScalars { px in
            weight.withUnsafeScalars { pw in
                bias.withUnsafeScalars { pb in
                    rp_sgemm_bias_activation(
                        0, 0, Int32(m), Int32(n), Int32(k), px.baseAddress, Int32(k), pw.baseAddress,
                        Int32(n), pb.baseAddress, activation.kernelCode, out.baseAddress, Int32(n))
                }
            }
        }
        initialized = m * n
    }
    return Tensor(shape: [m, n], scalars: scalars)
}

/// v · act′, from the activation's output y, written to a new tensor: v belongs to the caller, so
/// writing in place would copy it first.
func activationCotangent(_ v: Tensor, _ y: Tensor, _ activation: Activation) -> Tensor {
    let v = v.expanded(to: y.shape)
    if activation == .identity { return v }
    return Tensor.filled(y.shape) { out, count in
        v.withUnsafeScalars { pv in
            y.withUnsafeScalars { py in
                rp_activation_backward_into(activation.kernelCode, py.baseAddress, pv.baseAddress, out, count)
            }
        }
    }
}

/// The pullback of y = act(x·W + b) at y's cotangent v in one kernel call: g = act'(y) ⊙ v, then ∂x = g·Wᵀ,
/// ∂W = xᵀ·g and ∂b = Σ_rows g. Both threads write g's chunks; then one takes ∂x, the other ∂b, and both
/// share ∂W's columns, so neither waits while the other finishes a whole product (∂W, whose K is the batch,
/// ran slower than ∂x: the caller waited 1.8% of a VAE profile's samples, 2.4% of a discrete VAE's). With
/// `mask`, the layer is `maskedDense`'s: its runs restrict ∂x's products and ∂W's rows, and ∂W is zero off it.
func layerBackward(
    _ v: Tensor, _ y: Tensor, _ x: Tensor, _ weight: Tensor, _ activation: Activation, mask: WeightMask? = nil
) -> (dx: Tensor, dw: Tensor, db: Tensor) {
    let (m, k, n) = (x.shape[0], x.shape[1], weight.shape[1])
    let v = v.expanded(to: y.shape)
    // A mask that is not runs leaves zeros inside them: those come off the weight and off ∂W.
    let scattered = mask.flatMap { $0.isRuns ? nil : $0.mask }
    guard m > 0, k > 0, n > 0 else {
        let g = activationCotangent(v, y, activation), w = mask.map { weight * $0.mask } ?? weight
        let dw = matmul(x, g, transposeA: true)
        return (matmul(g, w, transposeB: true), mask.map { dw * $0.mask } ?? dw, g.sum(alongAxes: [0]))
    }
    let weight = scattered.map { weight * $0 } ?? weight
    var dw = Tensor.zero, db = Tensor.zero
    let dx = Tensor.filled([m, k]) { pdx, _ in
        dw = Tensor.filled([k, n]) { pdw, _ in
            db = Tensor.filled([n]) { pdb, _ in
                // The activation's cotangent, needed only inside the call.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: activation == .identity ? 0 : m * n) { pg in
                    x.withUnsafeScalars { px in
                        weight.withUnsafeScalars { pw in
                            v.withUnsafeScalars { pv in
                                y.withUnsafeScalars { py in
                                    rp_layer_backward(
                                        Int32(m), Int32(k), Int32(n), px.baseAddress, pw.baseAddress, py.baseAddress,
                                        pv.baseAddress, activation.kernelCode, mask?.columnBegin, mask?.columnEnd,
                                        mask?.rowBegin, mask?.rowEnd, pg.baseAddress, pdx, pdw, pdb)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return (dx, scattered.map { dw * $0 } ?? dw, db)
}

@derivative(of: dense, wrt: (x, weight, bias))
@usableFromInline func vjpDense(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, activation: Activation)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    let y = denseForward(x, weight, bias, activation)
    return (
        y,
        { v in
            if v.isShapelessZero { return (.zero, .zero, .zero) }
            // ∂x = g·Wᵀ and ∂W = xᵀ·g are independent and equal in work (m·n·k each): ∂x stays whole on one
            // core (whole products beat split ones, above all small ones), and the cores share ∂W's columns.
            return layerBackward(v, y, x, weight, activation)
        }
    )
}

@derivative(of: dense, wrt: (weight, bias))
@usableFromInline func vjpDenseParameters(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, activation: Activation)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    let y = denseForward(x, weight, bias, activation)
    return (
        y,
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            let g = activationCotangent(v, y, activation)
            return (matmul(x, g, transposeA: true), g.sum(alongAxes: [0]))
        }
    )
}

/// The input-only derivative: a layer held fixed (a critic that an actor's loss differentiates
/// through) costs one GEMM per pullback instead of three.
@derivative(of: dense, wrt: x)
@usableFromInline func vjpDenseInput(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, activation: Activation)
    -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    let y = denseForward(x, weight, bias, activation)
    return (
        y,
        { v in
            v.isShapelessZero ? .zero : matmul(activationCotangent(v, y, activation), weight, transposeB: true)
        }
    )
}
