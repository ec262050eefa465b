// The node's compiled-in floor on system names: a snapshot whose own policy no longer reserves
// `admin`, `wheel`, `sudo` or `root` still cannot create them here (Ubuntu's sudoers grants `%admin`).
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing

@Suite("Node floor: reserved system names")
struct ReservedNamesFloorTests {
    @Test("a snapshot that empties its reserved-name lists creates no admin, wheel or sudo group and no system user")
    func reservedNamesStayReserved() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        var policy = Policy.default
        policy.reservedUserNames = []
        policy.reservedGroupNames = []
        let users = [Fixture.user("ada", uid: 100001), Fixture.user("admin", uid: 100002),
                     Fixture.user("docker", uid: 100003)]
        let groups = [Fixture.group("admin", gid: 200001, members: ["ada"]),
                      Fixture.group("wheel", gid: 200002, members: ["ada"]),
                      Fixture.group("sudo", gid: 200003, members: ["ada"]),
                      Fixture.group("hpc", gid: 200004, members: ["ada"])]
        let report = try await Fixture.syncBody(Fixture.body(users: users, groups: groups, policy: policy), root: root)

        let passwd = Fixture.read(root + "/var/lib/extrausers/passwd")
        let group = Fixture.read(root + "/var/lib/extrausers/group")
        let groupNames = group.split(separator: "\n").map { $0.split(separator: ":").first.map(String.init) ?? "" }
        #expect(passwd.contains("ada:x:100001:"), "\(passwd)")
        #expect(!passwd.contains("\nadmin:") && !passwd.hasPrefix("admin:"), "\(passwd)")
        for name in ["admin", "wheel", "sudo", "docker"] {
            #expect(!groupNames.contains(name), "group \(name) written:\n\(group)")
        }
        #expect(group.contains("hpc:x:200004:ada"), "\(group)")
        #expect(group.contains("g100003:x:100003:"), "docker's private group takes the g<gid> name:\n\(group)")
        let reasons = report.plan.skipped.filter { $0.origin == .node }.map { "\($0.name ?? ""): \($0.reason)" }
        for name in ["admin", "wheel", "sudo"] {
            #expect(reasons.contains { $0.hasPrefix("\(name): name \(name) is a reserved system group name") }, "\(reasons)")
        }
        #expect(reasons.contains { $0.hasPrefix("admin: name admin is a reserved system account name") }, "\(reasons)")
    }
}
