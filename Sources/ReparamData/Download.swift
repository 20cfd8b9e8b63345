import CZlib
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Downloads of checksummed files: each is fetched, decompressed in memory, checked against
/// the SHA-256 of its uncompressed contents, written to a temporary name and renamed only then.
public enum Download {
    /// One file to fetch: its name on the mirror and the SHA-256 of its uncompressed bytes.
    public struct Item: Sendable {
        public let name: String
        public let sha256: String
        public init(name: String, sha256: String) {
            self.name = name
            self.sha256 = sha256
        }
    }

    /// The MNIST files and the SHA-256 of their uncompressed IDX contents.
    public static let mnist = [
        Item(
            name: "train-images-idx3-ubyte.gz",
            sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        Item(
            name: "train-labels-idx1-ubyte.gz",
            sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        Item(
            name: "t10k-images-idx3-ubyte.gz",
            sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        Item(
            name: "t10k-labels-idx1-ubyte.gz",
            sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ]

    /// Standard public mirrors of the four MNIST files.
    public static let mnistMirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ]

    /// Fetches every item not already present and valid in `folder`, from `mirror` (a base URL).
    /// Returns a line per file saying what happened; throws, naming the file and URL, on a failed
    /// download or checksum, leaving no partial file behind.
    public static func fetch(
        _ items: [Item], from mirror: URL, into folder: URL, timeout: TimeInterval = 120,
        progress: (String) -> Void = { _ in }
    ) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for item in items {
            let destination = folder.appendingPathComponent(item.name)
            if let existing = try? Data(contentsOf: destination),
                (try? digest(ofCompressed: existing, name: destination.path)) == item.sha256
            {
                progress("\(item.name): already present and verified")
                continue
            }
            let url = mirror.appendingPathComponent(item.name)
            progress("\(item.name): downloading \(url.absoluteString)")
            let data = try get(url, timeout: timeout)
            let found = try digest(ofCompressed: data, name: url.absoluteString)
            guard found == item.sha256 else {
                throw DataFileError(
                    file: url.absoluteString,
                    reason: "SHA-256 of the contents is \(found), expected \(item.sha256); nothing was saved")
            }
            let temporary = folder.appendingPathComponent(".\(item.name).partial")
            do {
                try data.write(to: temporary)
                try renameReplacing(temporary, destination)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw DataFileError(file: destination.path, reason: "cannot save: \(error.localizedDescription)")
            }
            progress("\(item.name): \(data.count) bytes, SHA-256 verified")
        }
    }

    /// SHA-256 of the decompressed bytes (gzip, or as-is when not gzip).
    static func digest(ofCompressed data: Data, name: String) throws -> String {
        var hasher = SHA256()
        try inflate(data, name: name) { hasher.update($0) }
        return hasher.hexDigest()
    }

    /// Streams the decompressed contents of a gzip (or plain) buffer to `body` in chunks.
    static func inflate(_ data: Data, name: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws {
        guard data.count >= 2, data[data.startIndex] == 0x1f, data[data.startIndex + 1] == 0x8b else {
            data.withUnsafeBytes { body($0.bindMemory(to: UInt8.self)) }
            return
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataFileError(file: name, reason: "zlib could not start decompressing")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var input = [UInt8](data)
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            repeat {
                output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    body(UnsafeBufferPointer(rebasing: out[0..<(out.count - Int(stream.avail_out))]))
                }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard status == Z_STREAM_END else {
            throw DataFileError(
                file: name,
                reason: status == Z_OK || status == Z_BUF_ERROR
                    ? "the gzip stream is truncated" : "corrupt gzip data (zlib status \(status))")
        }
    }

    /// A blocking HTTP(S) GET that insists on status 200.
    static func get(_ url: URL, timeout: TimeInterval) throws -> Data {
        final class Box: @unchecked Sendable {
            var result: Result<Data, Error> = .failure(DataFileError(file: "", reason: "no response"))
        }
        let box = Box(), done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(
                    DataFileError(file: url.absoluteString, reason: "download failed: \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                box.result = .failure(
                    DataFileError(file: url.absoluteString, reason: "the server answered HTTP \(http.statusCode)"))
            } else {
                box.result = .success(data ?? Data())
            }
            done.signal()
        }.resume()
        done.wait()
        return try box.result.get()
    }
}
