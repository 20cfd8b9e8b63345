import Foundation
import Reparam

/// A density on a square grid as a picture: values scaled to their maximum through a
/// perceptual colour ramp (dark blue → yellow), row 0 at the top. Saved as PNG, and as SVG
/// embedding the same PNG.
public struct Heatmap: Sendable {
    public var name: String
    public var caption: String
    /// side × side values, row-major, row 0 the top (largest second coordinate).
    public var values: [Double]
    public var side: Int

    public init(name: String, caption: String, values: [Double], side: Int) {
        precondition(values.count == side * side, "Heatmap: \(values.count) values for a \(side)×\(side) grid")
        self.name = name
        self.caption = caption
        self.values = values
        self.side = side
    }

    /// Ramp stops (viridis-like), from 0 to 1.
    static let ramp: [(Double, Double, Double)] = [
        (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
    ]

    public func png() -> Data {
        let top = values.filter(\.isFinite).max() ?? 0
        var pixels = [UInt8](repeating: 0, count: 3 * values.count)
        for (i, v) in values.enumerated() {
            let t = top > 0 && v.isFinite ? Swift.min(Swift.max(v / top, 0), 1) : 0
            let position = t * Double(Heatmap.ramp.count - 1)
            let lower = Swift.min(Int(position), Heatmap.ramp.count - 2)
            let f = position - Double(lower)
            let (a, b) = (Heatmap.ramp[lower], Heatmap.ramp[lower + 1])
            pixels[3 * i] = UInt8(a.0 + (b.0 - a.0) * f)
            pixels[3 * i + 1] = UInt8(a.1 + (b.1 - a.1) * f)
            pixels[3 * i + 2] = UInt8(a.2 + (b.2 - a.2) * f)
        }
        return PNG.encode(width: side, height: side, channels: 3, pixels: pixels)
    }

    public func svg() -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(side) \(side)">\
        <image width="\(side)" height="\(side)" href="data:image/png;base64,\(png().base64EncodedString())"/></svg>
        """
    }
}
