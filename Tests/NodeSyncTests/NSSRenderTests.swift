// passwd/group/shadow lines, user-private groups and the libnss-cache index format.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing

@Suite("NSS renderers")
struct NSSRenderTests {
    @Test func goldenLines() {
        let u = NodeUser(name: "ada", uid: 100001, gid: 100000, gecos: "Ada Lovelace", home: "/home/ada",
                         shell: "/bin/bash", keys: [], locked: false)
        #expect(NSSRender.passwdLine(u) == "ada:x:100001:100000:Ada Lovelace:/home/ada:/bin/bash\n")
        #expect(NSSRender.shadowLine(u) == "ada:*:::::::\n")
        #expect(NSSRender.shadowLine(u).split(separator: ":", omittingEmptySubsequences: false).count == 9)
        var locked = u
        locked.locked = true
        let fields = NSSRender.shadowLine(locked).dropLast().split(separator: ":", omittingEmptySubsequences: false)
        #expect(NSSRender.shadowLine(locked) == "ada:!*::::::1:\n")
        #expect(fields.count == 9 && fields[1].hasPrefix("!") && fields[7] == "1", "\(fields)")
        let g = NodeGroup(name: "hpc-research-eu", gid: 2000001, members: ["ada", "bob"], userPrivate: false)
        #expect(NSSRender.groupLine(g) == "hpc-research-eu:x:2000001:ada,bob\n")
        let empty = NodeGroup(name: "g5", gid: 100005, members: [], userPrivate: true)
        #expect(NSSRender.groupLine(empty) == "g5:x:100005:\n")
    }

    @Test func userPrivateGroups() {
        let body = Fixture.body(
            users: [
                Fixture.user("ada", uid: 100001),                    // own gid → group "ada"
                Fixture.user("bob", uid: 100002, gid: 300000),       // shared gid → "g300000"
                Fixture.user("cyd", uid: 100003, gid: 300000),
                Fixture.user("dev", uid: 100004, gid: 2000001),      // gid provided by SCIM group
                Fixture.user("team", uid: 100005),                   // name taken by SCIM group → g100005
            ],
            groups: [Fixture.group("team", gid: 2000001, members: ["ada", "dev"])])
        let plan = NodeFloor.plan(body, local: LocalAccounts(shells: ["/bin/bash"]), homePrefixes: ["/home"])
        let lines = plan.groups.map(NSSRender.groupLine)
        #expect(lines == [
            "ada:x:100001:\n", "g100005:x:100005:\n", "g300000:x:300000:\n", "team:x:2000001:ada,dev\n",
        ])
        #expect(plan.userPrivateGroups == 3)
        #expect(plan.users.map(\.name) == ["ada", "bob", "cyd", "dev", "team"])
    }

    @Test func deterministicOrderIsBytewise() {
        let body = Fixture.body(users: [Fixture.user("b_x", uid: 100002), Fixture.user("b-x", uid: 100001),
                                        Fixture.user("a", uid: 100003)])
        let plan = NodeFloor.plan(SnapshotDocument.make(body: body).body, local: LocalAccounts(shells: ["/bin/bash"]), homePrefixes: ["/home"])
        #expect(plan.users.map(\.name) == ["a", "b-x", "b_x"])
    }
}

@Suite("libnss-cache index")
struct CacheIndexTests {
    static let users: [NodeUser] = [99999, 100000, 10000, 9999_9999, 123456, 20000].enumerated().map { i, uid in
        NodeUser(name: "user\(i)", uid: UInt32(uid), gid: UInt32(uid), gecos: "", home: "/home/user\(i)",
                 shell: "/bin/sh", keys: [], locked: false)
    }

    struct Line { var key: String; var offset: Int; var raw: [UInt8] }

    static func parse(_ index: [UInt8]) -> [Line] {
        index.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().map { raw in
            let parts = raw.split(separator: 0, omittingEmptySubsequences: true)
            return Line(key: String(decoding: parts[0], as: UTF8.self),
                        offset: Int(String(decoding: parts[1], as: UTF8.self))!, raw: Array(raw))
        }
    }

    @Test func uidIndexIsBytewiseSortedWithCorrectOffsets() {
        let data = NSSRender.passwd(Self.users)
        let index = CacheIndex.build(data: data, column: 2)
        #expect(index.last == UInt8(ascii: "\n"))
        let lines = Self.parse(index)
        #expect(lines.map(\.key) == ["10000", "100000", "123456", "20000", "99999", "99999999"])
        // "100000" sorts before "99999": bytewise, not numeric.
        #expect(lines.firstIndex { $0.key == "100000" }! < lines.firstIndex { $0.key == "99999" }!)
        for line in lines {
            let rest = data[line.offset...]
            let entry = String(decoding: rest.prefix(while: { $0 != UInt8(ascii: "\n") }), as: UTF8.self)
            #expect(entry.split(separator: ":")[2] == Substring(line.key), "offset \(line.offset) → \(entry)")
            #expect(line.offset == 0 || data[line.offset - 1] == UInt8(ascii: "\n"))
        }
    }

    @Test func everyLineHasTheSameWidthAndLayout() {
        let data = NSSRender.passwd(Self.users)
        for column in [0, 2] {
            let lines = Self.parse(CacheIndex.build(data: data, column: column))
            let widths = Set(lines.map(\.raw.count))
            #expect(widths.count == 1, "column \(column) widths \(widths)")
            let maxKey = lines.map(\.key.utf8.count).max()!
            let maxOffset = lines.map { String($0.offset).count }.max()!
            #expect(widths.first == maxKey + maxOffset + 2)
            for line in lines {
                // KEY \0 OFFSET \0 then only \0 padding.
                let k = line.key.utf8.count
                #expect(line.raw[k] == 0)
                let o = String(line.offset).count
                #expect(line.raw[k + 1 + o] == 0)
                #expect(line.raw[(k + 1 + o)...].allSatisfy { $0 == 0 })
            }
        }
    }

    @Test func nameIndexAndEmptyData() {
        let data = NSSRender.passwd(Self.users)
        let names = Self.parse(CacheIndex.build(data: data, column: 0)).map(\.key)
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(names.count == Self.users.count)
        #expect(CacheIndex.build(data: [], column: 0).isEmpty)
    }
}
