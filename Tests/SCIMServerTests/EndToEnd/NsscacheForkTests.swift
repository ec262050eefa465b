// SUNK's nsscache fork (its SCIM source) against the node view, replayed request for request: the
// URL encoding of Python's urlencode (spaces as `+`), the legacy startIndex walk with and without
// `count`, the opt-in cursor walk (`cursor=` then `cursor=TOKEN`), its example filters, and the
// maps it builds from the answers, compared with the files `sync` writes for the same snapshot.
import Foundation
import SCIMProtocol
import Testing
import TestSupport

@Suite("nsscache fork against the node view", .serialized)
struct NsscacheForkTests {
    /// Python's `urlencode` (quote_plus): unreserved characters kept, space as `+`, the rest %XX.
    static func urlencode(_ params: [(String, String)]) -> String {
        func quote(_ s: String) -> String {
            var out = ""
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"),
                     UInt8(ascii: "~"):
                    out.unicodeScalars.append(Unicode.Scalar(b))
                case UInt8(ascii: " "): out += "+"
                default: out += String(format: "%%%02X", b)
                }
            }
            return out
        }
        return params.map { "\(quote($0.0))=\(quote($0.1))" }.joined(separator: "&")
    }

    /// The fork's `_BuildUrlWithParameters`: `k=v&k2=v2` split on `&` and `=`, re-encoded.
    static func url(_ endpoint: String, _ parameters: String) -> String {
        guard !parameters.isEmpty else { return endpoint }
        let pairs = parameters.split(separator: "&").map { p -> (String, String) in
            let kv = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        }
        return endpoint + "?" + urlencode(pairs)
    }

    /// The fork's `GetUpdates`: a cursor walk when the URL has `cursor`, else the startIndex walk.
    /// `between` runs after the first page (to publish changes mid-walk). Returns every resource.
    static func walk(_ server: TestServer, _ url: String, between: () async throws -> Void = {}) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        var pages = 0
        if url.contains("cursor=") {
            var current = url
            while true {
                let reply = try await server.get(current, token: server.nodeToken)
                try #require(reply.status == 200, "\(current): \(reply.status) \(reply.text)")
                all += reply.resources
                pages += 1
                if pages == 1 { try await between() }
                guard let next = reply["nextCursor"]?.stringValue, !next.isEmpty else { break }
                try #require(pages < 500, "the cursor walk does not end")
                // `_SetCursorParam`: the original URL with cursor replaced.
                current = url.replacingOccurrences(of: "cursor=", with: "cursor=" + urlencode([("c", next)]).dropFirst(2))
            }
            return all
        }
        var start = 1
        while true {
            let separator = url.contains("?") ? "&" : "?"
            let reply = try await server.get("\(url)\(separator)startIndex=\(start)", token: server.nodeToken)
            try #require(reply.status == 200, "\(url): \(reply.status) \(reply.text)")
            all += reply.resources
            pages += 1
            if pages == 1 { try await between() }
            let total = Int(reply["totalResults"]?.int64Value ?? 0)
            let per = Int(reply["itemsPerPage"]?.int64Value ?? 0)
            let at = Int(reply["startIndex"]?.int64Value ?? 1)
            if at + per - 1 >= total { break }
            try #require(pages < 500 && per > 0, "the startIndex walk does not end")
            start = at + per
        }
        return all
    }

    static func ids(_ resources: [JSONValue]) -> [String] { resources.compactMap { $0["id"]?.stringValue } }

    /// 125 users (the fork's failing case), one deactivated, two groups.
    static func populate(_ server: TestServer) async throws -> [String] {
        var ids: [String] = []
        for i in 1...125 {
            let id = try await server.createUser(userBody("user\(i)@example.com", posixName: "user\(i)", uid: 200000 + i,
                                                          extra: "\"sunkSshKeys\": [\"\(adaLaptopKey)\"]"))
            ids.append(id)
        }
        _ = try await server.createGroup("research", members: Array(ids.prefix(40)))
        _ = try await server.createGroup("ops", members: Array(ids.suffix(3)))
        let off = try await server.patch("/Users/\(ids[9])", json("""
            {"schemas": ["\(patchURN)"], "Operations": [{"op": "replace", "value": {"active": false}}]}
            """))
        try #require(off.status == 200)
        return ids
    }

    /// Publishes changes: two new users and a deactivation.
    static func change(_ server: TestServer, _ ids: [String], tag: String) async throws {
        for i in 1...2 {
            _ = try await server.createUser(userBody("new-\(tag)-\(i)@example.com", posixName: "new\(tag)\(i)"))
        }
        let off = try await server.patch("/Users/\(ids[0])", json("""
            {"schemas": ["\(patchURN)"], "Operations": [{"op": "replace", "value": {"active": \(tag == "b" ? "true" : "false")}}]}
            """))
        try #require(off.status == 200)
    }

    @Test("every walk the fork makes returns exactly the node view it started from, changes mid-walk or not")
    func walksAreCompleteAndConsistent() async throws {
        try await withServer { server in
            let ids = try await Self.populate(server)
            let walks = ["", "count=50", "cursor", "count=50&cursor", "count=7&cursor"]
            for (n, parameters) in walks.enumerated() {
                let reference = try await server.get("/node/Users", token: server.nodeToken).resources
                #expect(reference.count >= 125)
                let users = try await Self.walk(server, Self.url("/node/Users", parameters)) {
                    try await Self.change(server, ids, tag: n % 2 == 0 ? "a\(n)" : "b\(n)")
                }
                #expect(Self.ids(users) == Self.ids(reference), "walk \"\(parameters)\": not the state it started from")
                #expect(Set(Self.ids(users)).count == users.count, "walk \"\(parameters)\" repeated entries")
            }
            // Groups too, with the user-private groups sync writes.
            let groups = try await Self.walk(server, Self.url("/node/Groups", "count=20&cursor"))
            let reference = try await server.get("/node/Groups", token: server.nodeToken).resources
            #expect(Self.ids(groups) == Self.ids(reference))
            #expect(groups.count > 125, "user-private groups are served: \(groups.count)")
        }
    }

    @Test("the fork's example filters are applied; bad filters and unknown parameters are refused")
    func filtersAndParameters() async throws {
        try await withServer { server in
            let ids = try await Self.populate(server)
            let active = try await Self.walk(server, Self.url("/node/Users", "filter=active eq \"true\"&cursor"))
            #expect(active.count == 124, "the deactivated user is left out: \(active.count)")
            #expect(!Self.ids(active).contains(ids[9]))
            let all = try await Self.walk(server, Self.url("/node/Users", "count=50"))
            #expect(all.count == 125, "without the filter the locked user is served (nologin, no keys)")
            let groups = try await Self.walk(server, Self.url("/node/Groups",
                                                              "filter=displayName eq \"research\" or displayName eq \"ops\""))
            #expect(Set(groups.compactMap { $0["displayName"]?.stringValue }) == ["research", "ops"])

            let garbage = try await server.get(Self.url("/node/Users", "filter=garbage(("), token: server.nodeToken)
            expectSCIMError(garbage, status: 400, scimType: "invalidFilter")
            // The fork's example also sends groups=admin: refused by name, never silently ignored.
            let unknown = try await server.get(Self.url("/node/Users", "groups=admin&filter=active eq \"true\""),
                                               token: server.nodeToken)
            expectSCIMError(unknown, status: 400, scimType: "invalidValue", detailContains: ["\"groups\""])
            let forged = try await server.get("/node/Users?cursor=1.0.AAAAAAAAAAAAAAAA", token: server.nodeToken)
            expectSCIMError(forged, status: 400, scimType: "invalidCursor")
            // A cursor is bound to its query: reused with another filter it is refused.
            let first = try await server.get("/node/Users?count=10&cursor=", token: server.nodeToken)
            let next = try #require(first["nextCursor"]?.stringValue)
            let other = try await server.get("/node/Users?count=11&cursor=\(next)", token: server.nodeToken)
            expectSCIMError(other, status: 400, scimType: "invalidCursor")
            let last = try await server.get("/node/Users?count=1000&cursor=", token: server.nodeToken)
            #expect(last["nextCursor"] == nil, "no nextCursor on the last page")
            let zero = try await server.get("/node/Users?count=0&cursor=", token: server.nodeToken)
            #expect(zero.resources.isEmpty && zero["nextCursor"] == nil, "count=0 cannot loop a client forever")
        }
    }

    @Test("the maps the fork builds from the node view equal sync's files for the same snapshot")
    func sameFilesAsSync() async throws {
        try await withServer { server in
            let ids = try await Self.populate(server)
            _ = ids
            let bridge = try Binaries.sunkBridge()
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("fork-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
            try "root:x:0:0:root:/root:/bin/bash\n".write(toFile: root + "/etc/passwd", atomically: false, encoding: .utf8)
            try "root:x:0:\nshadow:x:42:\n".write(toFile: root + "/etc/group", atomically: false, encoding: .utf8)
            try "/bin/sh\n/bin/bash\n/usr/bin/bash\n".write(toFile: root + "/etc/shells", atomically: false, encoding: .utf8)
            let sync = try await run(bridge, ["sync", "--db", server.databasePath, "--root", root, "--quiet"])
            try #require(sync.status == 0, "\(sync.output)")
            func lines(_ file: String) -> Set<String> {
                Set(((try? String(contentsOfFile: root + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
            }
            let cw = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
            let posix = "urn:sunk-bridge:params:scim:schemas:extension:posix:2.0:Group"
            let users = try await Self.walk(server, Self.url("/node/Users", "count=50&cursor"))
            let groups = try await Self.walk(server, Self.url("/node/Groups", "cursor"))
            // ScimPasswdMapParser with README's paths.
            let passwd = Set(users.map { u -> String in
                let e = u[cw]!
                return "\(e["sunkPosixUsername"]!.stringValue!):x:\(e["sunkPosixUserId"]!.int64Value!):\(e["sunkPosixGroupId"]!.int64Value!):"
                    + "\(u["displayName"]?.stringValue ?? ""):\(e["sunkPreferredHomeDirectory"]!.stringValue!):\(e["sunkLoginShell"]!.stringValue!)"
            })
            #expect(passwd == lines("/var/lib/extrausers/passwd"))
            // ScimGroupMapParser: displayName, gidNumber, members/value.
            let group = Set(groups.map { g -> String in
                let members = (g["members"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
                return "\(g["displayName"]!.stringValue!):x:\(g[posix]!["gidNumber"]!.int64Value!):\(members.joined(separator: ","))"
            })
            #expect(group == lines("/var/lib/extrausers/group"))
            // ScimShadowMapParser with [shadow] scim_path_username: `NAME:*:::::::` for every user. The
            // fork's shadow map has no per-user fields, so only active users can match line for line.
            let activeNames = users.filter { $0["active"] == .bool(true) }.map { $0[cw]!["sunkPosixUsername"]!.stringValue! }
            let shadow = lines("/var/lib/extrausers/shadow")
            for name in activeNames { #expect(shadow.contains("\(name):*:::::::"), "\(name)") }
            #expect(shadow.count == users.count)
            // ScimSshkeyMapParser: the keys of each user equal the keys cache's.
            let cache = (try? String(contentsOfFile: root + "/var/lib/sunk-bridge/keys.cache", encoding: .utf8)) ?? ""
            var cached: [String: [String]] = [:]
            for line in cache.split(separator: "\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                cached[String(parts[0])] = parts.count > 2 && !parts[2].isEmpty ? parts[2].split(separator: "\t").map(String.init) : []
            }
            for u in users {
                let name = u[cw]!["sunkPosixUsername"]!.stringValue!
                let keys = (u[cw]!["sunkSshKeys"]?.arrayValue ?? []).compactMap(\.stringValue)
                #expect(cached[name] == keys, "keys of \(name)")
            }
        }
    }
}
