// `sunk-bridge getent passwd|group [KEY…]` over the files this node wrote.

/// Looks entries up in the rendered passwd or group file of one NSS format.
public struct NSSLookup: Sendable {
    public enum Database: String, Sendable, CaseIterable { case passwd, group }

    public let lines: [String]

    /// Reads the data file of `database` for `format` below `paths.root`; a missing file reads as empty.
    public init(database: Database, format: NSSFormat, paths: NodePaths) throws(SyncError) {
        let path = database == .passwd ? format.passwdPath(paths) : format.groupPath(paths)
        let bytes = try SystemCall.read(path) ?? []
        lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    public init(lines: [String]) { self.lines = lines }

    /// The first entry whose name equals `key`, or — when `key` is all digits — whose id (third
    /// field) equals it; as getent does.
    public func find(_ key: String) -> String? {
        let numeric = !key.isEmpty && key.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        let id = numeric ? UInt32(key) : nil
        for line in lines {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            if fields[0] == key { return line }
            if let id, UInt32(fields[2]) == id { return line }
        }
        return nil
    }

    /// getent's behaviour: no keys → every line, exit 0; keys → the found lines, exit 2 when any key
    /// was not found.
    public func query(_ keys: [String]) -> (output: [String], exitCode: Int32) {
        if keys.isEmpty { return (lines, 0) }
        var output: [String] = []
        var missing = false
        for key in keys {
            if let line = find(key) { output.append(line) } else { missing = true }
        }
        return (output, missing ? 2 : 0)
    }
}
