import Foundation

/// A self-contained HTML page (inline CSS and SVG) of lab results, with each chart also saved
/// as .svg and .png beside it.
public struct HTMLReport {
    public var title: String
    public var introduction: [String]
    public var results: [LabResult]

    public init(title: String, introduction: [String] = [], results: [LabResult]) {
        self.title = title
        self.introduction = introduction
        self.results = results
    }

    /// Writes index.html and the chart copies into `directory` (created if needed); every file is
    /// written to a temporary name and renamed, so an interrupted run leaves no half-written file.
    /// Returns the page's URL.
    @discardableResult
    public func write(to directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for chart in results.flatMap(\.charts) {
            try Data(chart.svg().utf8).write(
                to: directory.appendingPathComponent(chart.name + ".svg"), options: .atomic)
            try chart.png().write(to: directory.appendingPathComponent(chart.name + ".png"), options: .atomic)
        }
        for heatmap in results.flatMap(\.heatmaps) {
            let svg = directory.appendingPathComponent(heatmap.name + ".svg")
            try Data(heatmap.svg().utf8).write(to: svg, options: .atomic)
            try heatmap.png().write(to: directory.appendingPathComponent(heatmap.name + ".png"), options: .atomic)
        }
        let page = directory.appendingPathComponent("index.html")
        try Data(html.utf8).write(to: page, options: .atomic)
        return page
    }

    public var html: String {
        var body = "<h1>\(escapeXML(title))</h1>\n" + introduction.map { "<p>\(escapeXML($0))</p>\n" }.joined()
        for result in results {
            body += "<section>\n<h2>\(escapeXML(result.title))</h2>\n"
            body += result.headline.map {
                $0.contains("\n") ? "<pre>\(escapeXML($0))</pre>\n" : "<p>\(escapeXML($0))</p>\n"
            }.joined()
            body += "<table>\n<tr>" + result.table.header.map { "<th>\(escapeXML($0))</th>" }.joined() + "</tr>\n"
            for row in result.table.rows {
                body += "<tr>" + row.map { "<td>\(escapeXML($0))</td>" }.joined() + "</tr>\n"
            }
            body += "</table>\n"
            for chart in result.charts {
                body += "<figure>\n\(chart.svg())\n<figcaption>\(escapeXML(chart.caption)) "
                body +=
                    "<a href=\"\(chart.name).png\">PNG</a> · <a href=\"\(chart.name).svg\">SVG</a></figcaption>\n</figure>\n"
            }
            if !result.heatmaps.isEmpty {
                body += "<div class=\"heatmaps\">\n"
                for heatmap in result.heatmaps {
                    body += "<figure><img width=\"\(heatmap.side)\" height=\"\(heatmap.side)\" "
                    body += "alt=\"\(escapeXML(heatmap.caption))\" "
                    body += "src=\"data:image/png;base64,\(heatmap.png().base64EncodedString())\">"
                    body += "<figcaption>\(escapeXML(heatmap.caption)) <a href=\"\(heatmap.name).png\">PNG</a> · "
                    body += "<a href=\"\(heatmap.name).svg\">SVG</a></figcaption></figure>\n"
                }
                body += "</div>\n"
            }
            body += result.notes.map { "<p class=\"note\">\(escapeXML($0))</p>\n" }.joined()
            body += "</section>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escapeXML(title))</title>
            <style>
            body { font-family: Helvetica, Arial, sans-serif; max-width: 980px; margin: 2em auto; color: #111; line-height: 1.45; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
            th, td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            .heatmaps { display: flex; flex-wrap: wrap; gap: 12px; } .heatmaps figure { margin: 0; width: 200px; }
            figure { margin: 1.5em 0; } figcaption { font-size: 13px; color: #333; max-width: 760px; }
            .note { font-size: 13px; color: #444; } pre { background: #f6f6f6; padding: 8px 12px; font-size: 13px; overflow-x: auto; } section { margin-bottom: 3em; }
            </style></head>
            <body>
            \(body)</body></html>
            """
    }
}
