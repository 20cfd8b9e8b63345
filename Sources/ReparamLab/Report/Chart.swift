import Foundation

/// A chart the lab reports: lines (optionally log-log) or grouped bars, with a title, axis
/// labels, a legend and a caption stating the claim it tests. Rendered to SVG and PNG from the
/// same drawing list, so the two copies agree.
public struct Chart: Sendable {
    public struct Series: Sendable {
        public var name: String
        /// (x, y); for bar charts x is the category index.
        public var points: [(x: Double, y: Double)]
        public var dashed = false
        public var markers = true
        public var lines = true
        /// Palette index; by default the series' position. An empty `name` keeps it out of the legend.
        public var color: Int?

        public init(
            name: String, points: [(x: Double, y: Double)], dashed: Bool = false, markers: Bool = true,
            lines: Bool = true,
            color: Int? = nil
        ) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.markers = markers
            self.lines = lines
            self.color = color
        }
    }

    public var name: String
    public var title: String
    public var caption: String
    public var xLabel: String
    public var yLabel: String
    public var xLog: Bool
    public var yLog: Bool
    public var series: [Series]
    /// Non-nil for a bar chart: one group per category, one bar per series.
    public var categories: [String]?

    public init(
        name: String, title: String, caption: String, xLabel: String, yLabel: String, xLog: Bool = false,
        yLog: Bool = false, series: [Series], categories: [String]? = nil
    ) {
        self.name = name
        self.title = title
        self.caption = caption
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xLog = xLog
        self.yLog = yLog
        self.series = series
        self.categories = categories
    }

    static let width = 820.0, height = 440.0
    static let palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
        "#393b79", "#637939", "#843c39", "#7b4173",
    ]
}

/// What a renderer draws, in pixels from the top-left corner.
enum Drawing {
    case line(from: (Double, Double), to: (Double, Double), color: String, width: Double, dashed: Bool)
    case polyline([(Double, Double)], color: String, width: Double, dashed: Bool)
    case circle(center: (Double, Double), radius: Double, color: String)
    case rect(x: Double, y: Double, width: Double, height: Double, fill: String)
    case text(String, at: (Double, Double), size: Double, anchor: TextAnchor, color: String, vertical: Bool)
}

enum TextAnchor: String { case start, middle, end }

/// A data axis mapped to pixels, linear or log10.
struct Axis {
    let low: Double, high: Double, log: Bool
    let pixelLow: Double, pixelHigh: Double

    init(values: [Double], log: Bool, pixels: (Double, Double), includeZero: Bool = false) {
        var finite = values.filter { $0.isFinite && (!log || $0 > 0) }
        if finite.isEmpty { finite = [1] }
        if includeZero && !log { finite.append(0) }
        var (lo, hi) = (finite.min()!, finite.max()!)
        if log {
            // Bars grow from the bottom edge: leave a decade below the smallest so it shows.
            (lo, hi) = (pow(10, floor(log10(lo) + 1e-9) - (includeZero ? 1 : 0)), pow(10, ceil(log10(hi) - 1e-9)))
            if lo == hi { (lo, hi) = (lo / 10, hi * 10) }
        } else {
            if lo == hi { (lo, hi) = (lo - 1, hi + 1) }
            let step = Axis.niceStep((hi - lo) / 5)
            (lo, hi) = (floor(lo / step) * step, ceil(hi / step) * step)
        }
        (low, high, self.log) = (lo, hi, log)
        (pixelLow, pixelHigh) = pixels
    }

    func pixel(_ v: Double) -> Double {
        let t = log ? (log10(v) - log10(low)) / (log10(high) - log10(low)) : (v - low) / (high - low)
        return pixelLow + t * (pixelHigh - pixelLow)
    }

    var ticks: [Double] {
        if log {
            let decades = Int(log10(high) - log10(low))
            let stride = max(1, decades / 8)
            return Swift.stride(from: Int(log10(low)), through: Int(log10(high)), by: stride).map {
                pow(10, Double($0))
            }
        }
        let step = Axis.niceStep((high - low) / 5)
        return Swift.stride(from: low, through: high + step / 2, by: step).map { $0 }
    }

    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e4 || a < 1e-3 {
            // Mantissa and exponent: 1e4, 1.5e4, 2e4 (not "1e4" for every tick of a linear axis).
            let exponent = Int(floor(log10(a) + 1e-9))
            let mantissa = (v / pow(10, Double(exponent)) * 100).rounded() / 100
            return String(format: "%ge%d", mantissa, exponent)
        }
        return String(format: "%g", v)
    }
}

extension Chart {
    /// The chart as drawing commands.
    func drawings() -> [Drawing] {
        let (left, right, top, bottom) = (80.0, Chart.width - 200, 44.0, Chart.height - 70)
        var out: [Drawing] = [.rect(x: 0, y: 0, width: Chart.width, height: Chart.height, fill: "#ffffff")]
        out.append(
            .text(title, at: (Chart.width / 2, 24), size: 15, anchor: .middle, color: "#111111", vertical: false))
        let ys = series.flatMap { $0.points.map(\.y) }
        let yAxis = Axis(values: ys, log: yLog, pixels: (bottom, top), includeZero: categories != nil)
        let xAxis: Axis
        if let categories {
            xAxis = Axis(values: [-0.5, Double(categories.count) - 0.5], log: false, pixels: (left, right))
        } else {
            xAxis = Axis(values: series.flatMap { $0.points.map(\.x) }, log: xLog, pixels: (left, right))
        }
        // Grid and tick labels.
        for t in yAxis.ticks {
            let y = yAxis.pixel(t)
            out.append(.line(from: (left, y), to: (right, y), color: "#e4e4e4", width: 1, dashed: false))
            out.append(
                .text(Axis.label(t), at: (left - 6, y + 4), size: 11, anchor: .end, color: "#333333", vertical: false))
        }
        if let categories {
            let slot = xAxis.pixel(1) - xAxis.pixel(0)
            for (i, name) in categories.enumerated() {
                for (line, part) in Chart.wrap(name, width: slot).enumerated() {
                    out.append(
                        .text(
                            part, at: (xAxis.pixel(Double(i)), bottom + 16 + 13 * Double(line)), size: 11,
                            anchor: .middle,
                            color: "#333333", vertical: false))
                }
            }
        } else {
            for t in xAxis.ticks {
                let x = xAxis.pixel(t)
                out.append(.line(from: (x, top), to: (x, bottom), color: "#e4e4e4", width: 1, dashed: false))
                out.append(
                    .text(
                        Axis.label(t), at: (x, bottom + 16), size: 11, anchor: .middle, color: "#333333",
                        vertical: false))
            }
        }
        out.append(.line(from: (left, bottom), to: (right, bottom), color: "#333333", width: 1, dashed: false))
        out.append(.line(from: (left, top), to: (left, bottom), color: "#333333", width: 1, dashed: false))
        out.append(
            .text(
                xLabel, at: ((left + right) / 2, Chart.height - 12), size: 12, anchor: .middle, color: "#111111",
                vertical: false))
        out.append(
            .text(yLabel, at: (20, (top + bottom) / 2), size: 12, anchor: .middle, color: "#111111", vertical: true))
        out += categories == nil ? lineMarks(xAxis, yAxis) : barMarks(xAxis, yAxis, bottom: bottom)
        // Legend.
        for (row, (i, s)) in series.enumerated().filter({ !$0.element.name.isEmpty }).enumerated() {
            let y = top + 8 + Double(row) * 20, color = color(i)
            if categories != nil {
                out.append(.rect(x: right + 16, y: y - 6, width: 20, height: 12, fill: color))
            } else {
                if s.lines {
                    out.append(
                        .line(from: (right + 14, y), to: (right + 38, y), color: color, width: 2, dashed: s.dashed))
                }
                if s.markers { out.append(.circle(center: (right + 26, y), radius: 3.5, color: color)) }
            }
            out.append(
                .text(s.name, at: (right + 44, y + 4), size: 11, anchor: .start, color: "#111111", vertical: false))
        }
        return out
    }

    private func color(_ i: Int) -> String { Chart.palette[(series[i].color ?? i) % Chart.palette.count] }

    /// Splits a category label at hyphens into lines that fit `width` pixels (≈ 6.5 px a character).
    static func wrap(_ label: String, width: Double) -> [String] {
        var lines: [String] = []
        for word in label.split(separator: "-", omittingEmptySubsequences: false).map(String.init) {
            if let last = lines.last, Double(last.count + word.count + 1) * 6.5 <= width {
                lines[lines.count - 1] = last + "-" + word
            } else {
                lines.append(lines.isEmpty ? word : "-" + word)
            }
        }
        return lines
    }

    private func lineMarks(_ xAxis: Axis, _ yAxis: Axis) -> [Drawing] {
        var out: [Drawing] = []
        for (i, s) in series.enumerated() {
            let color = color(i)
            let points = s.points.filter {
                $0.x.isFinite && $0.y.isFinite && (!xLog || $0.x > 0) && (!yLog || $0.y > 0)
            }
            .map { (xAxis.pixel($0.x), yAxis.pixel($0.y)) }
            if s.lines && points.count > 1 { out.append(.polyline(points, color: color, width: 2, dashed: s.dashed)) }
            if s.markers { out += points.map { .circle(center: $0, radius: 3.5, color: color) } }
        }
        return out
    }

    private func barMarks(_ xAxis: Axis, _ yAxis: Axis, bottom: Double) -> [Drawing] {
        var out: [Drawing] = []
        let groupWidth = (xAxis.pixel(1) - xAxis.pixel(0)) * 0.8
        let barWidth = groupWidth / Double(max(1, series.count))
        let base = yAxis.log ? yAxis.pixel(yAxis.low) : yAxis.pixel(0)
        for (i, s) in series.enumerated() {
            for p in s.points where p.y.isFinite && (!yAxis.log || p.y > 0) {
                let x = xAxis.pixel(p.x) - groupWidth / 2 + Double(i) * barWidth
                let y = yAxis.pixel(p.y)
                out.append(
                    .rect(
                        x: x + 1, y: min(y, base), width: barWidth - 2, height: abs(base - y),
                        fill: color(i)))
            }
        }
        return out
    }
}
