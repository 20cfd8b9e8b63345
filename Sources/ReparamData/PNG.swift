import CZlib
import Foundation

/// PNG encoding of 8-bit images: grey (1 channel) or RGB (3), rows top to bottom, each
/// scanline with filter 0, deflated by the system zlib.
public enum PNG {
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> Data {
        precondition(channels == 1 || channels == 3, "PNG: channels must be 1 (grey) or 3 (RGB), got \(channels)")
        precondition(
            width > 0 && height > 0 && pixels.count == width * height * channels,
            "PNG: \(pixels.count) bytes for \(width)×\(height)×\(channels)")
        let rowBytes = width * channels
        var raw = [UInt8]()
        raw.reserveCapacity(height * (rowBytes + 1))
        for y in 0..<height {
            raw.append(0)
            raw += pixels[(y * rowBytes)..<((y + 1) * rowBytes)]
        }
        var compressedSize = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        let status = compress2(&compressed, &compressedSize, raw, uLong(raw.count), 9)
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        for (type, body) in [("IHDR", header), ("IDAT", Array(compressed.prefix(Int(compressedSize)))), ("IEND", [])] {
            let typed = Array(type.utf8) + body
            out += bigEndian(UInt32(body.count)) + typed
            out += bigEndian(UInt32(crc32(0, typed, uInt(typed.count))))
        }
        return out
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)]
    }
}

extension PNG {
    /// Square grey images (rows of `images`, values in [0, 1]) tiled `columns` across with a
    /// dark border, each pixel drawn as a `scale`×`scale` block, as a PNG.
    public static func grid(_ images: [[Float]], side: Int, columns: Int, scale: Int = 1) -> Data {
        precondition(
            !images.isEmpty && images.allSatisfy { $0.count == side * side },
            "PNG.grid: every image needs \(side)×\(side) values")
        precondition(scale >= 1, "PNG.grid: scale must be at least 1")
        let rows = (images.count + columns - 1) / columns, tile = side * scale, border = 2 * scale, cell = tile + border
        let (width, height) = (columns * cell + border, rows * cell + border)
        var pixels = [UInt8](repeating: 40, count: width * height)
        for (index, image) in images.enumerated() {
            let (x0, y0) = (border + (index % columns) * cell, border + (index / columns) * cell)
            for y in 0..<tile {
                for x in 0..<tile {
                    pixels[(y0 + y) * width + x0 + x] = UInt8(
                        (min(max(image[(y / scale) * side + x / scale], 0), 1) * 255).rounded())
                }
            }
        }
        return encode(width: width, height: height, channels: 1, pixels: pixels)
    }
}
