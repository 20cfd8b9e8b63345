import ReparamRandom
import ReparamTensor

/// How `Dense` draws its initial weight [inputs, outputs] and bias [outputs].
public enum Initializer: Sendable {
    /// PyTorch's `nn.Linear`: Kaiming-uniform with a = √5, i.e. W, b ~ U(−1/√fanIn, 1/√fanIn).
    case pytorchDefault
    /// Glorot/Xavier uniform: W ~ U(−√(6/(fanIn+fanOut)), +…), b = 0.
    case glorotUniform
    /// Kaiming/He uniform for ReLU: W ~ U(−√(6/fanIn), +…), b = 0.
    case kaimingUniform

    func parameters(inputs: Int, outputs: Int, key: RandomKey) -> (weight: Tensor, bias: Tensor) {
        let keys = key.split(2)
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(inputs).squareRoot()
            return (keys[0].uniform([inputs, outputs], low: -bound, high: bound),
                    keys[1].uniform([outputs], low: -bound, high: bound))
        case .glorotUniform:
            let bound = (6 / Float(inputs + outputs)).squareRoot()
            return (keys[0].uniform([inputs, outputs], low: -bound, high: bound), .zeros([outputs]))
        case .kaimingUniform:
            let bound = (6 / Float(inputs)).squareRoot()
            return (keys[0].uniform([inputs, outputs], low: -bound, high: bound), .zeros([outputs]))
        }
    }
}
