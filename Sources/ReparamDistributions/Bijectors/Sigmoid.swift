import ReparamTensor
import _Differentiation

/// y = σ(x) = 1/(1 + e^{−x}) onto (0, 1).
///
/// log|det J| = log σ(x) + log σ(−x) = −softplus(−x) − softplus(x), finite where σ(x) rounds to
/// 0 or 1; the inverse's is −log y − log(1 − y), taken from y itself.
public struct Sigmoid: Bijector {
    public init() {}

    public var eventRank: Int { 0 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { sigmoid(x) }
    /// log y − log(1 − y)
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { log(y) - log1p(-y) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { -softplus(-x) - softplus(x) }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -log(y) - log1p(-y) }
}
