// The node's own accounts and shells: the floor no snapshot can lower.

/// What the node's local `/etc/passwd`, `/etc/group` and `/etc/shells` contain.
public struct LocalAccounts: Equatable, Sendable {
    /// Local user names → uid.
    public var users: [String: UInt32]
    /// Local uid → first user name with it.
    public var uids: [UInt32: String]
    /// Local group names → gid.
    public var groups: [String: UInt32]
    /// Local gid → first group name with it.
    public var gids: [UInt32: String]
    /// Shells listed in `/etc/shells`.
    public var shells: Set<String>
    /// Local primary gid (field 4 of `/etc/passwd`) → first user name with it. A primary gid is the
    /// local account's even when `/etc/group` has no line for it: a snapshot user or group with that
    /// gid would give its members the local account's files.
    public var primaryGIDs: [UInt32: String]

    /// - Parameter primaryGIDs: local user name → primary gid (field 4 of `/etc/passwd`).
    public init(users: [String: UInt32] = [:], groups: [String: UInt32] = [:], shells: Set<String> = [],
                primaryGIDs: [String: UInt32] = [:]) {
        self.users = users
        self.groups = groups
        self.shells = shells
        uids = [:]
        gids = [:]
        self.primaryGIDs = [:]
        for (name, uid) in users.sorted(by: { $0.key < $1.key }) where uids[uid] == nil { uids[uid] = name }
        for (name, gid) in groups.sorted(by: { $0.key < $1.key }) where gids[gid] == nil { gids[gid] = name }
        for (name, gid) in primaryGIDs.sorted(by: { $0.key < $1.key }) where self.primaryGIDs[gid] == nil {
            self.primaryGIDs[gid] = name
        }
    }

    /// Why `gid` is not free on this node: a local group has it, or it is a local account's
    /// primary gid. Nil when free.
    public func gidOwner(_ gid: UInt32) -> String? {
        if let group = gids[gid] { return "local group \(group) in /etc/group" }
        if let user = primaryGIDs[gid] { return "the primary group of local account \(user) in /etc/passwd" }
        return nil
    }

    /// Reads `<root>/etc/passwd`, `<root>/etc/group` and `<root>/etc/shells`. A missing file is an
    /// error: without it the node cannot tell which names and ids are its own.
    public static func load(_ paths: NodePaths) throws(SyncError) -> LocalAccounts {
        func required(_ path: String) throws(SyncError) -> String {
            guard let bytes = try SystemCall.read(path) else {
                throw .localFile(path: path, reason: "does not exist; the local floor cannot be checked")
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let passwd = try required(paths.localPasswd)
        let group = try required(paths.localGroup)
        let shells = try required(paths.localShells)
        return LocalAccounts(users: parseIDFile(passwd), groups: parseIDFile(group), shells: parseShells(shells),
                             primaryGIDs: parseIDFile(passwd, field: 3))
    }

    /// Name → id from passwd(5)/group(5) text (field 1 and 3, or the 0-based `field`: 3 is passwd's
    /// primary gid). Comments, blank lines and NIS `+`/`-` lines are ignored; a line with a
    /// non-numeric id still reserves its name (id left out).
    static func parseIDFile(_ text: String, field: Int = 2) -> [String: UInt32] {
        var result: [String: UInt32] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") || line.hasPrefix("+") || line.hasPrefix("-") { continue }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard let name = fields.first, !name.isEmpty else { continue }
            let id = fields.count > field ? UInt32(fields[field]) : nil
            if result[String(name)] == nil { result[String(name)] = id ?? UInt32.max }
        }
        return result
    }

    /// The absolute paths of shells(5): comments and blank lines ignored, blanks trimmed.
    static func parseShells(_ text: String) -> Set<String> {
        var result = Set<String>()
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingBlanks()
            if trimmed.hasPrefix("/") { result.insert(String(trimmed)) }
        }
        return result
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
}
