import CZlib
import Foundation

/// A file that is not a valid IDX array, by name and reason.
public struct DataFileError: Error, CustomStringConvertible {
    public let file: String
    public let reason: String
    public var description: String { "\(file): \(reason)" }

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}

/// An IDX array of unsigned bytes (the MNIST format): shape and row-major values.
public struct IDXArray: Sendable {
    public var shape: [Int]
    public var bytes: [UInt8]
}

public enum IDX {
    /// Reads an IDX file of unsigned bytes, raw or gzip-compressed. The header is checked —
    /// magic, type, rank 1…4, positive dimensions, at most `maximumBytes` of data — and the
    /// file's (uncompressed) size matched against it before any large allocation.
    public static func read(_ url: URL, maximumBytes: Int = 1 << 30) throws -> IDXArray {
        let name = url.path
        func fail(_ reason: String) -> DataFileError { DataFileError(file: name, reason: reason) }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: name),
            let fileSize = (attributes[.size] as? NSNumber)?.intValue
        else { throw fail("cannot read the file (missing or unreadable)") }
        guard fileSize > 0 else { throw fail("the file is empty") }
        guard let file = gzopen(name, "rb") else { throw fail("cannot open the file") }
        defer { gzclose(file) }
        let compressed = gzdirect(file) == 0

        // zlib's message for the last error, without the file name it starts with.
        func zlibError() -> String {
            var code: Int32 = 0
            let message = String(cString: gzerror(file, &code))
            return message.hasPrefix(name + ": ") ? String(message.dropFirst(name.count + 2)) : message
        }

        func readExactly(_ count: Int, _ what: String) throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let chunk = Int32(min(count - done, 1 << 30))
                let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + done, UInt32(chunk)) }
                if n < 0 { throw fail("the gzip data is corrupt (\(zlibError())) in \(what)") }
                if n == 0 { throw fail("truncated: \(what) ends after \(done) of \(count) bytes") }
                done += Int(n)
            }
            return buffer
        }

        let magic = try readExactly(4, "the magic number")
        guard magic[0] == 0, magic[1] == 0 else {
            throw fail(
                String(
                    format: "bad magic number 0x%02x%02x%02x%02x (an IDX file starts with two zero bytes)", magic[0],
                    magic[1], magic[2], magic[3]))
        }
        guard magic[2] == 0x08 else {
            throw fail(String(format: "data type 0x%02x is not unsigned bytes (0x08)", magic[2]))
        }
        let rank = Int(magic[3])
        guard (1...4).contains(rank) else { throw fail("rank \(rank) is outside 1…4") }
        let dimensionBytes = try readExactly(4 * rank, "the \(rank) dimensions")
        let shape = (0..<rank).map { i in dimensionBytes[(4 * i)..<(4 * i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        var count = 1
        for (i, d) in shape.enumerated() {
            guard d > 0 else { throw fail("dimension \(i) is \(d); dimensions must be positive") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maximumBytes else {
                throw fail("dimensions \(shape) hold more than \(maximumBytes) bytes; the header is corrupt")
            }
            count = product
        }
        let expected = 4 + 4 * rank + count
        if compressed {
            // gzip's trailer holds the uncompressed size modulo 2³²: check it before allocating.
            if let size = gzipStoredSize(url), size != UInt32(truncatingIfNeeded: expected) {
                throw fail(
                    "the gzip trailer records \(size) uncompressed bytes, but the header \(shape) needs \(expected): truncated or corrupt"
                )
            }
        } else if fileSize != expected {
            throw fail(
                fileSize < expected
                    ? "truncated: \(fileSize) bytes, its header \(shape) needs \(expected)"
                    : "\(fileSize - expected) bytes after the \(expected) its header \(shape) describes")
        }
        let bytes = try readExactly(count, "the data")
        var extra: UInt8 = 0
        // This last read reaches the end of the gzip stream, where zlib checks its CRC and length:
        // a corrupted stream that still inflated to the right size only fails here.
        let past = gzread(file, &extra, 1)
        if past < 0 { throw fail("the gzip data is corrupt (\(zlibError())) at its end") }
        if past > 0 { throw fail("data continues past the \(expected) bytes its header \(shape) describes") }
        return IDXArray(shape: shape, bytes: bytes)
    }

    /// The ISIZE field of a gzip file's last member, if the file is long enough to have one.
    static func gzipStoredSize(_ url: URL) -> UInt32? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end >= 18 else { return nil }
        try? handle.seek(toOffset: end - 4)
        guard let tail = try? handle.read(upToCount: 4), tail.count == 4 else { return nil }
        return tail.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
}
