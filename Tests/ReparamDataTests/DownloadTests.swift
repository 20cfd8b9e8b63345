import CZlib
import Foundation
import Testing

@testable import ReparamData

#if canImport(Glibc)
    import Glibc
#endif

/// A one-thread HTTP/1.0 server on 127.0.0.1 serving fixed bodies by path; 404 otherwise.
final class LocalHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let socketDescriptor: Int32
    private let bodies: [String: [UInt8]]

    init(bodies: [String: [UInt8]]) throws {
        self.bodies = bodies
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        socketDescriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in serve() }
    }

    var base: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    private func serve() {
        while true {
            let client = accept(socketDescriptor, nil, nil)
            if client < 0 { return }
            var request = [UInt8](repeating: 0, count: 4096)
            let n = recv(client, &request, request.count, 0)
            let line = String(decoding: request.prefix(max(0, n)), as: UTF8.self).split(separator: " ")
            let path = line.count > 1 ? String(line[1].dropFirst()) : ""
            let body = bodies[path]
            let head =
                body == nil
                ? "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                : "HTTP/1.0 200 OK\r\nContent-Length: \(body!.count)\r\nContent-Type: application/octet-stream\r\n\r\n"
            let response = Array(head.utf8) + (body ?? [])
            var sent = 0
            while sent < response.count {
                let m = response[sent...].withUnsafeBytes {
                    send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if m <= 0 { break }
                sent += m
            }
            close(client)
        }
    }

    deinit { shutdown(socketDescriptor, Int32(SHUT_RDWR)); close(socketDescriptor) }
}

/// gzip bytes of `contents`, through zlib's file interface.
func gzipped(_ contents: [UInt8]) throws -> [UInt8] {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID().uuidString).gz")
    defer { try? FileManager.default.removeItem(at: url) }
    let handle = try #require(gzopen(url.path, "wb"))
    _ = contents.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32(contents.count)) }
    gzclose(handle)
    return [UInt8](try Data(contentsOf: url))
}

@Suite("SHA-256 and checked downloads")
struct DownloadTests {
    @Test("SHA-256 matches the FIPS 180-4 examples, in one piece and in odd chunks")
    func sha256() {
        #expect(
            SHA256.hexDigest(of: Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hexDigest(of: message) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var chunked = SHA256()
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var start = 0
        for size in [1, 63, 64, 65, 1000, 998_807] {
            chunked.update(million[start..<(start + size)])
            start += size
        }
        #expect(chunked.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    static let contents: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3, 4, 5]

    @Test("fetch saves verified files, skips ones already present, and refuses bad ones without leaving files")
    func fetch() throws {
        let good = try gzipped(Self.contents), corrupt = try gzipped(Self.contents.map { $0 ^ 1 })
        let server = try LocalHTTPServer(bodies: [
            "good.gz": good, "corrupt.gz": corrupt, "cut.gz": Array(good.prefix(good.count - 6)),
        ])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let hash = SHA256.hexDigest(of: Self.contents)
        var lines: [String] = []
        try Download.fetch([.init(name: "good.gz", sha256: hash)], from: server.base, into: folder) { lines.append($0) }
        #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("good.gz"))) == good)
        try Download.fetch([.init(name: "good.gz", sha256: hash)], from: server.base, into: folder) { lines.append($0) }
        #expect(lines.last?.contains("already present") == true)

        for (name, phrase) in [("corrupt.gz", "SHA-256"), ("cut.gz", "truncated"), ("missing.gz", "HTTP 404")] {
            do {
                try Download.fetch([.init(name: name, sha256: hash)], from: server.base, into: folder)
                Issue.record("\(name) was accepted")
            } catch let error as DataFileError {
                #expect(error.description.contains(phrase) && error.file.contains(name), "\(error)")
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(left == ["good.gz"], "files left after \(name): \(left)")
        }
    }
}
