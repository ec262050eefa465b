import SCIMProtocol
import SunkModel
import SunkStore

/// SCIM group documents <-> the domain. The POSIX group name is derived from displayName by the
/// documented rule (`PosixRules.derivedGroupName`), so any Okta group name is accepted unless it
/// is reserved or collides.
enum GroupMapping {
    static func draft(from normalized: JSONValue, policy: Policy) throws -> GroupDraft {
        guard case .object(var document) = normalized else { throw SCIMError.invalidSyntax("a Group must be a JSON object") }
        guard let displayName = document["displayName"]?.stringValue,
              !displayName.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SCIMError.invalidValue("displayName is required")
        }
        if displayName.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw SCIMError.invalidValue("displayName must not contain control characters")
        }
        let posixName: String
        do {
            posixName = try PosixRules.derivedGroupName(fromDisplayName: displayName, policy: policy)
        } catch {
            // A reserved name conflicts with a system group: 409, telling the administrator to rename.
            let base = PosixRules.derivedGroupBaseName(fromDisplayName: displayName, policy: policy)
            if policy.reservesGroupName(policy.groupNameMappings[base] ?? base) {
                throw SCIMError(status: 409, scimType: .uniqueness, detail: error.description)
            }
            throw error
        }
        let memberIDs = try memberIDs(document["members"])
        document["members"] = nil
        return GroupDraft(displayName: displayName, externalID: document["externalId"]?.stringValue,
                          document: String(decoding: JSONValue.object(document).serialized(), as: UTF8.self),
                          posixName: posixName, memberIDs: memberIDs)
    }

    /// The user ids of a `members` value: a list (or one element) of `{"value": "ID", …}` or bare
    /// `"ID"` strings (Entra); unassigned elements (`null`, `{}`) are skipped.
    /// - Throws: `400 invalidValue` for an element without a string `value`.
    static func memberIDs(_ members: JSONValue?) throws -> [String] {
        guard let members, !members.isUnassigned else { return [] }
        return try (members.arrayValue ?? [members]).compactMap { element in
            if element.isUnassigned { return nil }
            let value = element.objectValue == nil ? element : element.member("value")?.value
            guard let id = value?.stringValue, !id.isEmpty else {
                throw SCIMError.invalidValue("members: every member needs a \"value\" (a user id)")
            }
            return id
        }
    }

    static func storedDocument(_ group: StoredGroup) -> [String: JSONValue] {
        if case .object(let stored)? = try? JSONValue.parse(Array(group.document.utf8)) { return stored }
        return [:]
    }

    static func render(_ group: StoredGroup, baseURL: String) -> JSONValue {
        var document = storedDocument(group)
        document["id"] = .string(group.id)
        document["displayName"] = .string(group.displayName)
        document["members"] = .array(group.members.map { member in
            .object(["value": .string(member.id), "display": .string(member.userName),
                     "$ref": .string("\(baseURL)/Users/\(member.id)"), "type": .string("User")])
        })
        document["meta"] = .object([
            "resourceType": .string("Group"),
            "created": .string(group.createdAt),
            "lastModified": .string(group.modifiedAt),
            "location": .string("\(baseURL)/Groups/\(group.id)"),
            "version": .string(group.etag),
        ])
        document["schemas"] = .array([.string(SCIMSchemaURN.group)])
        return .object(document)
    }
}
