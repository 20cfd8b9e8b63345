import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@Suite struct LayerTests {
    @Test(arguments: Activation.allCases)
    func denseGradientsMatchFiniteDifferences(activation: Activation) {
        let key = RandomKey(seed: 3)
        let layer = Dense(inputSize: 5, outputSize: 4, activation: activation, key: key)
        let x = key.fold(in: 1).normal([3, 5])
        let weights = key.fold(in: 2).uniform([3, 4], low: 0.5, high: 1.5)
        func loss(_ l: Dense, _ x: Tensor) -> Float { (l(x) * weights).sumToFloat() }
        let (gl, gx) = gradient(at: layer, x) { l, x in (l(x) * weights).sumToFloat() }
        let nw = GradientCheck.numericalGradient(
            of: { w in loss(Dense(weight: w, bias: layer.bias, activation: activation), x) }, at: layer.weight)
        let nb = GradientCheck.numericalGradient(
            of: { b in loss(Dense(weight: layer.weight, bias: b, activation: activation), x) }, at: layer.bias)
        let nx = GradientCheck.numericalGradient(of: { loss(layer, $0) }, at: x)
        #expect(GradientCheck.maxRelativeError(gl.weight, nw) < 2e-3)
        #expect(GradientCheck.maxRelativeError(gl.bias, nb) < 2e-3)
        #expect(GradientCheck.maxRelativeError(gx, nx) < 2e-3)
        // The parameters-only configuration gives the same parameter gradient.
        let onlyParameters = gradient(at: layer) { l in (l(x) * weights).sumToFloat() }
        #expect(onlyParameters.weight == gl.weight && onlyParameters.bias == gl.bias)
    }

    @Test func denseMatchesItsDefinition() {
        let layer = Dense(weight: Tensor(rows: [[1, -1], [2, 0.5]]), bias: Tensor([0.5, -3]), activation: .relu)
        #expect(layer(Tensor(rows: [[1, 1], [-1, 2]])) == Tensor(rows: [[3.5, 0], [3.5, 0]]))
    }

    @Test func mlpGradientMatchesFiniteDifferences() {
        let key = RandomKey(seed: 4)
        let model = MLP(sizes: [6, 5, 3], hidden: .tanh, output: .sigmoid, key: key)
        let x = key.fold(in: 9).normal([4, 6])
        let g = gradient(at: model) { m in m(x).sumToFloat() }
        for (i, layer) in model.layers.enumerated() {
            let numeric = GradientCheck.numericalGradient(
                of: { w in
                    var changed = model
                    changed.layers[i].weight = w
                    return changed(x).sumToFloat()
                }, at: layer.weight)
            #expect(GradientCheck.maxRelativeError(g.layers.base[i].weight, numeric) < 2e-3, "layer \(i)")
        }
        #expect(model.parameterCount == 6 * 5 + 5 + 5 * 3 + 3)
        #expect(
            model.parameterPaths.map(\.name) == [
                "layers[0].weight", "layers[0].bias", "layers[1].weight", "layers[1].bias",
            ])
    }

    /// PyTorch's nn.Linear bounds: W, b ~ U(±1/√fanIn); Glorot W ~ U(±√(6/(in+out))), b = 0.
    @Test func initializersDrawFromTheirRanges() {
        let key = RandomKey(seed: 5)
        let torchLike = Dense(inputSize: 400, outputSize: 300, key: key)
        let bound = 1 / Float(400).squareRoot()
        #expect(
            torchLike.weight.scalars.allSatisfy { Swift.abs($0) <= bound }
                && torchLike.bias.scalars.allSatisfy { Swift.abs($0) <= bound })
        // Var U(−a, a) = a²/3, within 5 standard errors (Var of the squares: 4a⁴/45).
        let n = Double(torchLike.weight.count), a2 = Double(bound * bound)
        let meanSquare = torchLike.weight.scalars.reduce(0.0) { $0 + Double($1 * $1) } / n
        #expect(Swift.abs(meanSquare - a2 / 3) < 5 * (4 * a2 * a2 / 45 / n).squareRoot())
        let glorot = Dense(inputSize: 400, outputSize: 300, initializer: .glorotUniform, key: key)
        let glorotBound = (6 / Float(700)).squareRoot()
        #expect(glorot.weight.scalars.allSatisfy { Swift.abs($0) <= glorotBound } && glorot.bias == .zeros([300]))
        #expect(glorot.weight.scalars.max()! > 0.9 * glorotBound)
    }
}

@Suite struct OptimizerTests {
    func tinyModel() -> Dense {
        Dense(weight: Tensor(rows: [[0.5, -1]]), bias: Tensor([0.25, 2]), activation: .identity)
    }
    func tinyGradient() -> Dense.TangentVector {
        Dense.TangentVector(weight: Tensor(rows: [[0.1, -0.2]]), bias: Tensor([3, 0]))
    }

    /// Two Adam steps against the update computed by hand in Double.
    @Test func adamMatchesHandComputedUpdate() throws {
        var model = tinyModel()
        var adam = Adam(for: model, learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let g = tinyGradient()
        let p0 = [0.5, -1, 0.25, 2], gs = [0.1, -0.2, 3, 0]
        var m = [0.0, 0, 0, 0], v = [0.0, 0, 0, 0], p = p0
        for t in 1...2 {
            try adam.update(&model, along: g)
            for i in 0..<4 {
                m[i] = 0.9 * m[i] + 0.1 * gs[i]
                v[i] = 0.999 * v[i] + 0.001 * gs[i] * gs[i]
                let mHat = m[i] / (1 - pow(0.9, Double(t))), vHat = v[i] / (1 - pow(0.999, Double(t)))
                p[i] -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        let got = model.weight.scalars + model.bias.scalars
        for i in 0..<4 { #expect(Swift.abs(Double(got[i]) - p[i]) < 1e-6, "parameter \(i): \(got[i]) vs \(p[i])") }
    }

    @Test func adamWDecaysWeightsDecoupled() throws {
        var model = tinyModel()
        var adamW = AdamW(for: model, learningRate: 0.1, weightDecay: 0.5)
        try adamW.update(&model, along: Dense.TangentVector(weight: .zeros([1, 2]), bias: .zeros([2])))
        // Zero gradient: only the decay acts, p ← p − lr·λ·p.
        #expect(model.weight == Tensor(rows: [[0.5 * 0.95, -1 * 0.95]]))
    }

    @Test func sgdWithMomentum() throws {
        var model = tinyModel()
        var sgd = SGD(for: model, learningRate: 0.5, momentum: 0.9)
        try sgd.update(&model, along: tinyGradient())
        try sgd.update(&model, along: tinyGradient())
        // v1 = g, v2 = 0.9g + g: p = p0 − 0.5·(g + 1.9g) = p0 − 1.45g.
        #expect(Swift.abs(model.bias.scalars[0] - (0.25 - 1.45 * 3)) < 1e-6)
        #expect(Swift.abs(model.weight.scalars[1] - (-1 + 1.45 * 0.2)) < 1e-6)
    }

    @Test func nonFiniteGradientIsReportedByNameAndChangesNothing() {
        var model = tinyModel()
        var adam = Adam(for: model)
        let bad = Dense.TangentVector(weight: Tensor(rows: [[0, .nan]]), bias: Tensor([0, 0]))
        #expect {
            try adam.update(&model, along: bad)
        } throws: { error in
            let e = error as? NonFiniteGradientError
            return e?.parameter == "weight" && e?.index == 1
                && String(describing: error).contains("gradient of weight is nan at element 1")
        }
        #expect(model.weight == tinyModel().weight)
    }

    @Test func clippingByGlobalNorm() throws {
        let model = tinyModel()
        var g = tinyGradient()
        let norm = try model.clipByGlobalNorm(&g, maxNorm: 1)
        let expected = Float((0.01 + 0.04 + 9.0).squareRoot())
        #expect(Swift.abs(norm - expected) < 1e-6)
        #expect(Swift.abs(try model.globalNorm(of: g) - 1) < 1e-6)
        var small = tinyGradient()
        try model.clipByGlobalNorm(&small, maxNorm: 100)
        #expect(small == tinyGradient())
    }

    @Test("scale multiplies every gradient in place, bit for bit g·c, and leaves other copies alone")
    func scaleInPlace() {
        let key = RandomKey(seed: 7)
        let model = MLP(sizes: [3, 70, 5], hidden: .tanh, key: key)
        let x = key.fold(in: 1).normal([4, 3])
        let g = _Differentiation.gradient(at: model) { m in (m(x) * m(x)).sum().item }
        var scaled = g  // shares g's storage until scaled
        model.scale(&scaled, by: -0.37)
        for path in model.parameterPaths {
            let before = g[keyPath: path.gradient], after = scaled[keyPath: path.gradient]
            #expect(after.scalars == (before * -0.37).scalars, "\(path.name)")
            #expect(before != after, "\(path.name): the copy kept its values")
        }
    }

    @Test func adamTrainsAnMLPToFitARegression() throws {
        let key = RandomKey(seed: 6)
        var model = MLP(sizes: [2, 16, 1], hidden: .tanh, key: key)
        let x = key.fold(in: 1).uniform([64, 2], low: -1, high: 1)
        let y = (x.slice(axis: 1, 0..<1) * x.slice(axis: 1, 1..<2))  // target x₀·x₁
        var adam = Adam(for: model, learningRate: 0.02)
        func loss(_ m: MLP) -> Float { square(m(x) - y).mean().item }
        let initial = loss(model)
        for _ in 0..<300 {
            let g = gradient(at: model) { m in square(m(x) - y).mean().item }
            try adam.update(&model, along: g)
        }
        #expect(loss(model) < initial / 10, "loss \(initial) → \(loss(model))")
    }
}

@Suite struct ReadmeExampleTests {
    /// The README's example, verbatim: it must compile, and one Adam step must lower the loss.
    @Test func readmeExampleTrains() throws {
        let key = RandomKey(seed: 0)
        var model = MLP(sizes: [784, 400, 20], key: key)
        var optimizer = Adam(for: model, learningRate: 1e-3)
        let batch = key.fold(in: 1).uniform([128, 784])
        let labels = (0..<128).map { $0 % 20 }
        let (loss, gradient) = valueWithGradient(at: model) { m in
            -logSoftmax(m(batch)).gather(lastAxisIndices: labels).mean().item
        }
        try optimizer.update(&model, along: gradient)
        let after = -logSoftmax(model(batch)).gather(lastAxisIndices: labels).mean().item
        #expect(loss.isFinite && after < loss)
    }
}

@Suite struct InputOnlyDerivativeTests {
    /// A network held fixed (captured, not differentiated) takes the input-only pullback; its
    /// input gradient must equal the input part of the full derivative, and a finite difference.
    @Test("MLP input-only gradient equals the full derivative's input part", arguments: [Activation.relu, .tanh])
    func inputOnly(activation: Activation) {
        let mlp = MLP(sizes: [5, 7, 3], hidden: activation, output: .tanh, key: RandomKey(seed: 1))
        let x = RandomKey(seed: 2).normal([4, 5])
        let inputOnly = gradient(at: x) { x in mlp(x).sum().item }
        let full = gradient(at: mlp, x) { m, x in m(x).sum().item }.1
        #expect(inputOnly.scalars == full.scalars)
        let h: Float = 1e-2
        for i in [0, 7, 19] {
            var plus = x.scalars, minus = x.scalars
            plus[i] += h
            minus[i] -= h
            let numeric =
                (mlp(Tensor(shape: [4, 5], scalars: plus)).sum().item
                    - mlp(Tensor(shape: [4, 5], scalars: minus)).sum().item) / (2 * h)
            #expect(abs(numeric - inputOnly.scalars[i]) < 2e-3 + 0.01 * abs(numeric))
        }
    }
}
