// Issue 10 on the node: a local account's primary gid is taken even without an /etc/group line.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing

@Suite("Node floor: local primary gids")
struct LocalPrimaryGIDTests {
    @Test("a local account's primary gid with no /etc/group line is taken, for users and for groups")
    func primaryGIDWithoutGroupLine() async throws {
        let root = try Fixture.makeRoot(extraPasswd: "orphan:x:20010:20050:no group line:/srv/orphan:/usr/sbin/nologin\n")
        defer { Fixture.remove(root) }
        let local = try LocalAccounts.load(NodePaths(root: root))
        #expect(local.gids[20050] == nil, "no /etc/group line for 20050")
        #expect(local.gidOwner(20050) == "the primary group of local account orphan in /etc/passwd")
        let body = Fixture.body(users: [Fixture.user("pg", uid: 100001, gid: 20050), Fixture.user("ok", uid: 100002)],
                                groups: [Fixture.group("sneaky", gid: 20050, members: ["ok"])])
        let report = try await Fixture.syncBody(body, root: root)
        #expect(report.plan.users.map(\.name) == ["ok"])
        let reasons = Dictionary(uniqueKeysWithValues: report.plan.skipped.map { ($0.name ?? "", $0.reason) })
        #expect(reasons["pg"] == "primary gid 20050 belongs to the primary group of local account orphan in /etc/passwd on this node")
        #expect(reasons["sneaky"] == "gid 20050 belongs to the primary group of local account orphan in /etc/passwd on this node")
        #expect(!Fixture.read(root + "/var/lib/extrausers/group").contains("20050"))
    }
}
