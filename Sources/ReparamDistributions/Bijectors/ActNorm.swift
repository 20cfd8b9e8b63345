import ReparamTensor
import _Differentiation

/// Activation normalization (Kingma & Dhariwal, Glow): y = x·exp(logScale) + shift per
/// feature of the last axis, started from data so that the layer's input or output has zero
/// mean and unit variance per feature. log|det J| = Σ logScale.
public struct ActNorm: Bijector {
    public var shift: Tensor
    public var logScale: Tensor

    @differentiable(reverse)
    public init(shift: Tensor, logScale: Tensor) {
        precondition(
            shift.rank == 1 && shift.shape == logScale.shape,
            "ActNorm: shift \(shift.shape) and logScale \(logScale.shape) must be equal-length vectors")
        self.shift = shift
        self.logScale = logScale
    }

    /// The data-dependent initialization: `forward(batch)` has zero mean and unit variance
    /// per feature (a flow in the sampling direction, e.g. variational inference).
    public init(standardizingForwardOf batch: Tensor) {
        let (mean, std) = ActNorm.moments(batch)
        let logScale = -log(std)
        self.init(shift: -(mean * exp(logScale)), logScale: logScale)
    }

    /// `inverse(batch)` has zero mean and unit variance per feature (a flow fitted to data
    /// through its inverse: density estimation).
    public init(standardizingInverseOf batch: Tensor) {
        let (mean, std) = ActNorm.moments(batch)
        self.init(shift: mean, logScale: log(std))
    }

    static func moments(_ batch: Tensor) -> (mean: Tensor, std: Tensor) {
        let rows = batch.reshaped(to: [-1, batch.shape.last ?? 1])
        precondition(rows.shape[0] > 1, "ActNorm: the initializing batch needs at least two rows")
        let mean = rows.mean(alongAxes: [0])
        // A constant feature gets scale 1e-6 rather than a division by zero.
        let std = sqrt(square(rows - mean).mean(alongAxes: [0])).map { Swift.max($0, 1e-6) }
        return (mean, std)
    }

    public var eventRank: Int { 1 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { x * exp(logScale) + shift }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { (y - shift) * exp(-logScale) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor {
        expand(logScale.sum(), to: withoutDerivative(at: Array(x.shape.dropLast())))
    }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -forwardLogDetJacobian(y) }
}
