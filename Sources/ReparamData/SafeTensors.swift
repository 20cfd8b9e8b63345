import Foundation
import ReparamTensor

#if canImport(Glibc)
    import Glibc
#endif

/// The safetensors file format (as Python's `safetensors` reads it): an 8-byte little-endian
/// header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
/// little-endian data. Only float32 tensors are written or read.
public struct SafeTensors {
    public var tensors: [(name: String, tensor: Tensor)]
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    /// The tensor `name`, which must have `shape` and only finite values (every checkpoint holds
    /// parameters, optimizer moments and counters, none of which can be NaN or ±∞ in a healthy
    /// run); otherwise an error naming the file (`url`), the tensor and the first bad element.
    public func tensor(_ name: String, shape: [Int], url: URL) throws -> Tensor {
        guard let t = self[name] else { throw DataFileError(file: url.path, reason: "tensor '\(name)' is missing") }
        guard t.shape == shape else {
            throw DataFileError(
                file: url.path,
                reason: "tensor '\(name)' has shape \(t.shape), the configuration needs \(shape)")
        }
        if let index = t.scalars.firstIndex(where: { !$0.isFinite }) {
            throw DataFileError(
                file: url.path,
                reason: "tensor '\(name)' holds \(t.scalars[index]) at element \(index); the checkpoint is damaged")
        }
        return t
    }

    public func encoded() -> Data {
        var entries: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let end = offset + 4 * tensor.count
            entries.append(
                "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, tensor) in tensors {
            // The file is little-endian, as the host is on every platform Reparam builds for.
            tensor.withUnsafeScalars { out.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        }
        return out
    }

    /// Writes to a temporary file beside `url` and renames it over `url`, so a crash or full disk
    /// never leaves a half-written file where the last good one was.
    public func write(to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
        do {
            try encoded().write(to: temporary)
            try renameReplacing(temporary, url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw DataFileError(file: url.path, reason: "cannot write the checkpoint: \(error.localizedDescription)")
        }
    }

    /// Reads and checks a file: header length and JSON, dtype F32, shapes against byte ranges,
    /// ranges inside the data and covering it without gaps.
    public static func read(_ url: URL) throws -> SafeTensors {
        func fail(_ reason: String) -> DataFileError { DataFileError(file: url.path, reason: reason) }
        guard let data = try? Data(contentsOf: url) else { throw fail("cannot read the file (missing or unreadable)") }
        guard data.count >= 8 else { throw fail("\(data.count) bytes is too short for a safetensors header") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        guard headerLength <= UInt64(data.count - 8), headerLength <= 100_000_000 else {
            throw fail("header length \(headerLength) runs past the file's \(data.count) bytes")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let json = try? JSONSerialization.jsonObject(with: data[8..<headerEnd]) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let meta = json["__metadata__"] {
            guard let strings = meta as? [String: String] else {
                throw fail("__metadata__ must map strings to strings")
            }
            metadata = strings
        }
        var entries: [(name: String, shape: [Int], start: Int, end: Int)] = []
        for (name, value) in json where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw fail("tensor '\(name)' needs dtype, shape and two data_offsets")
            }
            guard dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(dtype); only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0],
                shape.reduce(4, *) == offsets[1] - offsets[0]
            else {
                throw fail("tensor '\(name)': shape \(shape) does not fit its byte range \(offsets)")
            }
            entries.append((name, shape, offsets[0], offsets[1]))
        }
        entries.sort { $0.start < $1.start }
        var covered = 0
        for entry in entries {
            guard entry.start == covered else {
                throw fail("tensor '\(entry.name)' starts at byte \(entry.start), expected \(covered)")
            }
            covered = entry.end
        }
        guard covered == data.count - headerEnd else {
            throw fail("the tensors cover \(covered) data bytes but the file holds \(data.count - headerEnd)")
        }
        let tensors = entries.map { entry -> (name: String, tensor: Tensor) in
            let count = (entry.end - entry.start) / 4
            var scalars = [Float](repeating: 0, count: count)
            scalars.withUnsafeMutableBytes {
                $0.copyBytes(from: data[(headerEnd + entry.start)..<(headerEnd + entry.end)])
            }
            return (entry.name, Tensor(shape: entry.shape, scalars: scalars))
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }
}

/// rename(2): atomically puts `source` where `destination` was, replacing it. (Foundation's
/// replaceItemAt on Linux can remove the destination before failing.)
func renameReplacing(_ source: URL, _ destination: URL) throws {
    guard rename(source.path, destination.path) == 0 else {
        throw DataFileError(
            file: destination.path,
            reason: "cannot rename \(source.lastPathComponent) into place: \(String(cString: strerror(errno)))")
    }
}

/// A JSON string literal.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
