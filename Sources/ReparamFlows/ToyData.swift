import Foundation
import ReparamRandom
import ReparamTensor

/// The 2-D sample sets of the flow literature (as in FFJORD's toy data), drawn from a key.
public enum ToyData: String, CaseIterable, Codable, Sendable {
    case twoMoons = "two-moons"
    case eightGaussians = "eight-gaussians"
    case checkerboard
    case rings
    case pinwheel
    case swissRoll = "swiss-roll"

    /// n points [n, 2].
    public func sample(_ n: Int, key: RandomKey) -> Tensor {
        let k = key.split(4)
        let u = k[0].uniform([n]).scalars
        let v = k[1].uniform([n]).scalars
        let noise = k[2].normal([n, 2]).scalars
        let bits = k[3].uniform([n]).scalars
        var points = [Float](repeating: 0, count: 2 * n)
        func set(_ i: Int, _ x: Float, _ y: Float) {
            points[2 * i] = x
            points[2 * i + 1] = y
        }
        switch self {
        case .twoMoons:
            // Half circles of radius 1, the second shifted by (1, −½) and flipped; noise 0.1;
            // then ×2 and shifted by (−1, −0.2) (FFJORD's scaling of scikit-learn's moons).
            for i in 0..<n {
                let angle = Float.pi * u[i]
                let (x, y): (Float, Float) =
                    bits[i] < 0.5 ? (cos(angle), sin(angle)) : (1 - cos(angle), 0.5 - sin(angle))
                set(i, 2 * (x + 0.1 * noise[2 * i]) - 1, 2 * (y + 0.1 * noise[2 * i + 1]) - 0.2)
            }
        case .eightGaussians:
            // Centres at radius 4 every 45°, σ = 0.5, all divided by 1.414.
            for i in 0..<n {
                let angle = Float(Int(bits[i] * 8) % 8) * Float.pi / 4
                set(i, (4 * cos(angle) + 0.5 * noise[2 * i]) / 1.414, (4 * sin(angle) + 0.5 * noise[2 * i + 1]) / 1.414)
            }
        case .checkerboard:
            // x₁ ~ U(−2, 2); x₂ in the unit cells above or below that alternate with ⌊x₁⌋; ×2.
            for i in 0..<n {
                let x1 = 4 * u[i] - 2
                let x2 = v[i] - (bits[i] < 0.5 ? 0 : 2) + Float(((Int(floor(x1)) % 2) + 2) % 2)
                set(i, 2 * x1, 2 * x2)
            }
        case .rings:
            // Four concentric circles of radii 3, 2.25, 1.5, 0.75, noise 0.08.
            for i in 0..<n {
                let radius = 3 * Float(4 - Int(bits[i] * 4) % 4) / 4
                let angle = 2 * Float.pi * u[i]
                set(i, radius * cos(angle) + 0.08 * noise[2 * i], radius * sin(angle) + 0.08 * noise[2 * i + 1])
            }
        case .pinwheel:
            // Five arms: radial N(1, 0.3²), tangential N(0, 0.1²), rotated by the arm's angle plus
            // 0.25·exp(radial); ×2.
            for i in 0..<n {
                let arm = Int(bits[i] * 5) % 5
                let radial = 1 + 0.3 * noise[2 * i]
                let tangential = 0.1 * noise[2 * i + 1]
                let angle = 2 * Float.pi * Float(arm) / 5 + 0.25 * exp(radial)
                let (c, s) = (cos(angle), sin(angle))
                set(i, 2 * (radial * c - tangential * s), 2 * (radial * s + tangential * c))
            }
        case .swissRoll:
            // t = 1.5π(1 + 2u): (t cos t, t sin t) with N(0, 1) noise, ÷5.
            for i in 0..<n {
                let t = 1.5 * Float.pi * (1 + 2 * u[i])
                set(i, (t * cos(t) + noise[2 * i]) / 5, (t * sin(t) + noise[2 * i + 1]) / 5)
            }
        }
        return Tensor(shape: [n, 2], scalars: points)
    }
}
