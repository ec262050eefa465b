import Foundation
import NIOHTTP1
import SCIMProtocol
import SunkSnapshot
import SunkStore
import Testing

/// Issue 10: the hostile corpus (`Tests/Fixtures/hostile/cases.jsonl`, written by `generate.py`
/// beside it) replayed against the real server. Every case gets its documented 4xx and an RFC
/// 7644 error body, never a 5xx; none stores anything (user and group counts and the org serial
/// stay as they were); and afterwards the snapshot nodes receive holds only what the test
/// created legitimately.
@Suite("Hostile request corpus")
struct HostileCorpusTests {
    struct Case: Decodable {
        var name: String
        var method: String
        var path: String
        var headers: [[String]]
        var body: String?
        var body64: String?
        var status: Int
        var scimType: String?
    }

    static let corpusURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/hostile/cases.jsonl")

    static func loadCases() throws -> [Case] {
        let text = try String(contentsOf: corpusURL, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }

    /// Expands `<<HUGE:N>>` (N times "A") and `<<SEQ:N:TEMPLATE>>` (TEMPLATE N times, joined with
    /// ",", "#" replaced by the index).
    static func expand(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "<<") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: ">>") else { break }
            let marker = rest[open.upperBound..<close.lowerBound]
            let parts = marker.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.first == "HUGE", parts.count == 2, let n = Int(parts[1]) {
                out += String(repeating: "A", count: n)
            } else if parts.first == "SEQ", parts.count == 3, let n = Int(parts[1]) {
                out += (0..<n).map { parts[2].replacingOccurrences(of: "#", with: String($0)) }.joined(separator: ",")
            } else {
                out += "<<" + marker + ">>"
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    @Test("the corpus is large and varied enough: ≥ 300 cases, unique names, only 4xx")
    func corpusShape() throws {
        let cases = try Self.loadCases()
        #expect(cases.count >= 300)
        #expect(Set(cases.map(\.name)).count == cases.count)
        #expect(cases.allSatisfy { (400..<500).contains($0.status) })
        let size = try FileManager.default.attributesOfItem(atPath: Self.corpusURL.path)[.size] as? Int ?? .max
        #expect(size < 512 * 1024, "keep the corpus small: big inputs are generated at replay time")
        #expect(Self.expand("x<<HUGE:3>>y<<SEQ:3:{\"v\": #}>>z") == "xAAAy{\"v\": 0},{\"v\": 1},{\"v\": 2}z")
    }

    @Test("every hostile request is refused with its documented 4xx, stores nothing, and the snapshot stays clean")
    func replay() async throws {
        let cases = try Self.loadCases()
        try await withServer { server in
            // What the test creates legitimately: two users and a group.
            let ada = try await server.createUser(userWith("ada@example.com", coreWeave: """
                "sunkPosixUsername": "ada", "sunkPosixUserId": 100001, "sunkPosixGroupId": 100001,
                "sunkPreferredHomeDirectory": "/home/ada", "sunkSshKeys": [\(quoted(adaLaptopKey))]
                """))
            let grace = try await server.createUser(userWith("grace@example.com", coreWeave: #""sunkPosixUsername": "grace""#))
            let group = try await server.createGroup("HPC", members: [ada])
            let before = try await state(server)

            var failures: [String] = []
            for hostile in cases {
                func fill(_ text: String) -> String {
                    Self.expand(text.replacingOccurrences(of: "{USER_ID}", with: ada)
                        .replacingOccurrences(of: "{USER2_ID}", with: grace)
                        .replacingOccurrences(of: "{GROUP_ID}", with: group)
                        .replacingOccurrences(of: "{NODE_TOKEN}", with: server.nodeToken)
                        .replacingOccurrences(of: "{TOKEN}", with: server.token))
                }
                let headers = hostile.headers.map { (fill($0[0]), fill($0[1])) }
                let ownAuth = headers.contains { $0.0.lowercased() == "authorization" }
                let body: [UInt8]? = if let text = hostile.body { Array(fill(text).utf8) }
                    else { hostile.body64.flatMap { Data(base64Encoded: $0) }.map { Array($0) } }
                let reply: Reply
                do {
                    reply = try await server.request(HTTPMethod(rawValue: hostile.method), fill(hostile.path), body: body,
                                                     headers: headers.filter { !$0.1.isEmpty }, authorize: !ownAuth)
                } catch {
                    failures.append("\(hostile.name): the request failed: \(error)")
                    continue
                }
                var problems: [String] = []
                if reply.status >= 500 { problems.append("a 5xx") }
                if reply.status != hostile.status { problems.append("status \(reply.status), expected \(hostile.status)") }
                if reply["schemas"] != .array([.string(errorURN)]) || reply["status"] != .string(String(reply.status)) {
                    problems.append("not an RFC 7644 error body")
                }
                if let scimType = hostile.scimType, reply["scimType"] != .string(scimType) {
                    problems.append("scimType \(reply["scimType"]?.stringValue ?? "none"), expected \(scimType)")
                }
                if try await state(server) != before { problems.append("it changed what is stored") }
                if !problems.isEmpty {
                    failures.append("\(hostile.name): \(problems.joined(separator: "; ")) — \(reply.text.prefix(200))")
                }
            }
            #expect(failures.isEmpty, "\(failures.count) of \(cases.count) cases:\n\(failures.joined(separator: "\n"))")

            // The snapshot nodes get holds exactly the legitimate users and group.
            let snapshot = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            #expect(snapshot.status == 200)
            let trust = TrustedKeys(keys: try server.database.trustKeys(org: "default", includePrevious: false))
            let document = try SnapshotOpening.open(Data(snapshot.body), trust: trust, expectedOrg: "default").document
            try document.validated()
            #expect(document.body.users.map(\.name).sorted() == ["ada", "grace"])
            #expect(document.body.users.first { $0.name == "ada" }?.home == "/home/ada")
            #expect(document.body.groups.map(\.name) == ["hpc"])
            #expect(document.body.groups.first?.members == ["ada"])
            #expect(document.body.skipped.isEmpty)
        }
    }

    struct Stored: Equatable {
        var users: [String]
        var groups: [String]
        var serial: Int64
    }

    /// Users (id and version), groups (id, version, members) and the org serial.
    func state(_ server: TestServer) async throws -> Stored {
        let org = try server.org()
        let users = try await server.database.users(org: org).map { "\($0.id) v\($0.version)" }
        let groups = try await server.database.groups(org: org).map { "\($0.id) v\($0.version) \($0.members.map(\.id))" }
        return Stored(users: users, groups: groups, serial: org.serial)
    }
}
