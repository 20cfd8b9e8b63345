import Foundation
import Reparam
import Testing

@testable import ReparamLab

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("Lab output: JSON records and the HTML report")
struct ReportTests {
    static let result = GaussianLab(function: .cos, k: 1, mu: 0.5, sigma: 0.3).compare(
        samples: 2_000, key: RandomKey(seed: 1))

    @Test("every gaussian record is one JSON object with the documented fields")
    func records() throws {
        #expect(Self.result.records.count == GaussianEstimator.allCases.count * 2)
        for record in Self.result.records {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(record.json.utf8)) as? [String: Any])
            for field in ["estimator", "parameter", "mean", "variance", "snr", "exact"] {
                #expect(object[field] != nil, "missing \(field) in \(record.json)")
            }
            #expect(["mu", "sigma"].contains(object["parameter"] as? String))
        }
        #expect(
            Record([("text", "a \"quoted\"\nline"), ("nan", .number(.nan))]).json
                == #"{"text":"a \"quoted\"\nline","nan":null}"#)
    }

    @Test("the report writes well-formed SVG, valid PNG and an HTML page that embeds the charts")
    func report() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = try HTMLReport(title: "test", results: [Self.result]).write(to: folder)
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("gaussian-variance.png"))
        let svg = try Data(contentsOf: folder.appendingPathComponent("gaussian-variance.svg"))
        let parser = XMLParser(data: svg)
        #expect(parser.parse(), "SVG does not parse: \(String(describing: parser.parserError))")
        let png = [UInt8](try Data(contentsOf: folder.appendingPathComponent("gaussian-variance.png")))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect((width, height) == (Int(Chart.width), Int(Chart.height)))
        // Not blank: the bars and text leave many non-white pixels.
        #expect(png.count > 5_000)
    }

    @Test("log axes cover the data with decade ticks; wrapped labels keep every character")
    func axes() {
        let axis = Axis(values: [0.003, 42], log: true, pixels: (0, 100))
        #expect(axis.low == 0.001 && axis.high == 100)
        #expect(axis.ticks == [0.001, 0.01, 0.1, 1, 10, 100])
        #expect(abs(axis.pixel(0.1) - 40) < 1e-9)
        #expect(Chart.wrap("score-optimal-baseline", width: 80).joined() == "score-optimal-baseline")
    }
}
