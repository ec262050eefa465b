import Foundation
import NIOHTTP1
import SCIMProtocol
import SunkStore
import Testing
import TestSupport

@Suite("Observability")
struct ObservabilityTests {
    static let password = "xY7!okta-generated"
    static let keyBody = "AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8"

    @Test("one log line per request with id, org, token name, status, duration and scimType; no secret ever")
    func requestLog() async throws {
        try await withObservedServer { server, log in
            let body = Fixtures.oktaCreateUser.serialized()
            // 1: created, with the client's request id.
            let created = try await server.send(.POST, "/scim/default/Users", body: body, bearer: server.token,
                                                headers: [("X-Request-Id", "okta-req-0001")])
            #expect(created.status == 201, "\(created.text)")
            #expect(created.headers.first(name: "X-Request-Id") == "okta-req-0001")
            // 2: the same user again: 409 uniqueness; an unusable request id is replaced.
            let duplicate = try await server.send(.POST, "/scim/default/Users", body: body, bearer: server.token,
                                                  headers: [("X-Request-Id", "not a token; \(server.token)")])
            #expect(duplicate.status == 409)
            let generated = try #require(duplicate.headers.first(name: "X-Request-Id"))
            #expect(generated.count == 32 && generated.allSatisfy(\.isHexDigit), "generated id \(generated)")
            // 3: a filter query (the query string is not logged).
            let listed = try await server.send(.GET, "/scim/default/Users?filter=userName%20eq%20%22ada.lovelace%40example.com%22",
                                               bearer: server.token)
            #expect(listed.status == 200)
            // 4: a wrong token.
            let refused = try await server.send(.GET, "/scim/default/Users", bearer: "sbt_not-a-real-secret")
            #expect(refused.status == 401)
            // 5: an unknown endpoint.
            let missing = try await server.send(.GET, "/nowhere", bearer: server.token)
            #expect(missing.status == 404)

            let lines = log.requestLines
            #expect(lines.count == 5, "one line per request: \(lines.map(\.rendered))")
            guard lines.count == 5 else { return }
            for line in lines {
                #expect(line.level == .info)
                for key in ["request_id", "method", "path", "route", "status", "duration_ms"] {
                    #expect(line.metadata[key] != nil, "\(key) missing in \(line.rendered)")
                }
                #expect(Double(line.metadata["duration_ms"] ?? "") ?? -1 >= 0, "\(line.rendered)")
            }
            let first = lines[0].metadata
            #expect(first["request_id"] == "okta-req-0001")
            #expect(first["method"] == "POST")
            #expect(first["path"] == "/scim/default/Users")
            #expect(first["route"] == "/scim/:org/Users")
            #expect(first["org"] == "default")
            #expect(first["token"] == server.tokenName)
            #expect(first["status"] == "201")
            #expect(first["scim_type"] == nil)

            let second = lines[1].metadata
            #expect(second["request_id"] == generated)
            #expect(second["status"] == "409")
            #expect(second["scim_type"] == "uniqueness")
            #expect(second["token"] == server.tokenName)

            #expect(lines[2].metadata["path"] == "/scim/default/Users")
            #expect(lines[3].metadata["status"] == "401")
            #expect(lines[3].metadata["token"] == nil)
            #expect(lines[3].metadata["org"] == "default")
            #expect(lines[4].metadata["status"] == "404")
            #expect(lines[4].metadata["org"] == nil)
            #expect(Set(lines.compactMap { $0.metadata["request_id"] }).count == 5, "request ids are distinct")

            let everything = log.allText
            for secret in [server.token, "sbt_not-a-real-secret", Self.password, Self.keyBody, "Bearer", "filter="] {
                #expect(!everything.contains(secret), "the log contains \(secret)")
            }
        }
    }

    @Test("a 403 after authentication names the token; a handler's error line carries the request id")
    func refusalsAndFailuresAreAttributed() async throws {
        try await withObservedServer { server, log in
            let nodeToken = try server.database.createToken(org: "default", name: "login-node-7", scope: .node)
            // A node token writing: 403, and the line says which token tried.
            let wrongScope = try await server.send(.POST, "/scim/default/Users", body: Fixtures.oktaCreateUser.serialized(),
                                                   bearer: nodeToken, headers: [("X-Request-Id", "scope-403")])
            #expect(wrongScope.status == 403, "\(wrongScope.text)")
            // The SCIM API switched off: 403 for the IdP's token, named too.
            _ = try server.database.updateOrg("default", scimAPI: false)
            let switchedOff = try await server.send(.GET, "/scim/default/Users", bearer: server.token,
                                                    headers: [("X-Request-Id", "off-403")])
            #expect(switchedOff.status == 403, "\(switchedOff.text)")
            _ = try server.database.updateOrg("default", scimAPI: true)

            // A database that lost a table under the running server: the write fails with 500, and
            // the handler's own error line has the same request id as the request line.
            let dropped = try await run("/usr/bin/sqlite3", [server.databasePath, "DROP TABLE audit"])
            #expect(dropped.status == 0, "sqlite3 (apt-get install sqlite3): \(dropped.output)")
            let failed = try await server.send(.POST, "/scim/default/Users", body: Fixtures.oktaCreateUser.serialized(),
                                               bearer: server.token, headers: [("X-Request-Id", "broken-500")])
            #expect(failed.status == 500, "\(failed.text)")

            let byID = Dictionary(log.requestLines.map { ($0.metadata["request_id"] ?? "", $0.metadata) }) { a, _ in a }
            #expect(byID["scope-403"]?["status"] == "403")
            #expect(byID["scope-403"]?["token"] == "login-node-7", "\(byID["scope-403"] ?? [:])")
            #expect(byID["off-403"]?["status"] == "403")
            #expect(byID["off-403"]?["token"] == server.tokenName, "\(byID["off-403"] ?? [:])")
            #expect(byID["broken-500"]?["status"] == "500")
            let errorLines = log.entries.filter { $0.level == .error && $0.message != "request" }
            #expect(errorLines.contains { $0.metadata["request_id"] == "broken-500" },
                    "the handler's error line names the request: \(errorLines.map(\.rendered))")
            #expect(!log.allText.contains(nodeToken))
        }
    }

    @Test("/metrics parses with the Prometheus reference parser: requests by route and status, latency, per-org gauges")
    func metrics() async throws {
        try await withObservedServer { server, log in
            var ids: [String] = []
            for i in 0..<3 {
                let reply = try await server.send(.POST, "/scim/default/Users",
                                                  body: userBody("metrics-user-\(i)@example.com").serialized(),
                                                  bearer: server.token)
                #expect(reply.status == 201, "\(reply.text)")
                ids.append(try #require(try JSONValue.parse(reply.body)["id"]?.stringValue))
            }
            let again = try await server.send(.POST, "/scim/default/Users",
                                              body: userBody("metrics-user-0@example.com").serialized(), bearer: server.token)
            #expect(again.status == 409)
            #expect(try await server.send(.GET, "/scim/default/Users/\(ids[0])", bearer: server.token).status == 200)
            let group = try await server.send(.POST, "/scim/default/Groups",
                                              body: Array(#"{"displayName": "metrics-secret-group"}"#.utf8), bearer: server.token)
            #expect(group.status == 201, "\(group.text)")

            let scrape = try await server.send(.GET, "/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.headers.first(name: "Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            for name in ids + ["metrics-user-0", "metrics-secret-group"] {
                #expect(!scrape.text.contains(name), "/metrics reveals \(name)")
            }
            let samples = try await parsePrometheus(scrape.body)
            let requests = "sunk_bridge_http_requests_total"
            #expect(samples.first { $0.name == requests }?.type == "counter")
            #expect(samples.value(requests, ["route": "/scim/:org/Users", "method": "POST", "status": "201"]) == 3)
            #expect(samples.value(requests, ["route": "/scim/:org/Users", "method": "POST", "status": "409"]) == 1)
            #expect(samples.value(requests, ["route": "/scim/:org/Users/:id", "method": "GET", "status": "200"]) == 1)
            #expect(samples.value(requests, ["route": "/scim/:org/Groups", "method": "POST", "status": "201"]) == 1)
            #expect(!samples.contains { $0.labels.values.contains { $0.contains("/scim/default") } }, "raw paths as labels")

            let duration = "sunk_bridge_http_request_duration_seconds"
            #expect(samples.first { $0.name == duration + "_count" }?.type == "histogram")
            #expect(samples.value(duration + "_count", ["route": "/scim/:org/Users", "method": "POST"]) == 4)
            #expect(samples.value(duration + "_bucket", ["route": "/scim/:org/Users", "method": "POST", "le": "+Inf"]) == 4)
            #expect((samples.value(duration + "_sum", ["route": "/scim/:org/Users", "method": "POST"]) ?? -1) > 0)

            let org = try await server.database.org(named: "default")
            #expect(samples.value("sunk_bridge_users", ["org": "default"]) == 3)
            #expect(samples.value("sunk_bridge_groups", ["org": "default"]) == 1)
            #expect(samples.value("sunk_bridge_org_serial", ["org": "default"]) == Double(org.serial))
            #expect(org.serial > 0)
            let changed = try #require(try? Date(org.changedAt, strategy: .iso8601))
            #expect(samples.value("sunk_bridge_last_write_timestamp_seconds", ["org": "default"])
                    == changed.timeIntervalSince1970)
            #expect(samples.first { $0.name == "sunk_bridge_users" }?.type == "gauge")

            // The scrape itself is counted by the next scrape, under its route.
            let next = try await parsePrometheus(try await server.send(.GET, "/metrics").body)
            #expect(next.value(requests, ["route": "/metrics", "method": "GET", "status": "200"]) == 1)
        }
    }

    @Test("/readyz answers 200 while the database answers; /healthz needs no token")
    func ready() async throws {
        try await withObservedServer { server, log in
            let ready = try await server.send(.GET, "/readyz")
            #expect(ready.status == 200, "\(ready.text)")
            let health = try await server.send(.GET, "/healthz")
            #expect(health.status == 200 && health.text == "ok\n")
            // Probes are logged at debug, not at info.
            #expect(log.requestLines.filter { $0.level == .info }.isEmpty)
            #expect(log.requestLines.count == 2)
        }
    }

    @Test("/readyz answers 503 when the database probe fails, while /healthz stays 200")
    func notReady() async throws {
        try await withObservedServer(ready: { false }) { server, log in
            let ready = try await server.send(.GET, "/readyz")
            #expect(ready.status == 503)
            #expect(ready.text.contains("database"))
            #expect(try await server.send(.GET, "/healthz").status == 200)
        }
    }
}
