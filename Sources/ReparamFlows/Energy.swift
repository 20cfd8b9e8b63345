import Foundation
import ReparamTensor
import _Differentiation

/// The four unnormalized 2-D densities p(z) ∝ exp(−U(z)) of Rezende & Mohamed 2015 (Table 1),
/// with w₁ = sin(2πz₁/4), w₂ = 3·exp(−½((z₁ − 1)/0.6)²), w₃ = 3·σ((z₁ − 1)/0.3):
///
///     U1 = ½((‖z‖ − 2)/0.4)² − log(e^{−½((z₁−2)/0.6)²} + e^{−½((z₁+2)/0.6)²})
///     U2 = ½((z₂ − w₁)/0.4)²
///     U3 = −log(e^{−½((z₂−w₁)/0.35)²} + e^{−½((z₂−w₁+w₂)/0.35)²})
///     U4 = −log(e^{−½((z₂−w₁)/0.4)²} + e^{−½((z₂−w₁+w₃)/0.35)²})
///
/// U2–U4 do not depend on z₁ far out and so are not normalizable on the plane; every target
/// here is restricted to the square [−4, 4]² (the paper's plots) by a wall
/// ½((|z_i| − 4)₊/0.05)² added to U, so log Z is finite and computed by quadrature.
public enum Energy: String, CaseIterable, Codable, Sendable {
    case u1, u2, u3, u4

    /// The box half-width and the wall's width.
    public static let box: Float = 4
    static let wall: Float = 0.05

    /// U(z) for rows z [n, 2] → [n], differentiable in z.
    @differentiable(reverse,wrt: z)
    public func callAsFunction(_ z: Tensor) -> Tensor {
        let z1 = z.slice(axis: 1, 0..<1)
        let z2 = z.slice(axis: 1, 1..<2)
        let w1 = sin(z1 * (2 * Float.pi / 4))
        let u: Tensor
        switch self {
        case .u1:
            let radius = sqrt(square(z1) + square(z2))
            u =
                0.5 * square((radius - 2) / 0.4)
                - logAddExp(-0.5 * square((z1 - 2) / 0.6), -0.5 * square((z1 + 2) / 0.6))
        case .u2:
            u = 0.5 * square((z2 - w1) / 0.4)
        case .u3:
            let w2 = 3 * exp(-0.5 * square((z1 - 1) / 0.6))
            u = -logAddExp(-0.5 * square((z2 - w1) / 0.35), -0.5 * square((z2 - w1 + w2) / 0.35))
        case .u4:
            let w3 = 3 * sigmoid((z1 - 1) / 0.3)
            u = -logAddExp(-0.5 * square((z2 - w1) / 0.4), -0.5 * square((z2 - w1 + w3) / 0.35))
        }
        let outside = relu(abs(z) - Energy.box) / Energy.wall
        return (u + 0.5 * square(outside).sum(alongAxes: [1], keepDims: true)).reshaped(to: [-1])
    }

    /// log Z = log ∫ exp(−U) by the midpoint rule on a `grid` × `grid` lattice over [−4.5, 4.5]²:
    /// where U does not fall off in z₁ (U2–U4) the wall's own slope holds 1.6% of the mass just
    /// outside the box, and beyond 4.5 it is below e⁻⁵⁰.
    public func logNormalizer(grid: Int = 1200) -> Double {
        let half = Double(Energy.box) + 0.5
        let h = 2 * half / Double(grid)
        let centres: [Float] = (0..<grid).map { Float(-half + h * (Double($0) + 0.5)) }
        var total = 0.0
        for z1 in centres {
            var scalars = [Float](repeating: z1, count: 2 * grid)
            for (j, z2) in centres.enumerated() { scalars[2 * j + 1] = z2 }
            total += self(Tensor(shape: [grid, 2], scalars: scalars)).scalars.reduce(0.0) {
                $0 + Foundation.exp(-Double($1))
            }
        }
        return Foundation.log(total * h * h)
    }
}

/// log(eᵃ + eᵇ) without overflow.
@differentiable(reverse)
func logAddExp(_ a: Tensor, _ b: Tensor) -> Tensor {
    concat([a, b], axis: 1).logSumExp(alongAxes: [1], keepDims: true)
}
