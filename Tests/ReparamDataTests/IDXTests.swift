import CZlib
import Foundation
import Testing

@testable import ReparamData

/// Writes `bytes` to a fresh temporary file (gzip-compressed when asked) and returns its URL.
private func file(_ bytes: [UInt8], gzip: Bool = false) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "idx-\(UUID().uuidString)" + (gzip ? ".gz" : ""))
    if gzip {
        let handle = try #require(gzopen(url.path, "wb"))
        if !bytes.isEmpty { _ = bytes.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32(bytes.count)) } }
        gzclose(handle)
    } else {
        try Data(bytes).write(to: url)
    }
    return url
}

private func header(rank: Int, _ dims: [UInt32], type: UInt8 = 0x08) -> [UInt8] {
    [0, 0, type, UInt8(rank)]
        + dims.flatMap { d in [UInt8(d >> 24), UInt8((d >> 16) & 255), UInt8((d >> 8) & 255), UInt8(d & 255)] }
}

private func expectError(
    _ bytes: [UInt8], gzip: Bool = false, mentioning phrase: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let url = try file(bytes, gzip: gzip)
    defer { try? FileManager.default.removeItem(at: url) }
    do {
        _ = try IDX.read(url)
        Issue.record("read a malformed file without error", sourceLocation: sourceLocation)
    } catch let error as DataFileError {
        #expect(error.file == url.path, sourceLocation: sourceLocation)
        #expect(
            error.description.contains(phrase), "'\(error)' should mention '\(phrase)'", sourceLocation: sourceLocation)
    }
}

@Suite("IDX reader")
struct IDXTests {
    @Test("reads raw and gzip files", arguments: [false, true])
    func roundTrip(gzip: Bool) throws {
        let values: [UInt8] = (0..<24).map { UInt8($0 * 7 % 256) }
        let url = try file(header(rank: 3, [2, 3, 4]) + values, gzip: gzip)
        defer { try? FileManager.default.removeItem(at: url) }
        let array = try IDX.read(url)
        #expect(array.shape == [2, 3, 4] && array.bytes == values)
    }

    @Test("malformed files are reported by name and reason, raw and gzip", arguments: [false, true])
    func malformed(gzip: Bool) throws {
        try expectError([], gzip: gzip, mentioning: gzip ? "truncated" : "empty")
        try expectError([1, 2, 8, 1, 0, 0, 0, 1, 5], gzip: gzip, mentioning: "bad magic number")
        try expectError(header(rank: 1, [4], type: 0x0D) + [0, 0, 0, 0], gzip: gzip, mentioning: "not unsigned bytes")
        try expectError(header(rank: 0, []), gzip: gzip, mentioning: "rank 0")
        try expectError(header(rank: 9, []) + [UInt8](repeating: 1, count: 36), gzip: gzip, mentioning: "rank 9")
        try expectError(header(rank: 2, [0, 5]), gzip: gzip, mentioning: "dimension 0 is 0")
        // Absurd dimensions are refused before anything that size is allocated.
        try expectError(header(rank: 3, [60_000, 60_000, 60_000]) + [1, 2, 3], gzip: gzip, mentioning: "corrupt")
        try expectError(
            header(rank: 2, [10, 10]) + [UInt8](repeating: 3, count: 57), gzip: gzip, mentioning: "truncated")
        try expectError(
            header(rank: 1, [3]) + [1, 2, 3, 4], gzip: gzip, mentioning: gzip ? "truncated or corrupt" : "1 bytes after"
        )
        try expectError(header(rank: 2, [1]), gzip: gzip, mentioning: "truncated")
    }

    @Test("a cut-off gzip stream is an error, not a short array")
    func cutGzip() throws {
        let whole = try file(
            header(rank: 1, [50_000]) + (0..<50_000).map { UInt8(($0 * 31 + $0 / 7) % 256) }, gzip: true)
        defer { try? FileManager.default.removeItem(at: whole) }
        let bytes = [UInt8](try Data(contentsOf: whole))
        try expectError(Array(bytes.prefix(bytes.count / 2)), mentioning: "truncated")
    }

    /// A flipped byte in the CRC trailer, or in the deflate data, is caught: gzip's check runs at the
    /// end of the stream, after the last data byte has already been read.
    @Test("a corrupted gzip stream is an error, not damaged data")
    func corruptGzip() throws {
        // Sizes where the stream's end is reached by the data read itself and, for the larger one
        // (as for MNIST), only by the read after it.
        for size in [50_000, 3_000_000] {
            let contents = header(rank: 1, [UInt32(size)]) + (0..<size).map { UInt8(($0 * 31 + $0 / 7) % 256) }
            let whole = try file(contents, gzip: true)
            defer { try? FileManager.default.removeItem(at: whole) }
            var badCRC = [UInt8](try Data(contentsOf: whole))
            badCRC[badCRC.count - 8] ^= 0x40
            try expectError(badCRC, mentioning: "corrupt (incorrect data check)")
        }
        let other = header(rank: 1, [50_000]) + (0..<50_000).map { UInt8(($0 * 13 + $0 / 3) % 256) }
        let whole = try file(other, gzip: true)
        defer { try? FileManager.default.removeItem(at: whole) }
        let bytes = [UInt8](try Data(contentsOf: whole))
        for offset in [bytes.count / 3, bytes.count / 2, bytes.count - 20] {
            var damaged = bytes
            damaged[offset] ^= 0x10
            let url = try file(damaged)
            defer { try? FileManager.default.removeItem(at: url) }
            // Whatever the damage does to the inflated bytes, they are never returned.
            #expect(throws: DataFileError.self, "byte \(offset) flipped") { try IDX.read(url) }
        }
    }

    @Test("a missing file names itself")
    func missing() {
        let url = URL(fileURLWithPath: "/nonexistent/train-images-idx3-ubyte")
        #expect(throws: DataFileError.self) { try IDX.read(url) }
    }
}

@Suite("MNIST")
struct MNISTTests {
    static let folder = try? MNIST.locate()

    @Test("locating data with none anywhere explains where to put it")
    func notFound() {
        do {
            _ = try MNIST.locate(explicit: "/nonexistent-folder")
            Issue.record("found MNIST in a folder that does not exist")
        } catch {
            #expect("\(error)".contains("--data"))
        }
    }

    @Test("the four files load with the documented counts and mean", .enabled(if: folder != nil))
    func load() throws {
        let mnist = try MNIST.load(from: Self.folder!)
        #expect(mnist.trainImages.shape == [60_000, 784] && mnist.testImages.shape == [10_000, 784])
        #expect(
            (0..<10).map { d in mnist.trainLabels.filter { $0 == d }.count } == [
                5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
            ])
        let mean = mnist.trainImages.scalars.reduce(0.0) { $0 + Double($1) } / Double(mnist.trainImages.count)
        #expect(abs(mean - 0.1307) < 5e-5)
    }
}
