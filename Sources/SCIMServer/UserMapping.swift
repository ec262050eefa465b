import Foundation
import SCIMProtocol
import SunkModel
import SunkStore

/// The one place where SCIM user documents meet the domain: validation of every CoreWeave
/// attribute under the org's policy on the way in, rendering of stored users on the way out.
enum UserMapping {
    static let extensionURN = SCIMSchemaURN.coreWeaveUser

    /// Validates a normalised user document and returns the draft to store. The document stored
    /// carries the canonical forms (keys re-encoded, home normalised, ids as integers).
    static func draft(from normalized: JSONValue, policy: Policy) throws -> UserDraft {
        guard case .object(var document) = normalized else { throw SCIMError.invalidSyntax("a User must be a JSON object") }
        guard let userName = document["userName"]?.stringValue, !userName.isEmpty else {
            throw SCIMError.invalidValue("userName is required")
        }
        if userName.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw SCIMError.invalidValue("userName must not contain control characters")
        }
        let active = document["active"]?.boolValue ?? true
        let externalID = document["externalId"]?.stringValue

        var posixName: String?, uid: UInt32?, gid: UInt32?, home: String?, shell: String?
        var keys: [SSHPublicKey] = []
        if case .object(var ext)? = document[extensionURN] {
            if let value = ext["sunkPosixUsername"] {
                posixName = try PosixRules.userName(try string(value, "sunkPosixUsername"), policy: policy)
                ext["sunkPosixUsername"] = .string(posixName!)
            }
            if let value = ext["sunkPosixUserId"] {
                uid = try PosixRules.userID(try idInput(value, "sunkPosixUserId"), policy: policy)
                ext["sunkPosixUserId"] = .int(Int64(uid!))
            }
            if let value = ext["sunkPosixGroupId"] {
                gid = try PosixRules.groupID(try idInput(value, "sunkPosixGroupId"), policy: policy)
                ext["sunkPosixGroupId"] = .int(Int64(gid!))
            }
            if let value = ext["sunkPreferredHomeDirectory"] {
                home = try PosixRules.homeDirectory(try string(value, "sunkPreferredHomeDirectory"), policy: policy)
                ext["sunkPreferredHomeDirectory"] = .string(home!)
            }
            if let value = ext["sunkLoginShell"] {
                shell = try PosixRules.loginShell(try string(value, "sunkLoginShell"), policy: policy)
                ext["sunkLoginShell"] = .string(shell!)
            }
            if let value = ext["sunkSshKeys"] {
                let lines: [String]
                switch value {
                case .string(let one): lines = [one]
                case .array(let many): lines = try many.map { try string($0, "sunkSshKeys") }
                default: throw SCIMError.invalidValue("sunkSshKeys: must be an array of strings")
                }
                keys = try PosixRules.sshKeys(lines, policy: policy)
                ext["sunkSshKeys"] = keys.isEmpty ? nil : .array(keys.map { .string($0.rendered) })
            }
            document[extensionURN] = ext.isEmpty ? nil : .object(ext)
        }
        let stored = JSONValue.object(document)
        return UserDraft(
            userName: userName, externalID: externalID, active: active,
            document: String(decoding: stored.serialized(), as: UTF8.self),
            gecos: PosixRules.gecos(gecosSource(document) ?? ""),
            posixName: posixName, derivedName: PosixRules.derivedUserName(fromUserName: userName, policy: policy),
            uid: uid, gid: gid, home: home, shell: shell, keys: keys.map(\.rendered))
    }

    /// displayName, else name.formatted, else "givenName familyName".
    static func gecosSource(_ document: [String: JSONValue]) -> String? {
        if let display = document["displayName"]?.stringValue, !display.isEmpty { return display }
        if case .object(let name)? = document["name"] {
            if let formatted = name["formatted"]?.stringValue, !formatted.isEmpty { return formatted }
            let parts = [name["givenName"]?.stringValue, name["familyName"]?.stringValue].compactMap { $0 }
            if !parts.isEmpty { return parts.joined(separator: " ") }
        }
        return nil
    }

    static func string(_ value: JSONValue, _ attribute: String) throws -> String {
        guard case .string(let text) = value else { throw SCIMError.invalidValue("\(attribute): must be a string") }
        return text
    }

    static func idInput(_ value: JSONValue, _ attribute: String) throws -> PosixIDInput {
        switch value {
        case .int(let number): return .integer(number)
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        default: throw SCIMError.invalidValue("\(attribute): must be a number")
        }
    }

    /// The SCIM representation of a stored user: its document plus id, groups and meta.
    static func render(_ user: StoredUser, baseURL: String) -> JSONValue {
        var document: [String: JSONValue] = [:]
        if case .object(let stored)? = try? JSONValue.parse(Array(user.document.utf8)) { document = stored }
        document["id"] = .string(user.id)
        if !user.groups.isEmpty {
            document["groups"] = .array(user.groups.map { group in
                .object(["value": .string(group.id), "display": .string(group.displayName),
                         "$ref": .string("\(baseURL)/Groups/\(group.id)"), "type": .string("direct")])
            })
        }
        document["meta"] = .object([
            "resourceType": .string("User"),
            "created": .string(user.createdAt),
            "lastModified": .string(user.modifiedAt),
            "location": .string("\(baseURL)/Users/\(user.id)"),
            "version": .string(user.etag),
        ])
        document["schemas"] = schemas(of: document)
        return .object(document)
    }

    /// `schemas`: the core User URN plus each extension the document carries.
    static func schemas(of document: [String: JSONValue]) -> JSONValue {
        var schemas = [JSONValue.string(SCIMSchemaURN.user)]
        for urn in [SCIMSchemaURN.enterpriseUser, SCIMSchemaURN.coreWeaveUser] where document[urn] != nil {
            schemas.append(.string(urn))
        }
        return .array(schemas)
    }
}

extension UserMapping {
    /// The document PATCH operates on: what was stored, with its schemas.
    static func patchable(_ user: StoredUser) -> JSONValue {
        guard case .object(var document)? = try? JSONValue.parse(Array(user.document.utf8)) else { return .object([:]) }
        document["schemas"] = schemas(of: document)
        return .object(document)
    }
}
