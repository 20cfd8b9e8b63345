import ArgumentParser
import Foundation
import Reparam

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Get data sets.", subcommands: [FetchCommand.self])
}

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a data set, verifying each file's SHA-256 before saving it.",
        discussion:
            "Only `mnist` is known: the four IDX files, saved gzipped. Files already present and valid are kept.")

    @Argument(help: "The data set: mnist.") var dataset: String
    @Option(
        help: ArgumentHelp("Folder to save into (default: ~/.cache/reparam/mnist).", valueName: "dir"),
        transform: pathArgument) var to: String?
    @Option(help: ArgumentHelp("Base URL to download from (default: the standard mirrors, in turn).", valueName: "url"))
    var mirror: String?

    func validate() throws {
        guard dataset == "mnist" else { throw ValidationError("unknown data set '\(dataset)'; known: mnist") }
        if let mirror, URL(string: mirror)?.scheme == nil {
            throw ValidationError("--mirror must be a URL such as https://host/path/, got '\(mirror)'")
        }
    }

    func run() throws {
        let folder =
            to.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/reparam/mnist")
        var failures: [String] = []
        for base in mirror.map({ [$0] }) ?? Download.mnistMirrors {
            do {
                try Download.fetch(Download.mnist, from: URL(string: base)!, into: folder) {
                    print($0); fflush(nil)
                }
                print("MNIST is in \(folder.path)")
                return
            } catch {
                failures.append("\(error)")
                FileHandle.standardError.write(Data("\(error)\n".utf8))
            }
        }
        throw CommandFailure(description: "could not fetch MNIST from any mirror:\n" + failures.joined(separator: "\n"))
    }
}
