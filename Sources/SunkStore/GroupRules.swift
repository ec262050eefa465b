/// The group refusals, engine-independent: an engine finds the conflict with its indexes and
/// throws what these say, so every engine's IdP sees the same words.
package enum GroupRules {
    /// displayName is unique per org, case-insensitively.
    package static func displayNameTaken(_ draft: GroupDraft, by other: String) -> StoreError {
        .uniqueness("displayName \"\(draft.displayName)\" is already used (by \"\(other)\"); displayName is case-insensitive")
    }

    /// Two displayNames that map to one POSIX group name.
    package static func posixNameTaken(_ draft: GroupDraft, by other: String) -> StoreError {
        .uniqueness("displayName \"\(draft.displayName)\" maps to the POSIX group name \"\(draft.posixName)\", which group \"\(other)\" already has; rename one of them in the IdP or map it with groupNameMappings")
    }

    /// Flat groups only: `missing` (sorted, not empty) are the member ids that are not users of
    /// the org; `nested` is the first of them that is a group of the org, if any. The refusal
    /// names one offender and counts the others.
    package static func memberRefusal(missing: [String], nested: (id: String, displayName: String)?) -> StoreError {
        let others = missing.count > 1
            ? " (and \(missing.count - 1) other unknown member\(missing.count > 2 ? "s" : ""))" : ""
        if let nested {
            return .invalidValue("member \"\(nested.id)\" is the group \"\(nested.displayName)\": nested groups are not supported; push only flat groups\(others)")
        }
        return .invalidValue("member \"\(missing.first ?? "")\" is not a user of this org\(others)")
    }

    /// True when `draft` stores the same row as `current` (members aside): nothing to write.
    package static func sameRow(_ draft: GroupDraft, as current: StoredGroup) -> Bool {
        draft.displayName == current.displayName && draft.externalID == current.externalID
            && draft.document == current.document && draft.posixName == current.posixName
    }

    /// The case-insensitive key of a displayName (unique per org).
    package static func displayNameKey(_ displayName: String) -> String { displayName.lowercased() }
}
