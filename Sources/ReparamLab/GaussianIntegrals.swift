import Foundation

/// Exact expectations E[w(z)·P(ε)] for ε ~ N(0, 1), z = μ + σε, a polynomial P in ε
/// (coefficients, lowest degree first) and the weights the lab's test functions need.
struct GaussianIntegrals {
    let mu: Double
    let sigma: Double

    /// z as a polynomial in ε.
    var z: [Double] { [mu, sigma] }

    /// E[P(ε)] with E[ε^j] = (j − 1)!! for even j, 0 for odd j.
    func expectation(_ p: [Double]) -> Double {
        rawMoments(mean: 0, variance: 1, upTo: p.count - 1).enumerated().reduce(0) { $0 + p[$1.offset] * $1.element }
    }

    /// E[exp(−a z²)·P(ε)]. The weight times the N(0,1) density is c·N(ε; m, v) with
    /// P = 1 + 2aσ², m = −2aμσ/P, v = 1/P, c = P^(−½)·exp(−aμ²/P).
    func gaussianWeighted(a: Double, _ p: [Double]) -> Double {
        let precision = 1 + 2 * a * sigma * sigma
        let moments = rawMoments(mean: -2 * a * mu * sigma / precision, variance: 1 / precision, upTo: p.count - 1)
        let scale = exp(-a * mu * mu / precision) / precision.squareRoot()
        return scale * zip(p, moments).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// E[cos(t z)·P(ε)] and E[sin(t z)·P(ε)], from E[e^{τε} ε^j] = e^{τ²/2}·E[(ε + τ)^j] at τ = itσ.
    func oscillatory(t: Double, _ p: [Double]) -> (cos: Double, sin: Double) {
        let tau = t * sigma
        let moments = rawMoments(mean: 0, variance: 1, upTo: p.count - 1)
        var (re, im) = (0.0, 0.0)
        for (j, coefficient) in p.enumerated() where coefficient != 0 {
            // Σ_m C(j, m)·(iτ)^(j−m)·E[ε^m]
            for m in 0...j {
                let power = j - m
                let magnitude = coefficient * binomial(j, m) * pow(tau, Double(power)) * moments[m]
                switch power % 4 {
                case 0: re += magnitude
                case 1: im += magnitude
                case 2: re -= magnitude
                default: im -= magnitude
                }
            }
        }
        let damping = exp(-tau * tau / 2)
        (re, im) = (re * damping, im * damping)
        // e^{itμ}·(re + i·im)
        let (c, s) = (cos(t * mu), sin(t * mu))
        return (c * re - s * im, s * re + c * im)
    }
}

/// E[X^j] for X ~ N(mean, variance), j = 0…n: M_j = mean·M_{j−1} + (j − 1)·variance·M_{j−2}.
func rawMoments(mean: Double, variance: Double, upTo n: Int) -> [Double] {
    var m = [1.0, mean]
    while m.count <= n { m.append(mean * m[m.count - 1] + Double(m.count - 1) * variance * m[m.count - 2]) }
    return Array(m.prefix(n + 1))
}

func binomial(_ n: Int, _ k: Int) -> Double {
    (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
}

/// Polynomial product (coefficients lowest degree first).
func * (a: [Double], b: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: a.count + b.count - 1)
    for (i, x) in a.enumerated() { for (j, y) in b.enumerated() { out[i + j] += x * y } }
    return out
}
