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
    /// component at most 255 bytes; every `/` a `Character` of its own (no combining mark after it,
    /// no Prepend scalar such as U+0D4E before it). With `stripTrailingSlash`, one trailing `/` is
    /// removed first. `/` itself yields no components.
    ///
    /// Splits and trims the UTF-8 bytes, as the kernel reads them: `"/\u{301}"` is one `Character`, so
    /// splitting or dropping `Character`s would hide a separator, and with it a `..` component, or
    /// drop a letter with the trailing `/`.
    static func components(_ raw: String, stripTrailingSlash: Bool) throws(PathProblem) -> [Substring] {
        if raw.isEmpty { throw PathProblem(reason: "must not be empty") }
        let slash = UInt8(ascii: "/")
        let utf8 = raw.utf8
        // The scalar and Character checks below only ever refuse something in non-ASCII text (or an
        // ASCII control character): an all-ASCII path, nearly every home, skips them.
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            if utf8.first != slash { throw PathProblem(reason: "must be an absolute path") }
        } else {
            for u in raw.unicodeScalars where Text.isUnsafe(u) {
                throw PathProblem(reason: "must not contain control characters")
            }
            if utf8.first != slash { throw PathProblem(reason: "must be an absolute path") }
            // Every "/" must be a Character of its own, so String-level code (split, lastIndex(of:),
            // hasPrefix) sees the same components as the kernel: a combining mark after it or a
            // Prepend scalar before it would merge it into a larger Character.
            var slashCharacters = 0
            for c in raw where c == "/" { slashCharacters += 1 }
            if slashCharacters != utf8.reduce(0, { $1 == slash ? $0 + 1 : $0 }) {
                throw PathProblem(reason: "must not have a combining character next to \"/\"")
            }
        }
        if utf8.contains(UInt8(ascii: ":")) { throw PathProblem(reason: "must not contain \":\"") }
        var end = utf8.endIndex
        if stripTrailingSlash && utf8.count > 1 && utf8.last == slash {
            end = utf8.index(before: end)
        }
        if utf8.distance(from: utf8.startIndex, to: end) > maximumLength {
            throw PathProblem(reason: "must be at most \(maximumLength) bytes long")
        }
        // Every boundary below is next to an ASCII `/`, so each slice starts and ends on a scalar.
        var parts: [Substring] = []
        var start = utf8.index(after: utf8.startIndex)
        if start == end { return [] } // "/"
        var i = start
        while true {
            if i == end || utf8[i] == slash {
                let part = raw[start..<i]
                let bytes = part.utf8
                if bytes.isEmpty {
                    throw PathProblem(reason: "must not contain an empty component (\"//\" or a trailing \"/\")")
                }
                if bytes.elementsEqual(CollectionOfOne(UInt8(ascii: "."))) || bytes.elementsEqual("..".utf8) {
                    throw PathProblem(reason: "must not contain \".\" or \"..\" components")
                }
                if bytes.count > maximumComponentLength {
                    throw PathProblem(reason: "must not have a component longer than \(maximumComponentLength) bytes")
                }
                parts.append(part)
                if i == end { break }
                start = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        return parts
    }
}
