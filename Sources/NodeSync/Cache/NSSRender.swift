// passwd(5), group(5) and shadow(5) lines.

/// Renders NSS file contents. Lines end with `\n`; input order is kept (plans are sorted by name).
public enum NSSRender {
    /// `name:x:uid:gid:gecos:home:shell`
    public static func passwdLine(_ u: NodeUser) -> String {
        "\(u.name):x:\(u.uid):\(u.gid):\(u.gecos):\(u.home):\(u.shell)\n"
    }

    /// `name:x:gid:m1,m2`
    public static func groupLine(_ g: NodeGroup) -> String {
        "\(g.name):x:\(g.gid):\(g.members.joined(separator: ","))\n"
    }

    /// Active: `name:*:::::::` — `*` (not `!`, which blocks key logins when sshd runs without PAM), no
    /// last-change date, no aging.
    /// Locked: `name:!*::::::1:` — the password field starts with `!` (sshd without PAM refuses the
    /// account) and the account expired on day 1 (1970-01-02), which pam_unix's account module, sshd
    /// with `UsePAM yes`, `su` and cron all refuse, even for a key planted in `~/.ssh/authorized_keys`.
    public static func shadowLine(_ u: NodeUser) -> String {
        u.locked ? "\(u.name):\(lockedPassword)::::::\(lockedExpiryDay):\n" : "\(u.name):*:::::::\n"
    }

    /// The password field of a locked user.
    public static let lockedPassword = "!*"
    /// Field 8 (account expiry, days since 1970-01-01) of a locked user.
    public static let lockedExpiryDay = 1

    public static func passwd(_ users: [NodeUser]) -> [UInt8] { Array(users.map(passwdLine).joined().utf8) }
    public static func group(_ groups: [NodeGroup]) -> [UInt8] { Array(groups.map(groupLine).joined().utf8) }
    public static func shadow(_ users: [NodeUser]) -> [UInt8] { Array(users.map(shadowLine).joined().utf8) }
}
