import ReparamDistributions
import ReparamRandom
import ReparamTensor
import ReparamTestSupport
import Testing

/// Every family, through the one law checker (moments, support, normalization, pathwise gradient).
@Suite("Distribution laws")
struct DistributionLawTests {
    enum Family: String, CaseIterable, Sendable {
        case normal, laplace, logistic, cauchy, gumbel, exponential, halfNormal, halfCauchy, weibull, pareto
        case logNormal, tanhNormal, uniform, multivariateNormal, independent
        case gamma, chi2, inverseGamma, beta, studentT, vonMises, truncatedNormal, mixture, dirichlet
        case relaxedBernoulli, relaxedOneHotCategorical
        case bernoulli, categorical, oneHotCategorical, binomial, poisson, geometric
    }

    static func t(_ values: Float...) -> Tensor { Tensor(values) }

    static func options(
        _ range: ClosedRange<Double>? = nil, points: Int = 20_001,
        edit: (inout DistributionLawOptions) -> Void = { _ in }
    ) -> DistributionLawOptions {
        var options = DistributionLawOptions()
        (options.integrationRange, options.integrationPoints) = (range, points)
        edit(&options)
        return options
    }

    static func report(_ family: Family) -> DistributionLawReport {
        let movingSupport: (inout DistributionLawOptions) -> Void = {
            $0.gradientLawSkipped = "the support moves with a parameter"
        }
        switch family {
        case .normal: return checkDistributionLaws(Normal(loc: t(0.3), scale: t(1.5)), options(-15...15))
        case .laplace: return checkDistributionLaws(Laplace(loc: t(0.3), scale: t(1.2)), options(-30...30))
        case .logistic: return checkDistributionLaws(Logistic(loc: t(0.3), scale: t(0.8)), options(-30...30))
        case .cauchy:  // the tails beyond ±2000 hold 1.6e-4 of the mass
            return checkDistributionLaws(Cauchy(loc: t(0.3), scale: t(0.5)), options(-2000...2000, points: 2_000_001))
        case .gumbel: return checkDistributionLaws(Gumbel(loc: t(0.3), scale: t(0.9)), options(-10...40))
        case .exponential: return checkDistributionLaws(Exponential(rate: t(1.3)), options(0...40))
        case .halfNormal: return checkDistributionLaws(HalfNormal(scale: t(1.2)), options(0...15))
        case .halfCauchy:  // the tail beyond 2000 holds 2.2e-4
            return checkDistributionLaws(HalfCauchy(scale: t(0.7)), options(0...2000, points: 1_000_001))
        case .weibull: return checkDistributionLaws(Weibull(scale: t(1.1), concentration: t(1.7)), options(0...20))
        case .pareto:
            return checkDistributionLaws(
                Pareto(scale: t(1), alpha: t(5.5)), options(1...40, points: 200_001, edit: movingSupport))
        case .logNormal: return checkDistributionLaws(LogNormal(loc: t(0.1), scale: t(0.5)), options(0...60))
        case .tanhNormal: return checkDistributionLaws(TanhNormal(loc: t(0.2), scale: t(0.8)), options(-1...1))
        case .uniform:
            return checkDistributionLaws(Uniform(low: t(-0.5), high: t(2)), options(-0.5...2, edit: movingSupport))
        case .multivariateNormal:
            return checkDistributionLaws(
                MultivariateNormal(loc: t(0.2, -0.1), scaleTril: Tensor(shape: [2, 2], scalars: [1, 0, 0.3, 0.8])),
                options())
        case .independent:
            return checkDistributionLaws(Independent(Normal(loc: t(0.2, -1), scale: t(0.5, 2))), options())
        case .gamma: return checkDistributionLaws(Gamma(concentration: t(2.5), rate: t(1.5)), options(0...40))
        case .chi2: return checkDistributionLaws(Chi2(degreesOfFreedom: t(4.5)), options(0...80))
        case .inverseGamma:
            return checkDistributionLaws(InverseGamma(concentration: t(6), scale: t(2)), options(0...60))
        case .beta: return checkDistributionLaws(Beta(alpha: t(2.5), beta: t(3.5)), options(0...1))
        case .studentT:
            return checkDistributionLaws(
                StudentT(degreesOfFreedom: t(9), loc: t(0.2), scale: t(1.1)), options(-200...200, points: 200_001))
        case .vonMises:
            return checkDistributionLaws(
                VonMises(loc: t(0.3), concentration: t(2)),
                options(-Double.pi...Double.pi) { $0.circularMoments = true })
        case .truncatedNormal:
            return checkDistributionLaws(
                TruncatedNormal(loc: t(0.3), scale: t(1), low: t(-1), high: t(2)),
                options(-1...2, edit: movingSupport))
        case .mixture:
            let components = Normal(loc: t(-1, 1.5), scale: t(0.6, 1))
            return checkDistributionLaws(
                MixtureSameFamily(mixtureLogits: t(0.2, -0.3), components: components), options(-15...15))
        case .dirichlet: return checkDistributionLaws(Dirichlet(concentration: t(2, 3, 4)), options())
        case .relaxedBernoulli:
            // τ > 1 keeps the density bounded at 0 and 1, where the trapezoid rule needs it.
            return checkDistributionLaws(RelaxedBernoulli(temperature: 1.5, logits: t(0.3)), options(0...1))
        case .relaxedOneHotCategorical:
            return checkDistributionLaws(
                RelaxedOneHotCategorical(temperature: 0.7, logits: t(0.3, -0.2, 0.5)), options())
        case .bernoulli: return checkSamplingLaws(Bernoulli(logits: t(0.4)), options())
        case .categorical: return checkSamplingLaws(Categorical(logits: t(0.1, 0.5, -0.3)), options())
        case .oneHotCategorical: return checkSamplingLaws(OneHotCategorical(logits: t(0.1, 0.5, -0.3)), options())
        case .binomial: return checkSamplingLaws(Binomial(count: 7, logits: t(0.3)), options())
        case .poisson: return checkSamplingLaws(Poisson(rate: t(3.2)), options { $0.latticeRange = 0...80 })
        case .geometric: return checkSamplingLaws(Geometric(logits: t(0.6)), options { $0.latticeRange = 0...200 })
        }
    }

    @Test("every family passes the laws that apply to it", arguments: Family.allCases)
    func laws(family: Family) {
        let report = Self.report(family)
        #expect(!report.checked.isEmpty, "\(family): no law applied")
        #expect(report.failures.isEmpty, "\(family): \(report)")
    }
}
