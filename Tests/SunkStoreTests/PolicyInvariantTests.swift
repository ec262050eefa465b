import Foundation
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
@testable import SunkStore

/// TestSupport's SplitMix64: a failing case can be replayed from its seed.
typealias SeededRNG = SplitMix64

/// Issue 10, "a policy change silently stops every node": whatever the store holds and whatever
/// policy is applied (forced or not), every snapshot the receiver publishes passes the node's own
/// `SnapshotDocument.validated()` in full. Random stores and policies, through the store's real
/// code paths (createUser, createGroup, updateUser, updateOrg, publishedDocument).
@Suite("Policy changes never strand nodes (property)")
struct PolicyInvariantTests {
    static let names = ["ada", "bob", "cyd", "dev", "eve", "fay", "gus", "metrics", "read", "slurm2"]
    static let groupNames = ["Team A", "metrics", "Read", "HPC (EU)", "billing_viewer", "ops"]
    static let prefixes = ["/home", "/shared/home", "/srv/home"]
    static let shells = ["/bin/bash", "/bin/zsh", "/bin/sh", "/usr/sbin/nologin"]
    static let keys: [String] = (0..<3).map { seed in
        let type = Array("ssh-ed25519".utf8)
        let blob: [UInt8] = [0, 0, 0, UInt8(type.count)] + type + [0, 0, 0, 32] + (0..<32).map { UInt8(($0 * 5 + seed * 11) & 0xff) }
        return "ssh-ed25519 " + Base64.encode(blob) + " k\(seed)@test"
    }

    static func pick<T>(_ list: [T], _ rng: inout SeededRNG) -> T { list[Int.random(in: 0..<list.count, using: &rng)] }

    static func subset<T>(_ list: [T], _ rng: inout SeededRNG) -> [T] {
        let chosen = list.filter { _ in Bool.random(using: &rng) }
        return chosen.isEmpty ? [pick(list, &rng)] : chosen
    }

    static func randomPolicy(_ rng: inout SeededRNG) -> Policy {
        var p = Policy.default
        p.homePrefixes = subset(prefixes, &rng)
        p.shells = subset(shells, &rng)
        p.defaultShell = pick(p.shells, &rng)
        p.userIDRange = IDRange(lower: pick([10000, 100_000, 1_000_000], &rng), upper: 2_147_483_647)
        p.groupIDRange = IDRange(lower: pick([10000, 200_000, 2_000_000], &rng), upper: 2_147_483_647)
        p.reserveLegacyConsoleGroups = Bool.random(using: &rng)
        if Bool.random(using: &rng) { p.reservedUserNames += [pick(names, &rng)] }
        if Bool.random(using: &rng) { p.reservedGroupNames += ["ops"] }
        p.maxKeys = Int.random(in: 0...3, using: &rng)
        p.deactivation = Bool.random(using: &rng) ? .lock : .remove
        return p
    }

    /// What the SCIM edge would accept under `policy`; nil when it would answer 400.
    static func edgeDraft(_ rng: inout SeededRNG, step: Int, policy: Policy) -> UserDraft? {
        let name = pick(names, &rng)
        let uid: UInt32? = Bool.random(using: &rng) ? pick([15000, 150_000, 1_200_000, 2_000_000, 2_000_001], &rng) : nil
        let gid: UInt32? = Int.random(in: 0..<4, using: &rng) == 0 ? pick([150_000, 2_000_000, 2_000_001], &rng) : nil
        let home: String? = Bool.random(using: &rng) ? pick(prefixes, &rng) + "/" + name + "\(step)" : nil
        let shell: String? = Bool.random(using: &rng) ? pick(shells, &rng) : nil
        let keys = Array(Self.keys.prefix(Int.random(in: 0...2, using: &rng)))
        do {
            _ = try PosixRules.userName(name, policy: policy)
            if let uid { _ = try PosixRules.userID(.integer(Int64(uid)), policy: policy) }
            if let gid { _ = try PosixRules.groupID(.integer(Int64(gid)), policy: policy) }
            if let home { _ = try PosixRules.homeDirectory(home, policy: policy) }
            if let shell { _ = try PosixRules.loginShell(shell, policy: policy) }
            _ = try PosixRules.sshKeys(keys, policy: policy)
        } catch {
            return nil
        }
        let userName = "\(name)@s\(step).example.com"
        return UserDraft(userName: userName, externalID: nil, active: Int.random(in: 0..<4, using: &rng) != 0,
                         document: "{}", gecos: "User \(name)", posixName: Int.random(in: 0..<4, using: &rng) != 0 ? name : nil,
                         derivedName: PosixRules.derivedUserName(fromUserName: userName, policy: policy),
                         uid: uid, gid: gid, home: home, shell: shell, keys: keys)
    }

    @Test("200 seeded random stores and policies: every published snapshot validates in full",
          arguments: StoreEngine.all)
    func everyPublishedSnapshotValidates(engine: StoreEngine) async throws {
        var rng = SeededRNG(seed: 0x5EED_0010)
        var snapshots = 0
        var forcedChanges = 0
        var refusedChanges = 0
        var refusedEntries = 0
        var exportedUsers = 0
        for iteration in 0..<200 {
            try await engine.withStore { database in
                for step in 0..<10 {
                    let org = try await database.org(named: "default")
                    switch Int.random(in: 0..<11, using: &rng) {
                    case 0...4:
                        if let draft = Self.edgeDraft(&rng, step: step, policy: org.policy) {
                            _ = try? await database.createUser(org: org, draft: draft, actor: "prop")
                        }
                    case 5...6:
                        let display = Self.pick(Self.groupNames, &rng) + (Bool.random(using: &rng) ? "" : " \(step)")
                        guard let posix = try? PosixRules.derivedGroupName(fromDisplayName: display, policy: org.policy)
                        else { break }
                        let users = try await database.users(org: org, lookup: .all)
                        let members = users.filter { _ in Bool.random(using: &rng) }.map(\.id)
                        _ = try? await database.createGroup(org: org, draft: GroupDraft(
                            displayName: display, externalID: nil, document: "{}", posixName: posix, memberIDs: members),
                            actor: "prop")
                    case 7:
                        let users = try await database.users(org: org, lookup: .all)
                        guard !users.isEmpty else { break }
                        let user = Self.pick(users, &rng)
                        _ = try? await database.updateUser(org: org, id: user.id, ifMatch: nil, actor: "prop",
                                                           method: "PATCH") { current in
                            UserDraft(userName: current.userName, externalID: nil, active: !current.active,
                                      document: current.document, gecos: current.gecos, posixName: current.explicitName,
                                      derivedName: PosixRules.derivedUserName(fromUserName: current.userName, policy: org.policy),
                                      uid: current.explicitUID, gid: current.explicitGID, home: current.explicitHome,
                                      shell: current.explicitShell, keys: current.keys)
                        }
                    default:
                        let policy = Self.randomPolicy(&rng)
                        let force = Bool.random(using: &rng)
                        let stranded = try await database.policyRefusals(org: "default", policy: policy)
                        do {
                            _ = try await database.updateOrg("default", scimAPI: nil, provisioning: nil, policy: policy, force: force, actor: "prop")
                            #expect(force || stranded.isEmpty, "a stranding change went through without force")
                            if !stranded.isEmpty { forcedChanges += 1 }
                        } catch StoreError.invalidValue(let message) {
                            #expect(!force && !stranded.isEmpty, "refused: \(message)")
                            #expect(message.contains(stranded[0].name) && message.contains("--force"), "\(message)")
                            refusedChanges += 1
                        }
                    }
                    let current = try await database.org(named: "default")
                    let document = try await database.publishedDocument(org: current)
                    do {
                        try document.validated()
                    } catch {
                        Issue.record("iteration \(iteration) step \(step): published snapshot refused by the node: \(error)")
                    }
                    let refusals = try await database.exportRefusals(org: current)
                    // Every refusal is in the snapshot's skipped list, with its reason.
                    let skipped = Set(document.body.skipped.map(\.id))
                    #expect(refusals.allSatisfy { skipped.contains($0.id) })
                    refusedEntries += refusals.count
                    exportedUsers += document.body.users.count
                    snapshots += 1
                }
            }
        }
        #expect(snapshots == 2000)
        // The property was exercised: changes were refused, forced changes left entries out, users exported.
        #expect(refusedChanges > 20, "\(refusedChanges)")
        #expect(forcedChanges > 20, "\(forcedChanges)")
        #expect(refusedEntries > 100, "\(refusedEntries)")
        #expect(exportedUsers > 1000, "\(exportedUsers)")
        print("policy property: \(snapshots) snapshots validated; \(refusedChanges) policy changes refused, "
              + "\(forcedChanges) forced, \(refusedEntries) not-exported entries seen, \(exportedUsers) exported users")
    }
}
