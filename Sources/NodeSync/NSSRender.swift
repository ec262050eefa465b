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

    /// `name:*:::::::` — `*` (not `!`, which blocks key logins when sshd runs without PAM), no
    /// last-change date, no aging.
    public static func shadowLine(_ u: NodeUser) -> String {
        "\(u.name):*:::::::\n"
    }

    public static func passwd(_ users: [NodeUser]) -> [UInt8] { Array(users.map(passwdLine).joined().utf8) }
    public static func group(_ groups: [NodeGroup]) -> [UInt8] { Array(groups.map(groupLine).joined().utf8) }
    public static func shadow(_ users: [NodeUser]) -> [UInt8] { Array(users.map(shadowLine).joined().utf8) }
}
