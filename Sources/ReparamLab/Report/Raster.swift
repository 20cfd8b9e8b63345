import Foundation
import Reparam

/// An RGB canvas the chart's drawing list is painted on at 2× and box-filtered down, which is
/// enough anti-aliasing for lines, markers and bitmap text.
struct Canvas {
    let width: Int, height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 255, count: width * height * 3)
    }

    mutating func set(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        (pixels[i], pixels[i + 1], pixels[i + 2]) = color
    }

    mutating func fillRect(x: Double, y: Double, width w: Double, height h: Double, _ color: (UInt8, UInt8, UInt8)) {
        for py in Int(y.rounded())..<Int((y + h).rounded()) {
            for px in Int(x.rounded())..<Int((x + w).rounded()) { set(px, py, color) }
        }
    }

    mutating func disk(_ cx: Double, _ cy: Double, _ r: Double, _ color: (UInt8, UInt8, UInt8)) {
        for py in Int(floor(cy - r))...Int(ceil(cy + r)) {
            for px in Int(floor(cx - r))...Int(ceil(cx + r))
            where pow(Double(px) + 0.5 - cx, 2) + pow(Double(py) + 0.5 - cy, 2) <= r * r {
                set(px, py, color)
            }
        }
    }

    /// A thick segment as disks stamped every half pixel; dashes skip alternate stretches.
    mutating func segment(
        _ a: (Double, Double), _ b: (Double, Double), width: Double, dashed: Bool,
        _ color: (UInt8, UInt8, UInt8), dashOffset: inout Double
    ) {
        let length = ((b.0 - a.0) * (b.0 - a.0) + (b.1 - a.1) * (b.1 - a.1)).squareRoot()
        let steps = max(1, Int(length * 2))
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            let travelled = dashOffset + t * length
            if dashed && travelled.truncatingRemainder(dividingBy: 20) > 12 { continue }
            disk(a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1), width / 2, color)
        }
        dashOffset += length
    }

    /// Bitmap text: each font pixel becomes a scale×scale block; vertical text reads bottom-up.
    mutating func text(
        _ s: String, at: (Double, Double), size: Double, anchor: TextAnchor, vertical: Bool,
        _ color: (UInt8, UInt8, UInt8)
    ) {
        let glyphs = BitmapFont.ascii(s)
        let scale = max(1, Int((size / 7).rounded()))
        let advance = 6 * scale, total = Double(glyphs.count * advance)
        let shift = anchor == .start ? 0 : anchor == .middle ? -total / 2 : -total
        for (i, c) in glyphs.enumerated() {
            for (column, bits) in BitmapFont.columns(c).enumerated() {
                for row in 0..<7 where bits & (1 << row) != 0 {
                    let along = shift + Double(i * advance + column * scale), across = Double((row - 7) * scale)
                    let (x, y) =
                        vertical ? (at.0 + across + Double(7 * scale) / 2, at.1 - along) : (at.0 + along, at.1 + across)
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            set(Int(x) + (vertical ? dy : dx), Int(y) - (vertical ? dx : -dy), color)
                        }
                    }
                }
            }
        }
    }

    /// Averages factor×factor blocks.
    func downsampled(by factor: Int) -> Canvas {
        var out = Canvas(width: width / factor, height: height / factor)
        for y in 0..<out.height {
            for x in 0..<out.width {
                for channel in 0..<3 {
                    var total = 0
                    for dy in 0..<factor {
                        for dx in 0..<factor {
                            total += Int(pixels[((y * factor + dy) * width + x * factor + dx) * 3 + channel])
                        }
                    }
                    out.pixels[(y * out.width + x) * 3 + channel] = UInt8(total / (factor * factor))
                }
            }
        }
        return out
    }

    func png() -> Data { PNG.encode(width: width, height: height, channels: 3, pixels: pixels) }
}

private func rgb(_ hex: String) -> (UInt8, UInt8, UInt8) {
    let v = UInt32(hex.dropFirst(), radix: 16) ?? 0
    return (UInt8(v >> 16), UInt8((v >> 8) & 255), UInt8(v & 255))
}

extension Chart {
    /// The chart as PNG bytes, painted from the same drawing list as the SVG.
    public func png() -> Data {
        let factor = 2.0
        var canvas = Canvas(width: Int(Chart.width * factor), height: Int(Chart.height * factor))
        for d in drawings() {
            switch d {
            case let .line(from, to, color, width, dashed):
                var offset = 0.0
                canvas.segment(
                    (from.0 * factor, from.1 * factor), (to.0 * factor, to.1 * factor), width: width * factor,
                    dashed: dashed, rgb(color), dashOffset: &offset)
            case let .polyline(points, color, width, dashed):
                var offset = 0.0
                for (a, b) in zip(points, points.dropFirst()) {
                    canvas.segment(
                        (a.0 * factor, a.1 * factor), (b.0 * factor, b.1 * factor), width: width * factor,
                        dashed: dashed, rgb(color), dashOffset: &offset)
                }
            case let .circle(center, radius, color):
                canvas.disk(center.0 * factor, center.1 * factor, radius * factor, rgb(color))
            case let .rect(x, y, width, height, fill):
                canvas.fillRect(x: x * factor, y: y * factor, width: width * factor, height: height * factor, rgb(fill))
            case let .text(string, at, size, anchor, color, vertical):
                canvas.text(
                    string, at: (at.0 * factor, at.1 * factor), size: size * factor * 0.8, anchor: anchor,
                    vertical: vertical, rgb(color))
            }
        }
        return canvas.downsampled(by: Int(factor)).png()
    }
}
