import ReparamDistributions
import ReparamEstimators
import ReparamRandom
import ReparamTensor
import Testing

@Suite("Estimator kinds")
struct EstimatorKindTests {
    static func settings() -> EstimatorSettings {
        var settings = EstimatorSettings(key: RandomKey(seed: 1))
        settings.temperature = .exponentialDecay(initial: 2, rate: 1e-2, floor: 0.5, every: 10)
        (settings.samples, settings.latentSize) = (3, 4)
        return settings
    }

    @Test(
        "each kind builds an estimator that reports that kind and the kind's capabilities",
        arguments: EstimatorKind.allCases)
    func capabilitiesAgree(kind: EstimatorKind) {
        let estimator = kind.make(Self.settings())
        #expect(estimator.kind == kind)
        #expect(estimator.isUnbiased == kind.isUnbiased)
        #expect(estimator.needsDifferentiableObjective == kind.needsDifferentiableObjective)
        #expect(estimator.estimatesImportanceWeightedBound == kind.estimatesImportanceWeightedBound)
        for latent in DiscreteLatent.allCases { #expect(estimator.supports(latent) == kind.supports(latent)) }
        #expect(estimator.name.hasPrefix(kind.rawValue))
        // Names and saved configurations use the raw value; it must round-trip.
        #expect(EstimatorKind(rawValue: kind.rawValue) == kind)
    }

    @Test("a kind that needs only hard samples runs on a black-box objective", arguments: EstimatorKind.allCases)
    func blackBox(kind: EstimatorKind) {
        guard !kind.needsDifferentiableObjective else { return }
        var estimator = kind.make(Self.settings())
        let latent: DiscreteLatent = kind.supports(.categorical) ? .categorical : .bernoulli
        let logits =
            latent == .bernoulli
            ? Tensor(shape: [2, 4], scalars: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8])
            : Tensor(shape: [2, 2, 2], scalars: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8])
        // A step function: no gradient anywhere, so only score-function estimators can use it.
        let objective = DiscreteObjective(blackBox: { b in
            b.reshaped(to: [b.shape[0], b.shape[1], 4]).sum(alongAxes: [-1]).map { $0 > 1 ? 1 : 0 }
        })
        let estimate = estimator.estimate(
            logits: logits, latent: latent, objective: objective, key: RandomKey(seed: 2), draws: 5)
        #expect(estimate.perDraw.shape == [5] + logits.shape)
        #expect(estimate.perDraw.scalars.allSatisfy { $0.isFinite })
    }

    @Test("relaxations and annealed straight-through follow their schedule; the others have no temperature")
    func temperatureFollowsSchedule() {
        let schedule = Self.settings().temperature
        for kind in EstimatorKind.allCases {
            var estimator = kind.make(Self.settings())
            for step in [0, 9, 10, 250, 10_000] {
                estimator.prepare(forStep: step)
                let settings = Dictionary(uniqueKeysWithValues: estimator.settings.map { ($0.name, $0.value) })
                if kind.annealsTemperature {
                    #expect(settings["τ"] == "\(schedule.temperature(atStep: step))", "\(kind) at step \(step)")
                } else {
                    #expect(settings["τ"] == nil, "\(kind) has a temperature")
                }
            }
        }
    }

    @Test("one display-name format: the kind, then its settings in parentheses")
    func displayNames() {
        #expect(RLOO(samples: 4).name == "rloo (k = 4)")
        #expect(GumbelSoftmax(temperature: 0.5).name == "gumbel-softmax (τ = 0.5)")
        #expect(GumbelSoftmax(temperature: 0.5, straightThrough: true).name == "st-gumbel (τ = 0.5)")
        #expect(StraightThrough().name == "straight-through")
        #expect(StraightThrough(temperature: 0.5).name == "annealed-st (τ = 0.5)")
        #expect(DisARM().name == "disarm")
        #expect(REINFORCE(baseline: .movingAverage(decay: 0.9)).name == "reinforce (baseline = moving-average(0.9))")
    }

    @Test("a configuration problem names the estimator and what it needs")
    func problems() {
        var settings = Self.settings()
        #expect(
            EstimatorKind.disarm.problems(latent: .categorical, settings: settings)
                == ["disarm needs Bernoulli latents (--latent bernoulli)"])
        settings.samples = 1
        #expect(
            EstimatorKind.rloo.problems(latent: .categorical, settings: settings)
                == ["--estimator rloo needs --k 2…1000 samples, got 1"])
        #expect(EstimatorKind.gumbelSoftmax.problems(latent: .categorical, settings: settings).isEmpty)
        #expect(EstimatorKind.supporting(.categorical) == EstimatorKind.allCases.filter { $0 != .arm && $0 != .disarm })
    }
}

@Suite("Choosing an estimator by measuring it")
struct EstimatorSelectionTests {
    static let logits = Tensor(shape: [2, 4], scalars: [-0.5, 0, 0.5, 1, 0.3, -0.2, 0.8, -1])
    static let a = Tensor([0.9, -0.4, 1.3, 0.2])

    /// Costs counted in evaluations of f, so the choice depends only on the keys, not on timing.
    static func select(_ objective: DiscreteObjective) -> EstimatorSelection {
        var settings = EstimatorSettings(key: RandomKey(seed: 4))
        settings.latentSize = 4
        return EstimatorSelection(
            logits: logits, latent: .bernoulli, objective: objective, settings: settings, draws: 400,
            cost: .evaluations, key: RandomKey(seed: 5))
    }

    @Test("a differentiable f linear in b: straight-through is exact there, and a gradient-based kind wins")
    func differentiableLinear() {
        let selection = Self.select(DiscreteObjective({ b in (b * Self.a).sum(alongAxes: [-1]) }))
        let chosen = selection.trials.first { $0.kind == selection.chosen }!
        #expect(selection.chosen.needsDifferentiableObjective, "\(selection.table)")
        // Straight-through's estimate is (∂μ/∂θ)ᵀa, the exact gradient, with no spread.
        let straight = selection.trials.first { $0.kind == .straightThrough }!
        #expect(straight.variance < 1e-12 && straight.biasSquared == 0)
        #expect(chosen.score <= straight.score)
        // Every Bernoulli kind but VIMCO was measured.
        #expect(Set(selection.trials.map(\.kind)) == Set(EstimatorKind.allCases.filter { $0 != .vimco }))
        #expect(selection.excluded.map(\.kind) == [.vimco])
    }

    @Test("a black-box f: only kinds that evaluate f at hard samples are measured, and one of them wins")
    func blackBox() {
        let selection = Self.select(
            DiscreteObjective(blackBox: { b in (b * Self.a).sum(alongAxes: [-1]).map { $0 > 1 ? 1 : 0 } }))
        #expect(!selection.chosen.needsDifferentiableObjective)
        #expect(selection.trials.allSatisfy { !$0.kind.needsDifferentiableObjective })
        #expect(selection.excluded.contains { $0.kind == .gumbelSoftmax && $0.reason.contains("black box") })
        // The winner has the lowest score, and unbiased kinds are never charged for bias.
        #expect(
            selection.trials.allSatisfy { $0.score >= selection.trials.first { $0.kind == selection.chosen }!.score })
        #expect(selection.trials.allSatisfy { $0.kind.isUnbiased ? $0.biasSquared == 0 : true })
    }

    @Test("a relaxation's bias is charged when it shows: a quadratic f far from linear")
    func relaxationBiasIsCharged() {
        // The REBAR toy: f(b) = Σ(b − 0.45)², where the lab measures Gumbel-softmax's relative bias near 0.8.
        let selection = Self.select(DiscreteObjective({ b in square(b - 0.45).sum(alongAxes: [-1]) }))
        let relaxed = selection.trials.first { $0.kind == .gumbelSoftmax }!
        #expect(relaxed.biasSquared > 0, "\(selection.table)")
        #expect(selection.chosen.isUnbiased, "\(selection.table)")
    }
}
