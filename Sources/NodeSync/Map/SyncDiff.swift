// `sync --dry-run`: what would change in passwd and group.

/// A line-level diff of two NSS files keyed by the entry name.
public enum SyncDiff {
    /// Unified-style text: `--- label (current)`, `+++ label (snapshot)`, then `-line` for removed,
    /// `+line` for added and `-old`/`+new` for changed entries, in name order. Empty when identical.
    public static func diff(label: String, old: [UInt8], new: [UInt8]) -> String {
        let before = entries(old)
        let after = entries(new)
        let names = Set(before.keys).union(after.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var body = ""
        for name in names {
            let a = before[name]
            let b = after[name]
            if a == b { continue }
            if let a { body += "-\(a)\n" }
            if let b { body += "+\(b)\n" }
        }
        if body.isEmpty { return "" }
        return "--- \(label) (current)\n+++ \(label) (snapshot)\n" + body
    }

    private static func entries(_ bytes: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let name = String(line.split(separator: ":", maxSplits: 1).first ?? "")
            if result[name] == nil { result[name] = String(line) }
        }
        return result
    }
}
