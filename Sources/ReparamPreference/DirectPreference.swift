import ReparamNN
import ReparamTensor
import _Differentiation

/// The two losses that learn from preference pairs directly, without a reward model or sampling.
/// With h = log π(y_w)/π_ref(y_w) − log π(y_l)/π_ref(y_l):
/// DPO (Rafailov et al. 2023) minimizes −log σ(β·h); IPO (Azar et al. 2023) minimizes (h − 1/(2β))².
public enum DirectPreferenceLoss: String, Sendable, Codable {
    case dpo, ipo
}

/// Chosen and rejected sequences of a minibatch in one batch (chosen rows first), and the
/// reference's log-ratio log π_ref(y_w) − log π_ref(y_l) per pair.
public struct PairBatch {
    public let sequences: SequenceBatch
    public let referenceMargin: Tensor

    public init(_ pairs: [PreferencePair], reference: SequencePolicy) {
        let margins = Self.referenceMargins(pairs, reference: reference)
        self.init(pairs, space: reference.space, referenceMargin: Tensor(margins))
    }

    /// With the reference's margins computed beforehand (`referenceMargins`), in the pairs' order.
    public init(_ pairs: [PreferencePair], space: SequenceSpace, referenceMargin: Tensor) {
        sequences = SequenceBatch(pairs.map(\.chosen) + pairs.map(\.rejected), space: space)
        self.referenceMargin = referenceMargin
    }

    /// log π_ref(y_w) − log π_ref(y_l) per pair: fixed during training, so computed once for all
    /// pairs (in chunks) rather than again for every minibatch.
    public static func referenceMargins(_ pairs: [PreferencePair], reference: SequencePolicy) -> [Float] {
        stride(from: 0, to: pairs.count, by: 4096).flatMap { start -> [Float] in
            let chunk = Array(pairs[start..<min(start + 4096, pairs.count)])
            let batch = SequenceBatch(chunk.map(\.chosen) + chunk.map(\.rejected), space: reference.space)
            let logp = reference.logProbabilities(batch).scalars
            return (0..<chunk.count).map { logp[$0] - logp[chunk.count + $0] }
        }
    }
}

/// The mean DPO or IPO loss of a minibatch of pairs.
@differentiable(reverse,wrt: policy)
public func directPreferenceLoss(
    _ policy: SequencePolicy, _ batch: PairBatch, beta: Float, loss: DirectPreferenceLoss
) -> Tensor {
    let logp = policy.logProbabilities(batch.sequences)
    let n = withoutDerivative(at: batch.referenceMargin.shape[0])
    let h = logp.slice(axis: 0, 0..<n) - logp.slice(axis: 0, n..<(2 * n)) - batch.referenceMargin
    switch loss {
    case .dpo:
        return softplus(-beta * h).mean()
    case .ipo:
        let gap = h - 1 / (2 * beta)
        return (gap * gap).mean()
    }
}
