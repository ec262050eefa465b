// Path hygiene shared by homes, shells and policy prefixes.

struct PathProblem: Error {
    var reason: String
}

enum Paths {
    static let maximumLength = 4096
    static let maximumComponentLength = 255

    /// Splits an absolute path into its components after checking it:
    /// not empty; starts with `/`; no NUL or other control/format character; no `:` (the passwd
    /// separator); no empty component (`//`), no `.` or `..` component; at most 4096 bytes, each
    /// component at most 255 bytes. With `stripTrailingSlash`, one trailing `/` is removed first.
    /// `/` itself yields no components.
    static func components(_ raw: String, stripTrailingSlash: Bool) throws(PathProblem) -> [Substring] {
        if raw.isEmpty { throw PathProblem(reason: "must not be empty") }
        for u in raw.unicodeScalars where Text.isUnsafe(u) {
            throw PathProblem(reason: "must not contain control characters")
        }
        if raw.unicodeScalars.first != "/" { throw PathProblem(reason: "must be an absolute path") }
        if raw.utf8.contains(UInt8(ascii: ":")) { throw PathProblem(reason: "must not contain \":\"") }
        var path = Substring(raw)
        if stripTrailingSlash && path.utf8.count > 1 && path.utf8.last == UInt8(ascii: "/") {
            path = path.dropLast()
        }
        if path.utf8.count > maximumLength {
            throw PathProblem(reason: "must be at most \(maximumLength) bytes long")
        }
        if path == "/" { return [] }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            if part.isEmpty {
                throw PathProblem(reason: "must not contain an empty component (\"//\" or a trailing \"/\")")
            }
            if part == "." || part == ".." {
                throw PathProblem(reason: "must not contain \".\" or \"..\" components")
            }
            if part.utf8.count > maximumComponentLength {
                throw PathProblem(reason: "must not have a component longer than \(maximumComponentLength) bytes")
            }
        }
        return parts
    }
}
