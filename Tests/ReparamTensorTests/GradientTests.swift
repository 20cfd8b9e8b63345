import Foundation
import ReparamTensor
import Testing
import _Differentiation

@Suite struct ArithmeticGradientTests {
    @Test(arguments: [([3, 4], [4]), ([3, 1], [1, 4]), ([], [2, 3]), ([2, 3, 5], [3, 1]), ([7], [7]), ([1], [])])
    func broadcastingBinaryOps(shapes: ([Int], [Int])) {
        var v = TestValues(state: 1)
        let a = v.tensor(shapes.0), b = v.tensor(shapes.1), positive = v.tensor(shapes.1, 0.5, 2)
        expectGradient2("+", at: a, b) { $0 + $1 }
        expectGradient2("-", at: a, b) { $0 - $1 }
        expectGradient2("*", at: a, b) { $0 * $1 }
        expectGradient2("/", at: a, positive) { $0 / $1 }
        expectGradient2("- (swapped)", at: b, a) { $0 - $1 }
        expectGradient2("/ (swapped)", at: positive, a.map { $0 + 3 }) { $0 / $1 }
    }

    @Test func scalarFormsAndNegation() {
        var v = TestValues(state: 2)
        let x = v.tensor([2, 3], 0.5, 2)
        expectGradient("x + 2", at: x) { $0 + 2 }
        expectGradient("2 + x", at: x) { 2 + $0 }
        expectGradient("x - 2", at: x) { $0 - 2 }
        expectGradient("2 - x", at: x) { 2 - $0 }
        expectGradient("3x", at: x) { 3 * $0 }
        expectGradient("x·3", at: x) { $0 * 3 }
        expectGradient("x/4", at: x) { $0 / 4 }
        expectGradient("2/x", at: x) { 2 / $0 }
        expectGradient("-x", at: x) { -$0 }
        // The gradient also reaches a Float scalar operand.
        let s: Float = 1.5
        let (gx, gs) = gradient(at: x, s) { x, s in (x * s + s).sumToFloat() }
        #expect(Swift.abs(gs - (x.scalars.reduce(0, +) + Float(x.count))) < 1e-5 * gs)
        #expect(gx.scalars.allSatisfy { $0 == 1.5 })
    }

    @Test func shapelessZeroIsTheIdentity() {
        let x = Tensor([1, 2, 3])
        #expect(x + .zero == x && Tensor.zero + x == x && x - .zero == x && Tensor.zero - x == -x)
        var y = x
        y.move(by: .zero)
        #expect(y == x)
        #expect(Tensor.zero.expanded(to: [2]) == Tensor([0, 0]))
    }
}

@Suite struct MatmulGradientTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func bothOperands(transposes: (Bool, Bool)) {
        var v = TestValues(state: 3)
        let (m, k, n) = (5, 7, 3)
        let a = v.tensor(transposes.0 ? [k, m] : [m, k]), b = v.tensor(transposes.1 ? [n, k] : [k, n])
        expectGradient2("matmul", at: a, b) { matmul($0, $1, transposeA: transposes.0, transposeB: transposes.1) }
        // One-operand configurations: the other operand is data.
        expectGradient("matmul wrt a", at: a) { matmul($0, b, transposeA: transposes.0, transposeB: transposes.1) }
        expectGradient("matmul wrt b", at: b) { matmul(a, $0, transposeA: transposes.0, transposeB: transposes.1) }
    }

    @Test func valuesMatchDefinition() {
        let a = Tensor(rows: [[1, 2, 3], [4, 5, 6]]), b = Tensor(rows: [[1, 0], [0, 1], [1, 1]])
        #expect(matmul(a, b) == Tensor(rows: [[4, 5], [10, 11]]))
        #expect(matmul(a, a, transposeB: true) == Tensor(rows: [[14, 32], [32, 77]]))
        #expect(matmul(a, a, transposeA: true).shape == [3, 3])
    }
}

@Suite struct UnaryGradientTests {
    @Test(arguments: [[], [1], [3, 5], [2, 3, 4], [17]])
    func everyUnaryOp(shape: [Int]) {
        var v = TestValues(state: UInt64(shape.reduce(1, *)))
        let x = v.tensor(shape, -2, 2)
        let positive = v.tensor(shape, 0.5, 3)
        // Keep away from the kinks of relu/abs/clamp, where differences straddle two slopes.
        let awayFromZero = x.map { $0 < 0 ? $0 - 0.1 : $0 + 0.1 }
        expectGradient("exp", at: x) { exp($0) }
        expectGradient("log", at: positive) { log($0) }
        expectGradient("log1p", at: positive.map { $0 - 0.4 }) { log1p($0) }
        expectGradient("expm1", at: x) { expm1($0) }
        expectGradient("tanh", at: x) { tanh($0) }
        expectGradient("sigmoid", at: x) { sigmoid($0) }
        expectGradient("softplus", at: x) { softplus($0) }
        expectGradient("logSigmoid", at: x) { logSigmoid($0) }
        expectGradient("relu", at: awayFromZero) { relu($0) }
        expectGradient("square", at: x) { square($0) }
        expectGradient("sqrt", at: positive) { sqrt($0) }
        expectGradient("abs", at: awayFromZero) { abs($0) }
        expectGradient("pow(x, 2.5)", at: positive) { pow($0, 2.5) }
        expectGradient("clamp", at: awayFromZero) { clamp($0, min: -0.05, max: 1.5) }
        expectGradient("lgamma", at: positive) { lgamma($0) }
        expectGradient("digamma", at: positive.map { $0 + 0.5 }) { digamma($0) }
    }

    @Test func tensorPower() {
        var v = TestValues(state: 5)
        expectGradient2("pow(x, y)", at: v.tensor([3, 4], 0.5, 2), v.tensor([4], -1.5, 1.5)) { pow($0, $1) }
    }
}

@Suite struct ReductionGradientTests {
    @Test(arguments: [[Int](), [0], [1], [-1], [0, 2]])
    func reductionsOverAxes(axes: [Int]) {
        var v = TestValues(state: 6)
        let x = v.tensor([3, 4, 5])
        for keep in [false, true] {
            expectGradient("sum \(axes) keep \(keep)", at: x) { $0.sum(alongAxes: axes, keepDims: keep) }
            expectGradient("mean \(axes) keep \(keep)", at: x) { $0.mean(alongAxes: axes, keepDims: keep) }
            expectGradient("max \(axes) keep \(keep)", at: x) { $0.max(alongAxes: axes, keepDims: keep) }
            expectGradient("logSumExp \(axes) keep \(keep)", at: x) { $0.logSumExp(alongAxes: axes, keepDims: keep) }
        }
    }

    @Test(arguments: [0, 1, -1])
    func softmaxFamily(axis: Int) {
        var v = TestValues(state: 7)
        let x = v.tensor([4, 6], -3, 3)
        expectGradient("softmax", at: x) { softmax($0, axis: axis) }
        expectGradient("logSoftmax", at: x) { logSoftmax($0, axis: axis) }
    }

    @Test func stableForExtremeLogits() {
        let x = Tensor(rows: [[1000, 0, -1000], [-5e4, -5e4, -5e4]])
        let lse = x.logSumExp(alongAxes: [1])
        #expect(lse.scalars[0] == 1000)
        #expect(Swift.abs(lse.scalars[1] - (-5e4 + Float(Foundation.log(3.0)))) < 1e-2)
        let p = softmax(x)
        #expect(p.scalars.allSatisfy { $0.isFinite } && Swift.abs(p.sum().item - 2) < 1e-6)
        #expect(logSoftmax(x).scalars.allSatisfy { $0.isFinite })
    }

    @Test func maxSharesGradientAcrossTies() {
        let g = gradient(at: Tensor([1, 3, 3, 2])) { $0.max().item }
        #expect(g == Tensor([0, 0.5, 0.5, 0]))
    }
}

@Suite struct ShapeGradientTests {
    @Test func reshapeTransposeSliceConcat() {
        var v = TestValues(state: 8)
        let x = v.tensor([2, 3, 4])
        expectGradient("reshape", at: x) { $0.reshaped(to: [6, -1]) }
        expectGradient("transpose last two", at: x) { $0.transposed() }
        expectGradient("transpose [2,0,1]", at: x) { $0.transposed([2, 0, 1]) }
        expectGradient("slice axis 1", at: x) { $0.slice(axis: 1, 1..<3) }
        expectGradient("slice axis -1", at: x) { $0.slice(axis: -1, 0..<1) }
        let y = v.tensor([2, 5, 4])
        expectGradient2("concat axis 1", at: x, y) { concat([$0, $1], axis: 1) }
        expectGradient2("concat self", at: x, x) { a, b in concat([a, b, a], axis: 0) }
    }

    @Test func shapeOpValues() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.transposed() == Tensor(rows: [[1, 4], [2, 5], [3, 6]]))
        #expect(x.reshaped(to: [-1]).shape == [6])
        #expect(x.slice(axis: 1, 1..<3) == Tensor(rows: [[2, 3], [5, 6]]))
        #expect(concat([x, x], axis: 1) == Tensor(rows: [[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]))
        let t = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init)).transposed([2, 0, 1])
        #expect(t.shape == [4, 2, 3] && t.scalars[1] == 4 && t.scalars[6] == 1)
    }

    @Test func gatherRowsOneHotSelect() {
        var v = TestValues(state: 9)
        let x = v.tensor([4, 5])
        expectGradient("gather", at: x) { $0.gather(lastAxisIndices: [0, 4, 2, 2]) }
        expectGradient("rows (repeated)", at: x) { $0.rows([3, 1, 3]) }
        let condition = Tensor(shape: [4, 5], scalars: (0..<20).map { Float($0 % 3 == 0 ? 1 : 0) })
        expectGradient2("select", at: x, v.tensor([4, 5])) { select(condition, $0, $1) }
        #expect(Tensor.oneHot([2, 0], depth: 3) == Tensor(rows: [[0, 0, 1], [1, 0, 0]]))
        #expect(x.gather(lastAxisIndices: [1, 1, 1, 1]).shape == [4])
        // The branch not taken does not leak infinities into the gradient.
        let g = gradient(at: Tensor([1, 2])) { a in select(Tensor([1, 0]), a, log(a - 1.5)).sumToFloat() }
        #expect(g.scalars.allSatisfy { $0.isFinite })
    }
}

@Suite struct LossGradientTests {
    @Test func itemAndSumBridges() {
        var v = TestValues(state: 10)
        let x = v.tensor([3, 3])
        let g = gradient(at: x) { ($0 * $0).sum().item }
        #expect(GradientCheck.maxRelativeError(g, 2 * x) < 1e-6)
        let h = gradient(at: x) { ($0 * $0).sumToFloat() }
        #expect(GradientCheck.maxRelativeError(h, 2 * x) < 1e-6)
    }

    @Test func bernoulliNLLGradientAndValue() {
        var v = TestValues(state: 11)
        let logits = v.tensor([6, 7], -4, 4), targets = v.tensor([6, 7], 0, 1)
        let analytic = gradient(at: logits) { bernoulliLogitsNLL(logits: $0, targets: targets) * 0.5 }
        let numeric = GradientCheck.numericalGradient(
            of: { bernoulliLogitsNLL(logits: $0, targets: targets) * 0.5 }, at: logits)
        #expect(GradientCheck.maxRelativeError(analytic, numeric) <= gradientTolerance)
        let reference = (softplus(logits) - targets * logits).sumToFloat()
        #expect(Swift.abs(bernoulliLogitsNLL(logits: logits, targets: targets) - reference) < 1e-4)
    }

    /// The per-row form: each row's sum, and the gradient under row weights, against the
    /// elementwise formula and central differences.
    @Test func bernoulliNLLRowsGradientAndValue() {
        var v = TestValues(state: 12)
        let logits = v.tensor([5, 9], -4, 4), targets = v.tensor([5, 9], 0, 1), weights = Tensor([0.5, -1, 2, 0.25, 1])
        let f = { (l: Tensor) in (bernoulliLogitsNLLRows(logits: l, targets: targets) * weights).sumToFloat() }
        let analytic = gradient(at: logits) {
            (bernoulliLogitsNLLRows(logits: $0, targets: targets) * weights).sumToFloat()
        }
        let numeric = GradientCheck.numericalGradient(of: f, at: logits)
        #expect(GradientCheck.maxRelativeError(analytic, numeric) <= gradientTolerance)
        let reference = (softplus(logits) - targets * logits).sum(alongAxes: [1])
        let rows = bernoulliLogitsNLLRows(logits: logits, targets: targets)
        #expect(GradientCheck.maxRelativeError(rows, reference) < 1e-5)
    }

    /// K samples per image scored against the batch itself: targets with fewer rows repeat, and
    /// give the values and gradient of the materialized copy, bit for bit.
    @Test func bernoulliNLLRowsRepeatTargets() {
        var v = TestValues(state: 13)
        let logits = v.tensor([3 * 2, 600], -6, 6), targets = v.tensor([2, 600], 0, 1)
        let copied = targets.broadcasted(to: [3, 2, 600]).reshaped(to: [6, 600])
        #expect(
            bernoulliLogitsNLLRows(logits: logits, targets: targets)
                == bernoulliLogitsNLLRows(logits: logits, targets: copied))
        let weights = Tensor([0.5, -1, 2, 0.25, 1, 3])
        let repeated = gradient(at: logits) {
            (bernoulliLogitsNLLRows(logits: $0, targets: targets) * weights).sumToFloat()
        }
        let materialized = gradient(at: logits) {
            (bernoulliLogitsNLLRows(logits: $0, targets: copied) * weights).sumToFloat()
        }
        #expect(repeated == materialized)
    }
}
