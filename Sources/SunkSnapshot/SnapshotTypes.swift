// The entries of a snapshot body: what the server exports and every node materialises.
import Foundation
import SunkModel

/// One exportable user with its POSIX fields already resolved by the server.
///
/// Every field is re-validated by `SnapshotDocument.validated()` on the node: `name`, `uid`, `gid`,
/// `home`, `shell` and `keys` must pass `PosixRules` under the snapshot's policy *and* already be in
/// their canonical form; `gecos` must equal `PosixRules.gecos(gecos)`.
public struct SnapshotUser: Codable, Equatable, Sendable {
    /// The SCIM resource id (opaque; used in reports only).
    public var id: String
    /// The SCIM `userName` (often an e-mail address; used in reports only).
    public var userName: String
    /// The POSIX login name.
    public var name: String
    public var uid: UInt32
    /// The primary group id.
    public var gid: UInt32
    /// The GECOS field, already made safe by `PosixRules.gecos`.
    public var gecos: String
    public var home: String
    public var shell: String
    /// SSH public keys, each in canonical `SSHPublicKey.rendered` form.
    public var keys: [String]
    /// False for a user deactivated in the identity provider; the node applies `policy.deactivation`.
    public var active: Bool

    public init(id: String, userName: String, name: String, uid: UInt32, gid: UInt32, gecos: String,
                home: String, shell: String, keys: [String], active: Bool) {
        self.id = id
        self.userName = userName
        self.name = name
        self.uid = uid
        self.gid = gid
        self.gecos = gecos
        self.home = home
        self.shell = shell
        self.keys = keys
        self.active = active
    }
}

/// One SCIM group with its POSIX name, gid and members (POSIX user names).
public struct SnapshotGroup: Codable, Equatable, Sendable {
    /// The SCIM resource id.
    public var id: String
    /// The SCIM `displayName` (free text; used in reports only).
    public var displayName: String
    /// The POSIX group name.
    public var name: String
    public var gid: UInt32
    /// POSIX user names of the members, sorted; each must name a user of the snapshot.
    public var members: [String]

    public init(id: String, displayName: String, name: String, gid: UInt32, members: [String]) {
        self.id = id
        self.displayName = displayName
        self.name = name
        self.gid = gid
        self.members = members
    }
}

/// A user or group the server could not export, with the reason (never silently dropped).
public struct SkippedEntry: Codable, Equatable, Sendable {
    /// The SCIM resource id.
    public var id: String
    /// The SCIM `userName` (users) or `displayName` (groups).
    public var userName: String
    /// A sentence an administrator can act on.
    public var reason: String

    public init(id: String, userName: String, reason: String) {
        self.id = id
        self.userName = userName
        self.reason = reason
    }
}

/// The body of a snapshot: everything the digest covers.
public struct SnapshotBody: Codable, Equatable, Sendable {
    /// The organisation (the `ORG` of `/scim/ORG`).
    public var org: String
    /// The org's change serial at publication; grows with every change, policy changes included.
    public var serial: Int64
    /// Publication time, whole seconds, UTC (`2026-11-29T10:00:00Z` on the wire).
    public var publishedAt: Date
    public var policy: Policy
    /// Sorted by `name` (bytewise) in a canonical document.
    public var users: [SnapshotUser]
    /// Sorted by `name` (bytewise), members sorted, in a canonical document.
    public var groups: [SnapshotGroup]
    /// Entries the server could not export, with reasons.
    public var skipped: [SkippedEntry]

    /// `publishedAt` is truncated to whole seconds so that the value survives the wire unchanged.
    public init(org: String, serial: Int64, publishedAt: Date, policy: Policy, users: [SnapshotUser],
                groups: [SnapshotGroup], skipped: [SkippedEntry]) {
        self.org = org
        self.serial = serial
        self.publishedAt = Date(timeIntervalSince1970: publishedAt.timeIntervalSince1970.rounded(.down))
        self.policy = policy
        self.users = users
        self.groups = groups
        self.skipped = skipped
    }

    enum CodingKeys: String, CodingKey {
        case org, serial, publishedAt, policy, users, groups, skipped
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        org = try c.decode(String.self, forKey: .org)
        serial = try c.decode(Int64.self, forKey: .serial)
        let stamp = try c.decode(String.self, forKey: .publishedAt)
        guard let date = SnapshotTime.parse(stamp) else {
            throw DecodingError.dataCorruptedError(
                forKey: .publishedAt, in: c,
                debugDescription: "publishedAt \"\(stamp)\" is not a UTC time like 2026-11-29T10:00:00Z")
        }
        publishedAt = date
        policy = try c.decode(Policy.self, forKey: .policy)
        users = try c.decode([SnapshotUser].self, forKey: .users)
        groups = try c.decode([SnapshotGroup].self, forKey: .groups)
        skipped = try c.decode([SkippedEntry].self, forKey: .skipped)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(org, forKey: .org)
        try c.encode(serial, forKey: .serial)
        try c.encode(SnapshotTime.format(publishedAt), forKey: .publishedAt)
        try c.encode(policy, forKey: .policy)
        try c.encode(users, forKey: .users)
        try c.encode(groups, forKey: .groups)
        try c.encode(skipped, forKey: .skipped)
    }

    /// The same body in canonical order: users and groups sorted by name (bytewise), members sorted
    /// and de-duplicated. `SnapshotDocument.make` applies it.
    public func canonicalized() -> SnapshotBody {
        var copy = self
        copy.users.sort { SnapshotOrder.less($0.name, $1.name) }
        copy.groups = groups.map { group in
            var g = group
            g.members = Array(Set(g.members)).sorted(by: SnapshotOrder.less)
            return g
        }.sorted { SnapshotOrder.less($0.name, $1.name) }
        return copy
    }
}

/// Bytewise (UTF-8) ordering, the order of every sorted list in a snapshot.
public enum SnapshotOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

/// The wire form of `publishedAt`: `yyyy-MM-ddTHH:mm:ssZ`, UTC, whole seconds.
public enum SnapshotTime {
    public static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ v: Int?, _ width: Int) -> String {
            let s = String(v ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))Z"
    }

    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
              bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for b in bytes[range] {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            return value
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10),
              let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let comps = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        guard let date = calendar.date(from: comps), format(date) == text else { return nil }
        return date
    }
}
