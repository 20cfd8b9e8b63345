import ReparamTensor
import _Differentiation

/// The implicit reparameterization surrogate (Figurnov et al. 2018) for a 1-D draw z of q_θ:
///
///     z − (F_θ(z) − sg[F_θ(z)]) / sg[q_θ(z)]
///
/// whose value is z and whose gradient is dz/dθ = −(∂F_θ(z)/∂θ)/q_θ(z), the CDF level held fixed.
/// `cdfAtSample` must be F_θ evaluated at the (gradient-free) draw, differentiable in θ; `density`
/// is q_θ(z) (its gradient is ignored). Any sampler may produce z. Where the density is 0 or not
/// finite — a draw that rounded onto the edge of the support — z is returned with zero gradient.
@differentiable(reverse,wrt: cdfAtSample)
public func implicitlyReparameterized(_ sample: Tensor, cdfAtSample: Tensor, density: Tensor) -> Tensor {
    let safeDensity = withoutDerivative(at: density.map { $0 > 0 && $0.isFinite ? $0 : .infinity })
    return sample - (cdfAtSample - withoutDerivative(at: cdfAtSample)) / safeDensity
}
