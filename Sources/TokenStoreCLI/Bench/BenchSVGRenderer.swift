import Foundation

/// Draws the latency distributions as a standalone SVG: one panel per operation, a
/// log-scale latency axis, one coloured line per store (share of operations per
/// latency bin), dashed and dotted markers at each store's p50 and p99, and a legend.
/// Hand-written text: every name that comes from input is XML-escaped.
enum BenchSVGRenderer {
    /// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999933"]
    static let width = 960.0
    static let left = 90.0
    static let right = 30.0
    static let panelHeight = 300.0
    static let plotHeight = 200.0
    /// Display bins per decade of latency.
    static let binsPerDecade = 20

    static func render(_ results: [BenchStoreResult], settings: BenchSettings) -> String {
        let legendHeight = 40.0 + 20.0 * Double(results.count + 1)
        let height = legendHeight + panelHeight * Double(settings.operations.count) + 10
        var svg: [String] = []
        svg.append(##"<?xml version="1.0" encoding="UTF-8"?>"##)
        svg.append(
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(format(width))" height="\##(format(height))" "##
                + ##"viewBox="0 0 \##(format(width)) \##(format(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">"##)
        svg.append("<title>tokenstore bench: latency distributions</title>")
        svg.append(
            "<desc>\(escape("\(settings.concurrency) task(s), \(settings.budget) per operation, warm-up \(settings.warmup)"))</desc>")
        svg.append(##"<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>"##)
        svg.append(
            ##"<text x="\##(format(left))" y="24" font-size="16" font-weight="bold">tokenstore bench: latency distribution per operation</text>"##)
        for (index, result) in results.enumerated() {
            let y = 48.0 + 20.0 * Double(index)
            let colour = palette[index % palette.count]
            svg.append(
                ##"<line x1="\##(format(left))" y1="\##(format(y - 4))" x2="\##(format(left + 28))" y2="\##(format(y - 4))" stroke="\##(colour)" stroke-width="2.5"/>"##)
            svg.append(##"<text x="\##(format(left + 36))" y="\##(format(y))">\##(index + 1): \##(escape(result.store))</text>"##)
        }
        let markerY = 48.0 + 20.0 * Double(results.count)
        svg.append(
            ##"<text x="\##(format(left))" y="\##(format(markerY))" fill="#444444">Vertical lines: dashed = p50, dotted = p99 (in the store's colour). Curves: share of operations per latency bin (\##(binsPerDecade) bins per decade).</text>"##)
        for (index, operation) in settings.operations.enumerated() {
            svg.append(contentsOf: panel(operation, results: results, top: legendHeight + panelHeight * Double(index)))
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    private static func panel(_ operation: BenchOperation, results: [BenchStoreResult], top: Double) -> [String] {
        let series = results.enumerated().map { index, result in
            (index, result, result.operations.first { $0.operation == operation })
        }
        let measured = series.compactMap { $0.2 }.filter { $0.count > 0 }
        let plotTop = top + 48
        let plotBottom = plotTop + plotHeight
        let plotRight = width - right
        var out: [String] = []
        out.append(##"<g class="panel" data-operation="\##(operation.rawValue)">"##)
        out.append(
            ##"<text x="\##(format(left))" y="\##(format(top + 24))" font-size="14" font-weight="bold">\##(operation.rawValue): \##(escape(caption(operation)))</text>"##)
        // The figures next to the picture: p50 / p99 per store, in the store's colour.
        var summary = ##"<text x="\##(format(left))" y="\##(format(top + 40))" font-size="11">p50 / p99:"##
        for (index, _, result) in series {
            let colour = palette[index % palette.count]
            let figures = result.flatMap { $0.count > 0 ? $0 : nil }.map {
                BenchFormat.micros($0.histogram.value(atQuantile: 0.5)) + " / "
                    + BenchFormat.micros($0.histogram.value(atQuantile: 0.99)) + " µs"
            } ?? "no data"
            summary += ##"  <tspan fill="\##(colour)">\##(index + 1): \##(escape(figures))</tspan>"##
        }
        out.append(summary + "</text>")
        out.append(
            ##"<rect x="\##(format(left))" y="\##(format(plotTop))" width="\##(format(plotRight - left))" height="\##(format(plotHeight))" fill="none" stroke="#888888"/>"##)

        // Latency domain in decades of microseconds, shared by the stores of the panel.
        let smallest = measured.map { max(Double($0.histogram.minNanoseconds) / 1000, 0.01) }.min() ?? 1
        let largest = measured.map { max(Double($0.histogram.maxNanoseconds) / 1000, 0.01) }.max() ?? 1000
        let low = floor(log10(smallest))
        var high = ceil(log10(largest))
        if high <= low { high = low + 1 }
        func x(_ micros: Double) -> Double {
            left + (log10(max(micros, 1e-3)) - low) / (high - low) * (plotRight - left)
        }

        // Each store's histogram folded into display bins, as percentages.
        let binCount = Int(high - low) * binsPerDecade
        let shares: [[Double]] = series.map { _, _, result in
            guard let result, result.count > 0 else { return [] }
            var bins = [Double](repeating: 0, count: binCount)
            for bucket in result.histogram.nonEmptyBuckets {
                let middle = (Double(bucket.lower) + Double(bucket.upper - 1)) / 2 / 1000
                let position = (log10(max(middle, 1e-3)) - low) * Double(binsPerDecade)
                let bin = min(max(Int(position.rounded(.down)), 0), binCount - 1)
                bins[bin] += Double(bucket.count)
            }
            return bins.map { $0 / Double(result.count) * 100 }
        }
        let peak = shares.flatMap { $0 }.max() ?? 0
        let yMax = niceCeiling(max(peak, 1))
        func y(_ share: Double) -> Double { plotBottom - share / yMax * plotHeight }

        // Grid and axes.
        for decade in Int(low)...Int(high) {
            let micros = pow(10, Double(decade))
            let px = x(micros)
            out.append(
                ##"<line x1="\##(format(px))" y1="\##(format(plotTop))" x2="\##(format(px))" y2="\##(format(plotBottom + 5))" stroke="#cccccc"/>"##)
            out.append(
                ##"<text x="\##(format(px))" y="\##(format(plotBottom + 20))" text-anchor="middle">\##(escape(BenchFormat.axisLatency(micros: micros)))</text>"##)
            if decade < Int(high) {
                for factor in [2.0, 5.0] {
                    let minor = x(micros * factor)
                    out.append(
                        ##"<line x1="\##(format(minor))" y1="\##(format(plotTop))" x2="\##(format(minor))" y2="\##(format(plotBottom))" stroke="#eeeeee"/>"##)
                }
            }
        }
        for step in 0...4 {
            let share = yMax * Double(step) / 4
            let py = y(share)
            out.append(
                ##"<line x1="\##(format(left - 5))" y1="\##(format(py))" x2="\##(format(plotRight))" y2="\##(format(py))" stroke="#eeeeee"/>"##)
            out.append(
                ##"<text x="\##(format(left - 8))" y="\##(format(py + 4))" text-anchor="end">\##(format(share))%</text>"##)
        }
        out.append(
            ##"<text x="\##(format((left + plotRight) / 2))" y="\##(format(plotBottom + 42))" text-anchor="middle">latency per operation (log scale)</text>"##)
        out.append(
            ##"<text x="\##(format(left - 58))" y="\##(format((plotTop + plotBottom) / 2))" text-anchor="middle" transform="rotate(-90 \##(format(left - 58)) \##(format((plotTop + plotBottom) / 2)))">share of operations (%)</text>"##)

        // One series per store.
        for (index, result, measuredResult) in series {
            let colour = palette[index % palette.count]
            out.append(
                ##"<g class="series" data-operation="\##(operation.rawValue)" data-store="\##(escape(result.store))" stroke="\##(colour)" fill="none">"##)
            if let measuredResult, measuredResult.count > 0 {
                let points = shares[index].enumerated().map { bin, share in
                    let micros = pow(10, low + (Double(bin) + 0.5) / Double(binsPerDecade))
                    return "\(format(x(micros))),\(format(y(share)))"
                }
                out.append(##"<polyline stroke-width="2" points="\##(points.joined(separator: " "))">"##)
                out.append("<title>\(escape("\(index + 1): \(result.store)"))</title></polyline>")
                for (label, quantile, dash) in [("p50", 0.5, "6 4"), ("p99", 0.99, "2 3")] {
                    let micros = Double(measuredResult.histogram.value(atQuantile: quantile)) / 1000
                    let px = x(micros)
                    out.append(
                        ##"<line class="marker" x1="\##(format(px))" y1="\##(format(plotTop))" x2="\##(format(px))" y2="\##(format(plotBottom))" stroke-width="1.5" stroke-opacity="0.7" stroke-dasharray="\##(dash)">"##)
                    out.append(
                        "<title>\(escape("\(index + 1): \(result.store) \(label) = \(BenchFormat.micros(UInt64(micros * 1000))) µs"))</title></line>")
                }
            } else {
                out.append(
                    ##"<text x="\##(format(left + 10))" y="\##(format(plotTop + 18 + 16 * Double(index)))" fill="\##(colour)" stroke="none">\##(index + 1): no successful operations</text>"##)
            }
            out.append("</g>")
        }
        out.append("</g>")
        return out
    }

    private static func caption(_ operation: BenchOperation) -> String {
        switch operation {
        case .put: "saveAccessToken (upsert)"
        case .get: "accessToken(for:)"
        case .take: "takeRequestToken (saved beforehand)"
        case .mixed: "80% get, 10% put, 10% save + take"
        case .setGet: "tokenSet(for:)"
        case .setPut: "saveTokenSet (upsert)"
        case .setCAS: "replaceTokenSet(ifVersion:) (compare-and-set)"
        }
    }

    /// 1, 2, 2.5, 5 × 10^n at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let magnitude = pow(10, floor(log10(value)))
        for factor in [1.0, 2.0, 2.5, 5.0, 10.0] where factor * magnitude >= value {
            return factor * magnitude
        }
        return 10 * magnitude
    }

    /// Numbers for attributes: at most two decimals, no exponent.
    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }  // 37.50 -> 37.5
        return text
    }

    /// Text and attribute values with `& < > " '` escaped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default:
                // Control characters are not allowed in XML 1.0 text.
                if let scalar = character.unicodeScalars.first, scalar.value < 0x20, scalar != "\n", scalar != "\t" {
                    escaped += "?"
                } else {
                    escaped.append(character)
                }
            }
        }
        return escaped
    }
}
