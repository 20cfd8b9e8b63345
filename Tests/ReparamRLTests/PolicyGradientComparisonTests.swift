import Foundation
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamRL

@Suite("Policy-gradient estimators")
struct PolicyGradientComparisonTests {
    let problem = PolicyGradientProblem(
        actor: SquashedGaussianActor(observationSize: 3, actionSize: 1, hidden: [6], key: RandomKey(seed: 41)),
        critic: TwinCritic(observationSize: 3, actionSize: 1, hidden: [8], key: RandomKey(seed: 42)),
        states: RandomKey(seed: 43).normal([16, 3]), baselineDraws: 32, key: RandomKey(seed: 44))

    @Test("One pathwise sample is the derivative of the batch-mean Q at its noise")
    func pathwiseSample() {
        let p = problem
        let key = RandomKey(seed: 45)
        let estimate = p.estimate(.pathwise, key: key)
        let epsilon = key.normal([16, 1])
        func objective(_ actor: SquashedGaussianActor) -> Float {
            let policy = actor.distribution(p.states)
            return p.critic.minimum(p.states, tanh(policy.loc + policy.scale * epsilon)).mean().item
        }
        // The mean head's bias is the second-to-last parameter block ([trunk…, mean.w, mean.b, logStd.w, logStd.b]).
        let offset = p.actor.parameterPaths.prefix { $0.name != "mean.bias" }
            .reduce(0) { $0 + p.actor[keyPath: $1.value].count }
        var plus = p.actor, minus = p.actor
        plus.mean.bias = plus.mean.bias + 1e-2
        minus.mean.bias = minus.mean.bias - 1e-2
        let numeric = (objective(plus) - objective(minus)) / 2e-2
        #expect(abs(numeric - estimate[offset]) < 1e-3 + 0.02 * abs(numeric))
    }

    /// All three are unbiased for the same gradient: their means agree coordinate by coordinate
    /// within five standard errors of the difference.
    @Test("Pathwise and score-function estimators agree in the mean")
    func unbiased() {
        let p = problem
        let pathwise = p.measure(.pathwise, samples: 400, key: RandomKey(seed: 46))
        for kind in [PolicyGradientEstimatorKind.scoreFunction, .scoreFunctionBaseline] {
            let other = p.measure(kind, samples: 4000, key: RandomKey(seed: 47))
            for j in pathwise.mean.indices {
                let se = (pathwise.variance[j] / 400 + other.variance[j] / 4000).squareRoot()
                #expect(abs(pathwise.mean[j] - other.mean[j]) <= 5 * se + 1e-9, "\(kind.rawValue) coordinate \(j)")
            }
            // The variance gap the lab reports: the baseline helps, the pathwise estimator is least noisy.
            #expect(other.totalVariance > pathwise.totalVariance)
        }
    }
}
