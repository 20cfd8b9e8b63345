import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// A Bradley-Terry reward model r_φ(y): logistic regression on the sequence's token counts and
/// bigram indicators (a bag-of-n-grams scorer), fitted to the preference pairs by maximizing
/// log σ(r_φ(y_w) − r_φ(y_l)). The RL methods optimize it in place of the hidden r*. A linear
/// scorer extrapolates linearly to the sequences the policy moves towards; an MLP tried first was
/// over-optimized (the policy found sequences it over-scored, ending at KL 11 instead of 5).
public struct RewardModel: Differentiable {
    public var network: MLP
    @noDerivative public let space: SequenceSpace

    public init(space: SequenceSpace, key: RandomKey) {
        self.space = space
        network = MLP(sizes: [Self.featureCount(space), 1], hidden: .identity, output: .identity, key: key)
    }

    static func featureCount(_ space: SequenceSpace) -> Int { space.contentTokens * (space.contentTokens + 1) }

    /// Token counts, then bigram indicators, per sequence: [B, K + K²].
    public func features(_ sequences: [[Int]]) -> Tensor {
        let k = space.contentTokens, width = Self.featureCount(space)
        var out = [Float](repeating: 0, count: sequences.count * width)
        for (i, y) in sequences.enumerated() {
            for token in y { out[i * width + token - 1] += 1 }
            for (a, b) in zip(y, y.dropFirst()) { out[i * width + k + (a - 1) * k + (b - 1)] = 1 }
        }
        return Tensor(shape: [sequences.count, width], scalars: out)
    }

    /// r_φ for features [B, F]: [B].
    @differentiable(reverse,wrt: self)
    public func callAsFunction(_ features: Tensor) -> Tensor {
        network(features).reshaped(to: [withoutDerivative(at: features.shape[0])])
    }

    /// Fits the model to `pairs` with Adam (1e-2, minibatches of 64) for `steps` steps; returns the
    /// model and its pairwise accuracy on the pairs.
    public static func fit(space: SequenceSpace, pairs: [PreferencePair], steps: Int, key: RandomKey)
        -> (model: RewardModel, accuracy: Double)
    {
        var model = RewardModel(space: space, key: key)
        var adam = Adam(for: model, learningRate: 1e-2)
        var generator = key.fold(in: 1).makeGenerator()
        let chosen = model.features(pairs.map(\.chosen)), rejected = model.features(pairs.map(\.rejected))
        for step in 0..<steps {
            let indices = (0..<min(64, pairs.count)).map { _ in Int.random(in: 0..<pairs.count, using: &generator) }
            let (w, l) = (chosen.rows(indices), rejected.rows(indices))
            let g = _Differentiation.gradient(at: model) { m in softplus(m(l) - m(w)).mean().item }
            try? adam.update(&model, along: g, step: step)
        }
        let margin = zip(model(chosen).scalars, model(rejected).scalars).filter { $0 > $1 }.count
        return (model, Double(margin) / Double(max(1, pairs.count)))
    }
}

extension RewardModel: ParameterListing {
    public var parameterPaths: [ParameterPath<RewardModel>] {
        network.parameterPaths.map {
            $0.nested(in: "network", value: \RewardModel.network, gradient: \RewardModel.TangentVector.network)
        }
    }
}
