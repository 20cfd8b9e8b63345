import Foundation

extension Chart {
    /// A standalone SVG document.
    public func svg() -> String {
        var body = ""
        for d in drawings() {
            switch d {
            case let .line(from, to, color, width, dashed):
                body +=
                    "<line x1=\"\(f(from.0))\" y1=\"\(f(from.1))\" x2=\"\(f(to.0))\" y2=\"\(f(to.1))\" stroke=\"\(color)\" stroke-width=\"\(f(width))\"\(dash(dashed))/>\n"
            case let .polyline(points, color, width, dashed):
                let list = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
                body +=
                    "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(f(width))\" stroke-linejoin=\"round\"\(dash(dashed))/>\n"
            case let .circle(center, radius, color):
                body += "<circle cx=\"\(f(center.0))\" cy=\"\(f(center.1))\" r=\"\(f(radius))\" fill=\"\(color)\"/>\n"
            case let .rect(x, y, width, height, fill):
                body +=
                    "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"\(fill)\"/>\n"
            case let .text(string, at, size, anchor, color, vertical):
                let rotation = vertical ? " transform=\"rotate(-90 \(f(at.0)) \(f(at.1)))\"" : ""
                body +=
                    "<text x=\"\(f(at.0))\" y=\"\(f(at.1))\" font-size=\"\(f(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(color)\"\(rotation)>\(escapeXML(string))</text>\n"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Chart.width))" height="\(Int(Chart.height))" viewBox="0 0 \(Int(Chart.width)) \(Int(Chart.height))" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="\(escapeXML(title))">
            <title>\(escapeXML(title))</title>
            \(body)</svg>
            """
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
    private func dash(_ dashed: Bool) -> String { dashed ? " stroke-dasharray=\"6 4\"" : "" }
}

func escapeXML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
