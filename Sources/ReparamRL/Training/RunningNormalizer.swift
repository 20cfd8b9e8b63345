import ReparamTensor

/// Running mean and variance of a stream of vectors, merged batch by batch (Chan et al.'s
/// parallel update), starting from mean 0, variance 1 and a count of 10⁻⁴ as
/// stable-baselines3's `RunningMeanStd` does.
public struct RunningMeanVariance: Codable, Sendable, Equatable {
    public var mean: [Double]
    public var variance: [Double]
    public var count: Double

    public init(size: Int) {
        (mean, variance, count) = ([Double](repeating: 0, count: size), [Double](repeating: 1, count: size), 1e-4)
    }

    /// Merges a batch of rows [B, size] (population variance within the batch).
    public mutating func update(_ rows: [Float], batch: Int) {
        let size = mean.count
        var batchMean = [Double](repeating: 0, count: size)
        var batchVariance = [Double](repeating: 0, count: size)
        for r in 0..<batch { for j in 0..<size { batchMean[j] += Double(rows[r * size + j]) } }
        for j in 0..<size { batchMean[j] /= Double(batch) }
        for r in 0..<batch {
            for j in 0..<size {
                let d = Double(rows[r * size + j]) - batchMean[j]
                batchVariance[j] += d * d
            }
        }
        let total = count + Double(batch)
        for j in 0..<size {
            let delta = batchMean[j] - mean[j]
            let m2 = variance[j] * count + batchVariance[j] + delta * delta * count * Double(batch) / total
            mean[j] += delta * Double(batch) / total
            variance[j] = m2 / total
        }
        count = total
    }
}

/// stable-baselines3's VecNormalize: observations standardized by their running statistics
/// and clipped to ±10; rewards divided by the running standard deviation of the discounted
/// return and clipped to ±10. Statistics move only during training; evaluation reads them.
public struct VectorNormalization: Codable, Sendable, Equatable {
    public var observations: RunningMeanVariance
    public var returns: RunningMeanVariance
    /// The discounted return so far of each copy's current episode.
    public var runningReturns: [Double]
    public let gamma: Double
    static let clip: Float = 10
    static let epsilon = 1e-8

    public init(observationSize: Int, copies: Int, gamma: Float) {
        observations = RunningMeanVariance(size: observationSize)
        returns = RunningMeanVariance(size: 1)
        runningReturns = [Double](repeating: 0, count: copies)
        self.gamma = Double(gamma)
    }

    /// Standardized, clipped observations [B, obs].
    public func normalize(_ raw: Tensor) -> Tensor {
        let size = observations.mean.count
        let scales = observations.variance.map { 1 / ($0 + Self.epsilon).squareRoot() }
        return Tensor(
            shape: raw.shape,
            scalars: raw.scalars.enumerated().map { index, x in
                let j = index % size
                return min(max(Float((Double(x) - observations.mean[j]) * scales[j]), -Self.clip), Self.clip)
            })
    }

    /// Folds the rewards of one step into the return statistics and returns them scaled;
    /// copies whose episode ended start a new discounted return.
    public mutating func normalizeRewards(_ rewards: [Float], done: [Bool]) -> [Float] {
        for i in rewards.indices { runningReturns[i] = runningReturns[i] * gamma + Double(rewards[i]) }
        returns.update(runningReturns.map { Float($0) }, batch: rewards.count)
        let scale = 1 / (returns.variance[0] + Self.epsilon).squareRoot()
        for i in rewards.indices where done[i] { runningReturns[i] = 0 }
        return rewards.map { min(max(Float(Double($0) * scale), -Self.clip), Self.clip) }
    }
}
