import ReparamTensor
import _Differentiation

/// A family with a location and a scale (z = loc + scale·ε for standard noise ε): the shared
/// construction, validation and shapes; each family keeps only its own math.
public protocol LocationScaleFamily: Distribution {
    static var familyName: String { get }
    var loc: Tensor { get }
    var scale: Tensor { get }
    init(loc: Tensor, scale: Tensor)
}

extension LocationScaleFamily {
    /// Checked construction: loc finite, scale > 0, shapes that broadcast.
    public static func validated(loc: Tensor, scale: Tensor) throws -> Self {
        let d = Self(loc: loc, scale: scale)
        try d.validate()
        return d
    }

    public func validate() throws {
        _ = try checkShapes([("loc", loc.shape), ("scale", scale.shape)], of: Self.familyName)
        try check(loc, "loc", of: Self.familyName, .finite)
        try check(scale, "scale", of: Self.familyName, .positive)
    }

    /// Values must be finite (the support is the whole real line).
    public func validate(value: Tensor) throws { try check(value, "value", of: Self.familyName, .finite) }

    public var batchShape: [Int] { joinedShape(loc.shape, scale.shape, of: Self.familyName) }
    public var eventShape: [Int] { [] }
}
