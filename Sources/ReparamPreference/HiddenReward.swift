import ReparamRandom

/// The ground truth the preference labels come from, hidden from every method:
/// r*(y) = Σ_t s(y_t) + b·[y contains the bigram (u, w)], with token scores s ~ N(0, 0.5²) and
/// the bigram drawn from a fixed key.
public struct HiddenReward: Sendable, Codable, Equatable {
    public var tokenScores: [Double]
    public var bigram: [Int]
    public var bonus: Double

    public init(space: SequenceSpace, key: RandomKey, bonus: Double = 1.5) {
        let keys = key.split(2)
        tokenScores = [0] + keys[0].normal([space.contentTokens]).scalars.map { 0.5 * Double($0) }
        var generator = keys[1].makeGenerator()
        bigram = [
            Int.random(in: 1...space.contentTokens, using: &generator),
            Int.random(in: 1...space.contentTokens, using: &generator),
        ]
        self.bonus = bonus
    }

    public func callAsFunction(_ y: [Int]) -> Double {
        let scores = y.reduce(0) { $0 + tokenScores[$1] }
        let hasBigram = zip(y, y.dropFirst()).contains { $0 == bigram[0] && $1 == bigram[1] }
        return scores + (hasBigram ? bonus : 0)
    }
}
