import ReparamTensor
import _Differentiation

/// One-hot of the argmax along the last axis forward; `y`'s gradient backward.
@differentiable(reverse)
public func straightThroughOneHot(_ y: Tensor) -> Tensor {
    let k = withoutDerivative(at: y.shape.last!)
    let hard = withoutDerivative(
        at: Tensor.oneHot(
            (0..<(y.count / k)).map { row in
                let slice = y.scalars[(row * k)..<((row + 1) * k)]
                return slice.indices.max { slice[$0] < slice[$1] }! - row * k
            }, depth: k
        ).reshaped(to: y.shape))
    return y + withoutDerivative(at: hard - y)
}
