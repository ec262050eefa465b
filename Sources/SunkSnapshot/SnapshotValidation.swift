// Defence in depth: a node re-checks every entry of a snapshot with the server's own rules.
import SunkModel

extension SnapshotDocument {
    /// Re-validates the whole snapshot under `body.policy` and throws on the first problem, naming
    /// the entry. Nothing of a snapshot that fails here may be used.
    ///
    /// Checked: the policy itself; for each user `name`, `uid`, `gid`, `home`, `shell` and every key
    /// pass `PosixRules` and are already canonical (the rule's output equals the value), `gecos` equals
    /// `PosixRules.gecos(gecos)`; user names, uids and homes are unique and no home lies inside another;
    /// for each group `name` and `gid` pass the rules, names and gids are unique, members are sorted,
    /// unique and name users of the snapshot; users and groups are in canonical (bytewise name) order.
    public func validated() throws(SnapshotError) {
        try SnapshotValidator(body: body).run()
    }
}

/// The checks behind `SnapshotDocument.validated()`.
struct SnapshotValidator {
    let body: SnapshotBody

    func run() throws(SnapshotError) {
        do {
            try body.policy.validate()
        } catch {
            throw .invalidEntry("policy: \(error)")
        }
        try checkUsers()
        try checkGroups()
    }

    private func checkUsers() throws(SnapshotError) {
        let policy = body.policy
        var names = Set<String>()
        var uids = Set<UInt32>()
        var homes = Set<String>()
        var previous: String?
        for user in body.users {
            // The label is made only for a refusal: this loop runs for every user of every snapshot.
            func fail(_ reason: String) -> SnapshotError {
                .invalidEntry("user \(Self.quoted(user.name)) (SCIM id \(Self.quoted(user.id))): \(reason)")
            }
            do throws(RuleViolation) {
                try Self.expectCanonical(try PosixRules.userName(user.name, policy: policy), user.name,
                                         SCIMAttribute.userName)
                try Self.expectCanonical(try PosixRules.userID(.integer(Int64(user.uid)), policy: policy),
                                         user.uid, SCIMAttribute.userID)
                try Self.expectCanonical(try PosixRules.groupID(.integer(Int64(user.gid)), policy: policy),
                                         user.gid, SCIMAttribute.groupID)
                try Self.expectCanonical(try PosixRules.homeDirectory(user.home, policy: policy), user.home,
                                         SCIMAttribute.homeDirectory)
                try Self.expectCanonical(try PosixRules.loginShell(user.shell, policy: policy), user.shell,
                                         SCIMAttribute.loginShell)
                let keys = try PosixRules.sshKeys(user.keys, policy: policy)
                for (index, key) in keys.enumerated() where key.rendered != user.keys[index] {
                    throw RuleViolation(attribute: SCIMAttribute.sshKeys,
                                          reason: "key \(index + 1) is not in canonical form")
                }
                if keys.count != user.keys.count {
                    throw RuleViolation(attribute: SCIMAttribute.sshKeys, reason: "key list changed when parsed")
                }
            } catch {
                throw fail(error.description)
            }
            if PosixRules.gecos(user.gecos) != user.gecos {
                throw fail("gecos: contains characters that are not allowed in a passwd line")
            }
            if let previous, !SnapshotOrder.less(previous, user.name) {
                throw previous == user.name ? fail("duplicate user name") : fail("users are not sorted by name")
            }
            previous = user.name
            if !names.insert(user.name).inserted { throw fail("duplicate user name") }
            if !uids.insert(user.uid).inserted { throw fail("uid \(user.uid) is used by another user") }
            if !homes.insert(user.home).inserted { throw fail("home \(user.home) is used by another user") }
        }
        for user in body.users {
            for parent in PosixRules.ancestors(of: user.home) {
                if homes.contains(parent) {
                    throw .invalidEntry("user \(Self.quoted(user.name)) (SCIM id \(Self.quoted(user.id))): "
                        + "home \(user.home) lies inside another user's home \(parent)")
                }
            }
        }
    }

    private func checkGroups() throws(SnapshotError) {
        let policy = body.policy
        let userNames = Set(body.users.map(\.name))
        var names = Set<String>()
        var gids = Set<UInt32>()
        var previous: String?
        for group in body.groups {
            func fail(_ reason: String) -> SnapshotError {
                .invalidEntry("group \(Self.quoted(group.name)) (SCIM id \(Self.quoted(group.id))): \(reason)")
            }
            do throws(RuleViolation) {
                try Self.expectCanonical(try PosixRules.groupName(group.name, policy: policy), group.name,
                                         SCIMAttribute.groupDisplayName)
                try Self.expectCanonical(try PosixRules.groupID(.integer(Int64(group.gid)), policy: policy),
                                         group.gid, SCIMAttribute.groupID)
            } catch {
                throw fail(error.description)
            }
            if let previous, !SnapshotOrder.less(previous, group.name) {
                throw previous == group.name ? fail("duplicate group name") : fail("groups are not sorted by name")
            }
            previous = group.name
            if !names.insert(group.name).inserted { throw fail("duplicate group name") }
            if !gids.insert(group.gid).inserted { throw fail("gid \(group.gid) is used by another group") }
            var previousMember: String?
            for member in group.members {
                if !userNames.contains(member) {
                    throw fail("member \(Self.quoted(member)) is not a user of this snapshot")
                }
                if let previousMember, !SnapshotOrder.less(previousMember, member) {
                    throw fail("members are not sorted and unique")
                }
                previousMember = member
            }
        }
    }

    private static func expectCanonical<T: Equatable>(_ canonical: T, _ value: T, _ attribute: String)
        throws(RuleViolation)
    {
        if canonical != value {
            throw RuleViolation(attribute: attribute, reason: "not in canonical form (expected \(canonical))")
        }
    }

    /// A value in double quotes, escaped for a log line (`Printable.quoted`), at most 80 characters.
    static func quoted(_ s: String) -> String { Printable.quoted(s, limit: 80) }
}
