// SunkModel: domain values and every security rule for values that come from an identity provider
// (Okta / Entra over SCIM) and end up in passwd/group lines, home paths and authorized_keys lines.
//
// This module imports nothing (no Foundation, no Glibc): the static sshd key helper links it and must
// start in about a millisecond.

/// A value from the identity provider (or a policy field) that breaks a rule.
///
/// `attribute` is the SCIM attribute name (`sunkPosixUsername`, `sunkPosixUserId`, `sunkPosixGroupId`,
/// `sunkPreferredHomeDirectory`, `sunkLoginShell`, `sunkSshKeys`, `displayName` for group names) or
/// `policy.<field>` for a policy that is itself invalid. `reason` is a short sentence an administrator
/// can act on; it never contains control characters (offending values are rendered escaped).
///
/// The SCIM layer turns it into `400 invalidValue` with detail `"<attribute>: <reason>"`, which is
/// exactly `description`.
public struct RuleViolation: Error, Equatable, Sendable, CustomStringConvertible {
    public var attribute: String
    public var reason: String

    public init(attribute: String, reason: String) {
        self.attribute = attribute
        self.reason = reason
    }

    public var description: String { "\(attribute): \(reason)" }
}

/// SCIM attribute names used as `RuleViolation.attribute`.
public enum SCIMAttribute {
    public static let userName = "sunkPosixUsername"
    public static let userID = "sunkPosixUserId"
    public static let groupID = "sunkPosixGroupId"
    public static let homeDirectory = "sunkPreferredHomeDirectory"
    public static let loginShell = "sunkLoginShell"
    public static let sshKeys = "sunkSshKeys"
    public static let groupDisplayName = "displayName"
}
