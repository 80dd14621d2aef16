import Synchronization
import WardenEngine

/// The service's counters, rendered in the Prometheus text exposition format (version 0.0.4)
/// by ``render(engine:inFlight:alertQueueDepth:)``.
///
/// Written by hand rather than with swift-prometheus: the scoring path records one request and
/// its decisions under one uncontended lock (a batch of 100 decisions is counted locally first),
/// whereas swift-metrics' `Counter(label:dimensions:)` looks a counter up per call and label set;
/// and the exposition format for counters and one histogram is a few dozen lines.
///
/// Every counter only grows for the life of the process; Prometheus' `rate()` handles restarts.
package final class ServerMetrics: Sendable {
    /// Upper bounds of the latency histogram buckets, in seconds (`+Inf` is implied).
    package static let latencyBuckets: [Double] = [
        0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: ServerMetrics.latencyBuckets.count + 1)
        var sum: Double = 0
        var count = 0

        mutating func observe(_ seconds: Double) {
            var i = 0
            let bounds = ServerMetrics.latencyBuckets
            while i < bounds.count, seconds > bounds[i] { i += 1 }
            counts[i] += 1
            sum += seconds
            count += 1
        }
    }

    private struct Pair: Hashable, Comparable {
        var a: String
        var b: String
        static func < (l: Pair, r: Pair) -> Bool { (l.a, l.b) < (r.a, r.b) }
    }

    private struct State {
        var requests: [Pair: Int] = [:]  // route, status
        var latency: [String: Histogram] = [:]  // route
        var decisions: [Pair: Int] = [:]  // pack, action
        var hits: [Pair: Int] = [:]  // pack, rule
        var flagged: [String: Int] = [:]  // pack
        var invalidEvents: [String: Int] = [:]  // pack
        var alertsRaised = 0
        var alertsWritten: [String: Int] = [:]  // sink
        var alertRetries = 0
        var alertsDeadLettered: [String: Int] = [:]  // reason
    }

    private let state = Mutex(State())


    package init() {}

    // MARK: Recording

    /// One HTTP request finished.
    package func request(route: String, status: Int, seconds: Double) {
        state.withLock {
            $0.requests[Pair(a: route, b: String(status)), default: 0] += 1
            $0.latency[route, default: Histogram()].observe(seconds)
        }
    }

    /// One decision (`POST /v1/score`): counted straight under the lock, no tally.
    package func decision(_ s: ScoredDecision, pack: String) {
        let action = s.action
        let rules = s.pack.program.rules
        state.withLock { st in
            st.decisions[Pair(a: pack, b: action), default: 0] += 1
            for h in s.decision.hits { st.hits[Pair(a: pack, b: rules[h.rule].id), default: 0] += 1 }
            if s.flagged { st.flagged[pack, default: 0] += 1 }
            if s.alerts { st.alertsRaised += 1 }
        }
    }

    /// Decisions a batch produced, counted as they were made (see ``DecisionTally``).
    package func decisions(_ tally: DecisionTally, pack: String) {
        state.withLock { st in
            for (action, n) in tally.actions { st.decisions[Pair(a: pack, b: action), default: 0] += n }
            for (rule, n) in tally.hits { st.hits[Pair(a: pack, b: rule), default: 0] += n }
            if tally.flagged > 0 { st.flagged[pack, default: 0] += tally.flagged }
            if tally.invalid > 0 { st.invalidEvents[pack, default: 0] += tally.invalid }
            st.alertsRaised += tally.alerts
        }
    }

    /// An event refused as invalid (400).
    package func invalidEvent(pack: String) {
        state.withLock { $0.invalidEvents[pack, default: 0] += 1 }
    }

    package func alertsWritten(sink: String, count: Int) {
        state.withLock { $0.alertsWritten[sink, default: 0] += count }
    }

    package func alertRetried(count: Int) {
        state.withLock { $0.alertRetries += count }
    }

    package func alertsDeadLettered(reason: String, count: Int) {
        state.withLock { $0.alertsDeadLettered[reason, default: 0] += count }
    }

    // MARK: Reading

    /// One counter's value, for tests: `requests(route:status:)`.
    package func requests(route: String, status: Int) -> Int {
        state.withLock { $0.requests[Pair(a: route, b: String(status))] ?? 0 }
    }

    package var deadLettered: Int { state.withLock { $0.alertsDeadLettered.values.reduce(0, +) } }

    /// The Prometheus text exposition of every metric.
    package func render(engine: Engine, inFlight: Int, alertQueueDepth: Int?) -> String {
        let s = state.withLock { $0 }
        var out = PrometheusText()

        out.header("warden_http_requests_total", "counter", "HTTP requests by route and status code.")
        for (k, v) in s.requests.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_http_requests_total", [("route", k.a), ("status", k.b)], v)
        }
        out.header("warden_http_request_duration_seconds", "histogram",
                   "Time from the handler receiving a request to its response, by route.")
        for (route, h) in s.latency.sorted(by: { $0.key < $1.key }) {
            var cumulative = 0
            for (i, bound) in Self.latencyBuckets.enumerated() {
                cumulative += h.counts[i]
                out.sample("warden_http_request_duration_seconds_bucket", [("route", route), ("le", PrometheusText.number(bound))], cumulative)
            }
            out.sample("warden_http_request_duration_seconds_bucket", [("route", route), ("le", "+Inf")], h.count)
            out.sample("warden_http_request_duration_seconds_sum", [("route", route)], PrometheusText.number(h.sum))
            out.sample("warden_http_request_duration_seconds_count", [("route", route)], h.count)
        }
        out.header("warden_http_in_flight_requests", "gauge", "Scoring requests being handled now.")
        out.sample("warden_http_in_flight_requests", [], inFlight)

        out.header("warden_decisions_total", "counter", "Decisions by pack and action.")
        for (k, v) in s.decisions.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_decisions_total", [("pack", k.a), ("action", k.b)], v)
        }
        out.header("warden_rule_hits_total", "counter", "Rule hits by pack and rule id (shadow rules included).")
        for (k, v) in s.hits.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_rule_hits_total", [("pack", k.a), ("rule", k.b)], v)
        }
        out.header("warden_evaluation_errors_total", "counter",
                   "Flagged decisions: a rule or decide entry failed to evaluate (the pack's on_error applied).")
        for (k, v) in s.flagged.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_evaluation_errors_total", [("pack", k)], v)
        }
        out.header("warden_invalid_events_total", "counter", "Events refused as malformed or with a bad field, by pack.")
        for (k, v) in s.invalidEvents.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_invalid_events_total", [("pack", k)], v)
        }

        out.header("warden_pack_reloads_total", "counter", "Pack loads (the first one included) by pack and result.")
        for (pack, c) in engine.reloadCounts.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_pack_reloads_total", [("pack", pack), ("result", "ok")], c.ok)
            out.sample("warden_pack_reloads_total", [("pack", pack), ("result", "failed")], c.failed)
        }
        out.header("warden_pack_info", "gauge", "The pack version serving each name (value 1).")
        for info in engine.loaded {
            out.sample("warden_pack_info", [("pack", info.name), ("package", info.package), ("version", info.version ?? ""),
                                             ("hash", info.contentHash), ("generation", String(info.generation))], 1)
        }
        out.header("warden_window_keys", "gauge", "Keys holding velocity-window state, by pack and window.")
        for (pack, windows) in engine.windowKeys.sorted(by: { $0.key < $1.key }) {
            for (window, n) in windows.sorted(by: { $0.key < $1.key }) {
                out.sample("warden_window_keys", [("pack", pack), ("window", window)], n)
            }
        }

        out.header("warden_alerts_raised_total", "counter", "Decisions that became alerts.")
        out.sample("warden_alerts_raised_total", [], s.alertsRaised)
        out.header("warden_alerts_written_total", "counter", "Alerts written, by sink (file, webhook).")
        for (k, v) in s.alertsWritten.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_alerts_written_total", [("sink", k)], v)
        }
        out.header("warden_alert_retries_total", "counter", "Alert deliveries to the webhook retried (per alert).")
        out.sample("warden_alert_retries_total", [], s.alertRetries)
        out.header("warden_alerts_dead_lettered_total", "counter",
                   "Alerts written to the dead-letter file, by reason (queue_full, webhook, file, shutdown).")
        for (k, v) in s.alertsDeadLettered.sorted(by: { $0.key < $1.key }) {
            out.sample("warden_alerts_dead_lettered_total", [("reason", k)], v)
        }
        if let depth = alertQueueDepth {
            out.header("warden_alert_queue_depth", "gauge", "Alerts waiting for the background writer.")
            out.sample("warden_alert_queue_depth", [], depth)
        }
        return out.text
    }
}

/// A batch's decisions counted locally, then added to the metrics under one lock.
package struct DecisionTally {
    var actions: [String: Int] = [:]
    var hits: [String: Int] = [:]
    var flagged = 0
    var alerts = 0
    package var invalid = 0

    package init() {}

    package mutating func add(_ s: ScoredDecision) {
        actions[s.action, default: 0] += 1
        if !s.decision.hits.isEmpty {
            let rules = s.pack.program.rules
            for h in s.decision.hits { hits[rules[h.rule].id, default: 0] += 1 }
        }
        if s.flagged { flagged += 1 }
        if s.alerts { alerts += 1 }
    }
}

/// Builds Prometheus text exposition: `# HELP`, `# TYPE`, then `name{label="value"} number` lines.
struct PrometheusText {
    var text = ""

    mutating func header(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        sample(name, labels, String(value))
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (i, (k, v)) in labels.enumerated() {
                if i > 0 { text += "," }
                text += k + "=\"" + Self.escape(v) + "\""
            }
            text += "}"
        }
        text += " " + value + "\n"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A float in the shortest form Prometheus reads back exactly (`0.0005`, `1`, `2.5`).
    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }
}
