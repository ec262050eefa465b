// The checks that keep a suspicious snapshot from emptying, re-numbering, locking or re-keying a node.

/// What the node's files currently give each IdP user: read back from the NSS files and the keys
/// cache this node last wrote (empty when there are none).
public struct CurrentAccounts: Equatable, Sendable {
    public struct Account: Equatable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public var locked: Bool
        /// nil when the keys cache has no line for the user.
        public var keys: [String]?

        public init(uid: UInt32, gid: UInt32, locked: Bool = false, keys: [String]? = nil) {
            self.uid = uid
            self.gid = gid
            self.locked = locked
            self.keys = keys
        }
    }

    /// Names in passwd order.
    public var names: [String]
    public var accounts: [String: Account]

    public init(names: [String] = [], accounts: [String: Account] = [:]) {
        self.names = names
        self.accounts = accounts
    }

    /// Reads passwd (names, uid, gid), shadow (a password field starting with `!` is a locked user)
    /// and the keys cache.
    public static func load(passwdPath: String, shadowPath: String, keysCachePath: String) throws(SyncError)
        -> CurrentAccounts
    {
        guard let passwd = try SystemCall.read(passwdPath) else { return CurrentAccounts() }
        var result = CurrentAccounts()
        for line in String(decoding: passwd, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard let name = f.first.map(String.init), !name.isEmpty else { continue }
            result.names.append(name)
            if f.count > 3, let uid = UInt32(f[2]), let gid = UInt32(f[3]), result.accounts[name] == nil {
                result.accounts[name] = Account(uid: uid, gid: gid)
            }
        }
        if let shadow = try SystemCall.read(shadowPath) {
            for line in String(decoding: shadow, as: UTF8.self).split(separator: "\n") {
                let f = line.split(separator: ":", omittingEmptySubsequences: false)
                if f.count > 1, f[1].hasPrefix("!"), result.accounts[String(f[0])] != nil {
                    result.accounts[String(f[0])]!.locked = true
                }
            }
        }
        if let cache = try SystemCall.read(keysCachePath) {
            // Header line, then `name:uid:key<TAB>key…` (AuthorizedKeys.KeysCache).
            for line in String(decoding: cache, as: UTF8.self).split(separator: "\n").dropFirst() {
                let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard f.count == 3, result.accounts[String(f[0])] != nil else { continue }
                result.accounts[String(f[0])]!.keys = f[2].isEmpty ? [] : f[2].split(separator: "\t").map(String.init)
            }
        }
        return result
    }
}

/// Guards applied before anything is written.
public enum SyncGuards {
    /// The smallest number of removals (and of locks, and of key replacements) always allowed,
    /// whatever the percentage.
    public static let removalFloor = 5

    /// The user names in an existing passwd file (empty when there is none).
    public static func currentUserNames(passwdPath: String) throws(SyncError) -> [String] {
        guard let bytes = try SystemCall.read(passwdPath) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            line.split(separator: ":", maxSplits: 1).first.map(String.init)
        }
    }

    /// How many of `current` users a single sync may remove, lock or re-key.
    public static func allowed(current: Int, percent: Int) -> Int {
        max(removalFloor, current * percent / 100)
    }

    /// Refuses an empty result over a non-empty node, and more removals than
    /// `max(removalFloor, current × percent / 100)`.
    public static func check(current: [String], planned: NodePlan, maxDeletePercent: Int) throws(SyncError) {
        if planned.users.isEmpty && !current.isEmpty {
            throw .emptySnapshot(currentUsers: current.count)
        }
        let remaining = Set(planned.users.map(\.name))
        let removing = current.filter { !remaining.contains($0) }.count
        let allowed = Self.allowed(current: current.count, percent: maxDeletePercent)
        if removing > allowed {
            throw .tooManyRemovals(removing: removing, current: current.count, allowed: allowed,
                                   percent: maxDeletePercent)
        }
    }

    /// Every guard: the empty snapshot, then removals, then the other mass changes, which are held
    /// together (`SyncError.held`, one line per kind):
    /// - a uid or primary-gid change for a name the node already has (any number: files on shared
    ///   storage would change owner);
    /// - more newly locked users than `allowed`;
    /// - more users whose keys are replaced (a key removed *and* a key added) than `allowed`.
    /// `acceptChanges` (`sync --accept-changes`) lets removals and the held kinds through for this
    /// run; the empty-snapshot guard stays.
    public static func check(current: CurrentAccounts, planned: NodePlan, maxDeletePercent: Int,
                             acceptChanges: Bool) throws(SyncError) {
        if planned.users.isEmpty && !current.names.isEmpty {
            throw .emptySnapshot(currentUsers: current.names.count)
        }
        if acceptChanges { return }
        try check(current: current.names, planned: planned, maxDeletePercent: maxDeletePercent)
        let held = heldChanges(current: current, planned: planned, maxDeletePercent: maxDeletePercent)
        if !held.isEmpty { throw .held(held) }
    }

    /// The mass changes `check` holds, one line each (empty when none).
    public static func heldChanges(current: CurrentAccounts, planned: NodePlan, maxDeletePercent: Int) -> [String] {
        let allowed = Self.allowed(current: current.names.count, percent: maxDeletePercent)
        var idChanges: [String] = []
        var locks: [String] = []
        var rekeyed: [String] = []
        for user in planned.users {
            guard let before = current.accounts[user.name] else { continue }
            if before.uid != user.uid || before.gid != user.gid {
                var parts: [String] = []
                if before.uid != user.uid { parts.append("uid \(before.uid)→\(user.uid)") }
                if before.gid != user.gid { parts.append("gid \(before.gid)→\(user.gid)") }
                idChanges.append("\(user.name) (\(parts.joined(separator: ", ")))")
            }
            if user.locked && !before.locked { locks.append(user.name) }
            if !user.locked, !before.locked, let old = before.keys {
                let oldSet = Set(old)
                let newSet = Set(user.keys)
                if !oldSet.subtracting(newSet).isEmpty && !newSet.subtracting(oldSet).isEmpty {
                    rekeyed.append(user.name)
                }
            }
        }
        func names(_ list: [String]) -> String {
            list.prefix(10).joined(separator: ", ") + (list.count > 10 ? ", … (\(list.count - 10) more)" : "")
        }
        var held: [String] = []
        if !idChanges.isEmpty {
            held.append("uid/gid change for \(idChanges.count) existing \(idChanges.count == 1 ? "user" : "users"): \(names(idChanges))")
        }
        if locks.count > allowed {
            held.append("locking \(locks.count) of \(current.names.count) users (limit \(allowed): --max-delete-percent \(maxDeletePercent), at least \(removalFloor)): \(names(locks))")
        }
        if rekeyed.count > allowed {
            held.append("replacing the keys of \(rekeyed.count) of \(current.names.count) users (limit \(allowed): --max-delete-percent \(maxDeletePercent), at least \(removalFloor)): \(names(rekeyed))")
        }
        return held
    }
}
