import ReparamRandom
import ReparamTensor

/// How `Dense` draws its initial weight [inputs, outputs] and bias [outputs].
public enum Initializer: Sendable, Equatable {
    /// PyTorch's `nn.Linear`: Kaiming-uniform with a = √5, i.e. W, b ~ U(−1/√fanIn, 1/√fanIn).
    case pytorchDefault
    /// Glorot/Xavier uniform: W ~ U(−√(6/(fanIn+fanOut)), +…), b = 0.
    case glorotUniform
    /// Kaiming/He uniform for ReLU: W ~ U(−√(6/fanIn), +…), b = 0.
    case kaimingUniform
    /// Orthogonal (Saxe et al. 2014), as stable-baselines3's actor-critics start: W has
    /// orthonormal rows or columns (whichever are fewer) times `gain`; b = 0.
    case orthogonal(gain: Float)

    func parameters(inputs: Int, outputs: Int, key: RandomKey) -> (weight: Tensor, bias: Tensor) {
        let keys = key.split(2)
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(inputs).squareRoot()
            return (
                keys[0].uniform([inputs, outputs], low: -bound, high: bound),
                keys[1].uniform([outputs], low: -bound, high: bound)
            )
        case .glorotUniform:
            let bound = (6 / Float(inputs + outputs)).squareRoot()
            return (keys[0].uniform([inputs, outputs], low: -bound, high: bound), .zeros([outputs]))
        case .kaimingUniform:
            let bound = (6 / Float(inputs)).squareRoot()
            return (keys[0].uniform([inputs, outputs], low: -bound, high: bound), .zeros([outputs]))
        case .orthogonal(let gain):
            return (gain * orthonormal(rows: inputs, columns: outputs, key: keys[0]), .zeros([outputs]))
        }
    }
}

extension Initializer: Codable, CustomStringConvertible {
    /// The name configurations save and the command line takes: pytorch, glorot, kaiming, or
    /// orthogonal(GAIN).
    public var description: String {
        switch self {
        case .pytorchDefault: "pytorch"
        case .glorotUniform: "glorot"
        case .kaimingUniform: "kaiming"
        case .orthogonal(let gain): "orthogonal(\(gain))"
        }
    }

    /// The initializer a `description` names; nil for anything else.
    public init?(named name: String) {
        switch name {
        case "pytorch": self = .pytorchDefault
        case "glorot": self = .glorotUniform
        case "kaiming": self = .kaimingUniform
        default:
            guard name.hasPrefix("orthogonal("), name.hasSuffix(")"),
                let gain = Float(name.dropFirst("orthogonal(".count).dropLast()), gain > 0, gain.isFinite
            else { return nil }
            self = .orthogonal(gain: gain)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let initializer = Initializer(named: name) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(name)' is not an initializer (pytorch, glorot, kaiming, orthogonal(GAIN))")
        }
        self = initializer
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A [rows, columns] matrix with orthonormal columns (rows ≥ columns) or rows: the Q factor of a
/// Gaussian matrix by modified Gram-Schmidt in Double, with QR's sign convention (diag R > 0),
/// which makes Q Haar-distributed.
func orthonormal(rows: Int, columns: Int, key: RandomKey) -> Tensor {
    let (tall, short) = (max(rows, columns), min(rows, columns))
    let gaussian = key.normal([short, tall]).scalars.map(Double.init)
    // vectors[j] is the j-th column of the tall matrix.
    var vectors = (0..<short).map { j in Array(gaussian[(j * tall)..<((j + 1) * tall)]) }
    for j in 0..<short {
        for i in 0..<j {
            let projection = zip(vectors[i], vectors[j]).reduce(0) { $0 + $1.0 * $1.1 }
            for r in 0..<tall { vectors[j][r] -= projection * vectors[i][r] }
        }
        let norm = vectors[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
        for r in 0..<tall { vectors[j][r] /= norm }
    }
    var scalars = [Float](repeating: 0, count: rows * columns)
    for j in 0..<short {
        for r in 0..<tall {
            // Tall: column j of [rows, columns]; wide: row j.
            let index = rows >= columns ? r * columns + j : j * columns + r
            scalars[index] = Float(vectors[j][r])
        }
    }
    return Tensor(shape: [rows, columns], scalars: scalars)
}
