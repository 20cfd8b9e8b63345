import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// An autoregressive policy over a `SequenceSpace`: a recurrent network reads the previous token
/// (one-hot, with a start symbol) and its state, h_t = tanh(W[x_t; h_{t−1}] + b), and predicts
/// the next token, π(y_t | y_<t) = softmax(U h_t + c). A value head v(h_t) serves PPO.
public struct SequencePolicy: Differentiable {
    public var cell: Dense
    public var output: Dense
    public var valueHead: Dense
    @noDerivative public let space: SequenceSpace

    public init(space: SequenceSpace, hidden: Int = 64, key: RandomKey) {
        let keys = key.split(3)
        self.space = space
        cell = Dense(inputSize: space.vocabulary + 1 + hidden, outputSize: hidden, activation: .tanh, key: keys[0])
        output = Dense(inputSize: hidden, outputSize: space.vocabulary, key: keys[1])
        valueHead = Dense(inputSize: hidden, outputSize: 1, key: keys[2])
    }

    public var hidden: Int { cell.weight.shape[1] }

    /// One step: the next state from the previous token's one-hot [B, V+1] and the state [B, H].
    @differentiable(reverse,wrt: self)
    func step(_ input: Tensor, _ state: Tensor) -> Tensor { cell(concat([input, state], axis: 1)) }

    /// log π(y_t | y_<t) for every position of every sequence, [B, maxLength] (0 where a sequence
    /// has ended; the forced end after `maxLength` tokens has probability 1 and no entry).
    @differentiable(reverse,wrt: self)
    public func tokenLogProbabilities(_ batch: SequenceBatch) -> Tensor {
        var state = Tensor(repeating: 0, shape: [batch.size, withoutDerivative(at: self).hidden])
        var columns: [Tensor] = []
        for t in 0..<withoutDerivative(at: space.maxLength) {
            state = step(batch.inputs[t], state)
            let logp = logSoftmax(output(state)).gather(lastAxisIndices: batch.targets[t])
            columns.append((logp * batch.masks[t]).reshaped(to: [batch.size, 1]))
        }
        return concat(columns, axis: 1)
    }

    /// log π(y) per sequence, [B].
    @differentiable(reverse,wrt: self)
    public func logProbabilities(_ batch: SequenceBatch) -> Tensor {
        tokenLogProbabilities(batch).sum(alongAxes: [1])
    }

    /// Token log-probabilities and values v(h_t) before each token, [B, maxLength] each.
    @differentiable(reverse,wrt: self)
    public func tokenLogProbabilitiesAndValues(_ batch: SequenceBatch) -> TokenEvaluation {
        var state = Tensor(repeating: 0, shape: [batch.size, withoutDerivative(at: self).hidden])
        var logps: [Tensor] = [], values: [Tensor] = []
        for t in 0..<withoutDerivative(at: space.maxLength) {
            state = step(batch.inputs[t], state)
            let logp = logSoftmax(output(state)).gather(lastAxisIndices: batch.targets[t])
            logps.append((logp * batch.masks[t]).reshaped(to: [batch.size, 1]))
            values.append(valueHead(state) * batch.masks[t].reshaped(to: [batch.size, 1]))
        }
        return TokenEvaluation(logProbabilities: concat(logps, axis: 1), values: concat(values, axis: 1))
    }

    /// log π(y) of every sequence of the space, in `space.all` order, computed prefix by prefix
    /// (one recurrent step per prefix, in Double from the log-softmax on).
    public func exactLogProbabilities() -> [Double] {
        let v = space.vocabulary, k = space.contentTokens
        var out: [Double] = []
        out.reserveCapacity(space.count)
        // Layer of prefixes of one length: their states and log-probabilities so far.
        var states = Tensor(repeating: 0, shape: [1, hidden])
        var prefixLogp: [Double] = [0]
        var previous: [Int] = [v]  // the start symbol
        for length in 0...space.maxLength {
            if length == space.maxLength {
                out += prefixLogp  // the end is forced
                break
            }
            let n = prefixLogp.count
            var oneHot = [Float](repeating: 0, count: n * (v + 1))
            for (i, token) in previous.enumerated() { oneHot[i * (v + 1) + token] = 1 }
            states = step(Tensor(shape: [n, v + 1], scalars: oneHot), states)
            let logp = logSoftmax(output(states)).scalars
            out += (0..<n).map { prefixLogp[$0] + Double(logp[$0 * v + SequenceSpace.end]) }
            // Children in lexicographic order: prefix i's child with token j sits at i·k + j − 1.
            var nextLogp = [Double](repeating: 0, count: n * k), nextTokens = [Int](repeating: 0, count: n * k)
            var parents = [Int](repeating: 0, count: n * k)
            for i in 0..<n {
                for j in 1...k {
                    nextLogp[i * k + j - 1] = prefixLogp[i] + Double(logp[i * v + j])
                    (nextTokens[i * k + j - 1], parents[i * k + j - 1]) = (j, i)
                }
            }
            states = states.rows(parents)
            (prefixLogp, previous) = (nextLogp, nextTokens)
        }
        return out
    }

    /// `count` sequences drawn from the policy (Gumbel-max per token), with their log-probabilities.
    public func sample(_ count: Int, key: RandomKey) -> (sequences: [[Int]], logProbabilities: [Double]) {
        let v = space.vocabulary
        var sequences = [[Int]](repeating: [], count: count)
        var logps = [Double](repeating: 0, count: count)
        var running = [Bool](repeating: true, count: count)
        var state = Tensor(repeating: 0, shape: [count, hidden])
        var previous = [Int](repeating: v, count: count)
        for t in 0..<space.maxLength where running.contains(true) {
            var oneHot = [Float](repeating: 0, count: count * (v + 1))
            for (i, token) in previous.enumerated() { oneHot[i * (v + 1) + token] = 1 }
            state = step(Tensor(shape: [count, v + 1], scalars: oneHot), state)
            let logp = logSoftmax(output(state)).scalars
            let gumbel = key.fold(in: UInt64(t)).gumbel([count, v]).scalars
            for i in 0..<count where running[i] {
                let row = (0..<v).map { logp[i * v + $0] + gumbel[i * v + $0] }
                let token = row.indices.max { row[$0] < row[$1] }!
                logps[i] += Double(logp[i * v + token])
                if token == SequenceSpace.end { running[i] = false } else { sequences[i].append(token) }
                previous[i] = token
            }
        }
        return (sequences, logps)
    }
}

/// Token log-probabilities and the value head's estimates, [B, maxLength] each.
public struct TokenEvaluation: Differentiable {
    public var logProbabilities: Tensor
    public var values: Tensor

    @differentiable(reverse)
    public init(logProbabilities: Tensor, values: Tensor) {
        (self.logProbabilities, self.values) = (logProbabilities, values)
    }
}

extension SequencePolicy: ParameterListing {
    public var parameterPaths: [ParameterPath<SequencePolicy>] {
        typealias P = SequencePolicy
        return cell.parameterPaths.map { $0.nested(in: "cell", value: \P.cell, gradient: \P.TangentVector.cell) }
            + output.parameterPaths.map { $0.nested(in: "output", value: \P.output, gradient: \P.TangentVector.output) }
            + valueHead.parameterPaths.map {
                $0.nested(in: "value_head", value: \P.valueHead, gradient: \P.TangentVector.valueHead)
            }
    }
}

/// Sequences encoded for teacher forcing: per position t, the previous token's one-hot [B, V+1]
/// (the start symbol V at t = 0), the token to predict (the end token once a sequence is
/// complete), and a mask that is 1 up to and including each sequence's end token.
public struct SequenceBatch {
    public let size: Int
    public let inputs: [Tensor]
    public let targets: [[Int]]
    public let masks: [Tensor]

    public init(_ sequences: [[Int]], space: SequenceSpace) {
        let v = space.vocabulary, n = sequences.count
        size = n
        var inputs: [Tensor] = [], targets: [[Int]] = [], masks: [Tensor] = []
        for t in 0..<space.maxLength {
            var oneHot = [Float](repeating: 0, count: n * (v + 1))
            var target = [Int](repeating: SequenceSpace.end, count: n), mask = [Float](repeating: 0, count: n)
            for (i, s) in sequences.enumerated() {
                oneHot[i * (v + 1) + (t == 0 ? v : (t - 1 < s.count ? s[t - 1] : SequenceSpace.end))] = 1
                if t < s.count { target[i] = s[t] }
                mask[i] = t <= s.count ? 1 : 0
            }
            inputs.append(Tensor(shape: [n, v + 1], scalars: oneHot))
            targets.append(target)
            masks.append(Tensor(mask))
        }
        (self.inputs, self.targets, self.masks) = (inputs, targets, masks)
    }

    init(size: Int, inputs: [Tensor], targets: [[Int]], masks: [Tensor]) {
        (self.size, self.inputs, self.targets, self.masks) = (size, inputs, targets, masks)
    }
}
