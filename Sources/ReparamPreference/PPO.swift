import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Per-token rewards of RLHF's PPO: −β·(log π_old(y_t|·) − log π_ref(y_t|·)) at every generated
/// token, plus the reward model's score at the sequence's last token. Inputs and output [B, L],
/// zero where `mask` is.
public func klPenalizedTokenRewards(
    oldLogProbabilities: [Float], referenceLogProbabilities: [Float], mask: [Float], score: [Double], beta: Double,
    length: Int
) -> [Float] {
    var rewards = [Float](repeating: 0, count: mask.count)
    for i in 0..<score.count {
        var last = -1
        for t in 0..<length where mask[i * length + t] > 0 {
            let j = i * length + t
            rewards[j] = Float(-beta * Double(oldLogProbabilities[j] - referenceLogProbabilities[j]))
            last = j
        }
        if last >= 0 { rewards[last] += Float(score[i]) }
    }
    return rewards
}

/// GAE over each sequence's tokens with γ = 1 (the episode is the sequence; nothing follows its
/// last token): δ_t = r_t + V_{t+1} − V_t, Â_t = δ_t + λ·Â_{t+1}. Returns advantages and value
/// targets Â + V, [B, L], zero where `mask` is.
public func tokenAdvantages(rewards: [Float], values: [Float], mask: [Float], lambda: Float, length: Int)
    -> (advantages: [Float], returns: [Float])
{
    var advantages = [Float](repeating: 0, count: rewards.count)
    for i in 0..<(rewards.count / length) {
        var running: Float = 0, nextValue: Float = 0
        for t in stride(from: length - 1, through: 0, by: -1) where mask[i * length + t] > 0 {
            let j = i * length + t
            let delta = rewards[j] + nextValue - values[j]
            running = delta + lambda * running
            advantages[j] = running
            nextValue = values[j]
        }
    }
    let returns = zip(advantages, values).enumerated().map { mask[$0.offset] > 0 ? $0.element.0 + $0.element.1 : 0 }
    return (advantages, returns)
}

/// The clipped per-token surrogate and the value head's regression, averaged over tokens.
@differentiable(reverse,wrt: policy)
func ppoTokenLoss(
    _ policy: SequencePolicy, _ batch: SequenceBatch, oldLogProbabilities: Tensor, advantages: Tensor, returns: Tensor,
    mask: Tensor, clip: Float, valueCoefficient: Float
) -> Tensor {
    let evaluation = policy.tokenLogProbabilitiesAndValues(batch)
    let ratio = exp(evaluation.logProbabilities - oldLogProbabilities)
    let unclipped = ratio * advantages, clipped = clamp(ratio, min: 1 - clip, max: 1 + clip) * advantages
    let surrogate = 0.5 * (unclipped + clipped - abs(unclipped - clipped))
    let tokens = mask.sum()
    let error = (evaluation.values - returns) * mask
    return -(surrogate * mask).sum() / tokens + valueCoefficient * (error * error).sum() / tokens
}

/// One PPO iteration on a batch of samples: rewards and advantages from the old policy, then
/// epochs of minibatch steps.
func ppoStep(
    _ policy: inout SequencePolicy, _ adam: inout Adam<SequencePolicy>, batch: SequenceBatch, score: [Double],
    problem: PreferenceProblem, configuration c: PreferenceConfiguration, step: Int,
    generator: inout PhiloxGenerator
) throws {
    let length = problem.space.maxLength, n = batch.size
    let old = policy.tokenLogProbabilitiesAndValues(batch)
    let reference = problem.reference.tokenLogProbabilities(batch)
    let mask = (0..<n).flatMap { i in (0..<length).map { t in batch.masks[t].scalars[i] } }
    let rewards = klPenalizedTokenRewards(
        oldLogProbabilities: old.logProbabilities.scalars, referenceLogProbabilities: reference.scalars, mask: mask,
        score: score, beta: c.beta, length: length)
    var (advantages, returns) = tokenAdvantages(
        rewards: rewards, values: old.values.scalars, mask: mask, lambda: c.gaeLambda, length: length)
    // Standardize the advantages over the batch's tokens.
    let count = mask.reduce(0, +)
    let mean = zip(advantages, mask).reduce(0) { $0 + $1.0 * $1.1 } / count
    let variance = zip(advantages, mask).reduce(0) { $0 + ($1.0 - mean) * ($1.0 - mean) * $1.1 } / count
    advantages = zip(advantages, mask).map { $1 > 0 ? ($0 - mean) / (variance.squareRoot() + 1e-8) : 0 }
    let size = n / c.ppoMinibatches
    let (oldAll, advantagesAll, returnsAll, maskAll) = (
        old.logProbabilities, Tensor(shape: [n, length], scalars: advantages),
        Tensor(shape: [n, length], scalars: returns), Tensor(shape: [n, length], scalars: mask)
    )
    var rows = Array(0..<n)
    for epoch in 0..<c.ppoEpochs {
        rows.shuffle(using: &generator)
        for m in 0..<c.ppoMinibatches {
            let selected = Array(rows[(m * size)..<((m + 1) * size)])
            let minibatch = batch.rows(selected)
            let (oldLogp, a, r, mk) = (
                oldAll.rows(selected), advantagesAll.rows(selected), returnsAll.rows(selected), maskAll.rows(selected)
            )
            let g = gradient(at: policy) { p in
                ppoTokenLoss(
                    p, minibatch, oldLogProbabilities: oldLogp, advantages: a, returns: r, mask: mk,
                    clip: c.ppoClip, valueCoefficient: c.valueCoefficient
                ).item
            }
            try adam.update(&policy, along: g, step: (step * c.ppoEpochs + epoch) * c.ppoMinibatches + m)
        }
    }
}

extension SequenceBatch {
    /// The rows at `indices`, as a batch of their own.
    func rows(_ indices: [Int]) -> SequenceBatch {
        SequenceBatch(
            size: indices.count, inputs: inputs.map { $0.rows(indices) },
            targets: targets.map { row in indices.map { row[$0] } }, masks: masks.map { $0.rows(indices) })
    }
}
