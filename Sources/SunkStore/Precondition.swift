import Foundation

/// `If-Match` handling (RFC 7644 §3.14): `*` matches anything; otherwise one of the listed
/// ETags must equal the current one (weak comparison).
package enum Precondition {
    package static func check(_ ifMatch: String?, current: String) throws {
        guard let ifMatch, !ifMatch.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        let wanted = ifMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if wanted.contains("*") { return }
        func opaque(_ tag: String) -> String { tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }
        if !wanted.contains(where: { opaque($0) == opaque(current) }) {
            throw StoreError.preconditionFailed("If-Match \(ifMatch) does not match the current version \(current)")
        }
    }
}
