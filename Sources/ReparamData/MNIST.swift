import Foundation
import ReparamTensor

/// MNIST: 28×28 grey levels scaled to [0, 1] as rows of 784, and labels 0…9.
public struct MNIST: Sendable {
    public var trainImages: Tensor
    public var trainLabels: [Int]
    public var testImages: Tensor
    public var testLabels: [Int]

    static let files = (
        trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
        testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte"
    )

    /// The folder holding the four files: `explicit` if given, else `REPARAM_DATA` (its `mnist/`
    /// subfolder, or itself), else ~/.cache/reparam/mnist. Throws, saying how to get the data,
    /// when none has them.
    public static func locate(
        explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> URL {
        var candidates: [URL] = []
        if let explicit {
            candidates = [
                URL(fileURLWithPath: explicit), URL(fileURLWithPath: explicit).appendingPathComponent("mnist"),
            ]
        } else {
            if let data = environment["REPARAM_DATA"], !data.isEmpty {
                candidates += [URL(fileURLWithPath: data).appendingPathComponent("mnist"), URL(fileURLWithPath: data)]
            }
            candidates.append(
                FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/reparam/mnist"))
        }
        if let found = candidates.first(where: hasFiles) { return found }
        throw DataFileError(
            file: candidates.map(\.path).joined(separator: ", "),
            reason: """
                no MNIST here (looked for \(files.trainImages)[.gz] and the other three files). \
                Get them with `reparam data fetch mnist` (into ~/.cache/reparam/mnist), put the four IDX \
                files (gzipped or not) in one of these folders, or pass --data DIR.
                """)
    }

    static func hasFiles(_ folder: URL) -> Bool {
        [files.trainImages, files.trainLabels, files.testImages, files.testLabels].allSatisfy {
            path(folder, $0) != nil
        }
    }

    static func path(_ folder: URL, _ name: String) -> URL? {
        [name + ".gz", name].map { folder.appendingPathComponent($0) }.first {
            FileManager.default.fileExists(atPath: $0.path)
        }
    }

    /// Loads and checks the four files: images [n, 28, 28], labels [n] with values 0…9.
    public static func load(from folder: URL) throws -> MNIST {
        func images(_ name: String) throws -> (Tensor, URL) {
            let url = try require(name)
            let array = try IDX.read(url)
            guard array.shape.count == 3, array.shape[1] == 28, array.shape[2] == 28 else {
                throw DataFileError(file: url.path, reason: "images must have shape [n, 28, 28], found \(array.shape)")
            }
            return (Tensor(shape: [array.shape[0], 784], scalars: array.bytes.map { Float($0) / 255 }), url)
        }
        func labels(_ name: String, count: Int) throws -> [Int] {
            let url = try require(name)
            let array = try IDX.read(url)
            guard array.shape == [count] else {
                throw DataFileError(
                    file: url.path, reason: "expected \(count) labels to match the images, found shape \(array.shape)")
            }
            if let bad = array.bytes.firstIndex(where: { $0 > 9 }) {
                throw DataFileError(
                    file: url.path, reason: "label \(array.bytes[bad]) at index \(bad) is not a digit 0…9")
            }
            return array.bytes.map(Int.init)
        }
        func require(_ name: String) throws -> URL {
            guard let url = path(folder, name) else {
                throw DataFileError(file: folder.appendingPathComponent(name).path, reason: "missing (also tried .gz)")
            }
            return url
        }
        let (train, _) = try images(files.trainImages), (test, _) = try images(files.testImages)
        return MNIST(
            trainImages: train, trainLabels: try labels(files.trainLabels, count: train.shape[0]),
            testImages: test, testLabels: try labels(files.testLabels, count: test.shape[0]))
    }
}
