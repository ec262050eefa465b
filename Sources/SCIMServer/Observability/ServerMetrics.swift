import Prometheus
import SunkStore
import Synchronization

/// The server's Prometheus metrics. Each server owns its registry and records into it directly
/// (no process-wide `MetricsSystem` bootstrap), so several servers in one process (the tests)
/// never share or double-register anything.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let database: any IdentityStore
    /// The change feed's held requests (`/export/v1/changes`), when the server has a feed.
    private let watch: SerialWatch?
    /// Orgs that have gauges, so a deleted org's series disappear instead of freezing.
    private let orgGauges = Mutex<[String: [Gauge]]>([:])

    static var requests: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "sunk_bridge", metricName: "http_requests", unitName: "total",
        helpText: "HTTP requests answered, by route pattern, method and status.") }
    static var duration: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "sunk_bridge", metricName: "http_request_duration", unitName: "seconds",
        helpText: "Time to answer an HTTP request, by route pattern and method.") }
    static var users: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "sunk_bridge", metricName: "users", unitName: "",
        helpText: "Users stored in the org (active or not).") }
    static var groups: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "sunk_bridge", metricName: "groups", unitName: "",
        helpText: "Groups stored in the org.") }
    static var serial: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "sunk_bridge", metricName: "org_serial", unitName: "",
        helpText: "The org's change serial (the snapshot ETag nodes see).") }
    static var lastWrite: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "sunk_bridge", metricName: "last_write_timestamp", unitName: "seconds",
        helpText: "Unix time of the org's last change.") }

    static var waiting: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "sunk_bridge", metricName: "change_feed_waiting", unitName: "",
        helpText: "Change-feed requests (sync --watch nodes) held open now, waiting for a publication.") }

    static let buckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    init(database: any IdentityStore, watch: SerialWatch? = nil) {
        self.database = database
        self.watch = watch
    }

    /// Counts one answered request. `route` is the pattern (`/scim/:org/Users/:id`), never the raw
    /// path, so ids and org names do not multiply the series.
    func record(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests,
                             labels: [("route", route), ("method", method), ("status", String(status))])
            .increment()
        registry.makeDurationHistogram(descriptor: Self.duration, labels: [("route", route), ("method", method)],
                                       buckets: Self.buckets)
            .record(duration)
    }

    /// The text exposition, with the per-org gauges refreshed from the database first (one read).
    func scrape() async throws -> [UInt8] {
        let stats = try await database.orgStats()
        if let watch {
            registry.makeGauge(descriptor: Self.waiting).set(Double(await watch.waiting))
        }
        orgGauges.withLock { known in
            var current: [String: [Gauge]] = [:]
            for org in stats {
                let labels = [("org", org.org)]
                let users = registry.makeGauge(descriptor: Self.users, labels: labels)
                let groups = registry.makeGauge(descriptor: Self.groups, labels: labels)
                let serial = registry.makeGauge(descriptor: Self.serial, labels: labels)
                users.set(Double(org.users))
                groups.set(Double(org.groups))
                serial.set(Double(org.serial))
                var gauges = [users, groups, serial]
                if let lastWrite = org.lastWrite {
                    let gauge = registry.makeGauge(descriptor: Self.lastWrite, labels: labels)
                    gauge.set(lastWrite)
                    gauges.append(gauge)
                }
                current[org.org] = gauges
            }
            for (org, gauges) in known where current[org] == nil {
                for gauge in gauges { registry.unregisterGauge(gauge) }
            }
            known = current
        }
        return registry.emitToBuffer()
    }

    /// Hummingbird's route description is `/scim/{org}/Users/{id}`; the label uses the spelling
    /// the routes are registered with.
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, !endpointPath.isEmpty else { return "unmatched" }
        if endpointPath == "NotFound" { return "unmatched" }
        let components = endpointPath.split(separator: "/").map { component in
            component.hasPrefix("{") && component.hasSuffix("}") ? ":" + component.dropFirst().dropLast() : String(component)
        }
        return "/" + components.joined(separator: "/")
    }
}
