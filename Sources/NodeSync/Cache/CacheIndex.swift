// libnss-cache index files (`passwd.cache.ixname`, `.ixuid`, `group.cache.ixgid`, …).

/// Builds a libnss-cache index for a data file.
///
/// Each line is `KEY\0OFFSET\0`, padded with `\0` so that every line of the file has the same width,
/// then `\n`. KEY is the field's text (a name, or an id in decimal); OFFSET is the decimal byte offset
/// of the entry's line in the data file. Lines are sorted bytewise on KEY (`"10000" < "9999"`), which
/// is how the module binary-searches them. Write the data file first, then the index: the module
/// ignores an index older than its data file.
public enum CacheIndex {
    /// The index of `data` (NSS lines ending in `\n`) on the 0-based colon-separated field `column`
    /// (0 = name, 2 = uid/gid). When two lines share a key the first one wins.
    public static func build(data: [UInt8], column: Int) -> [UInt8] {
        var entries: [(key: ArraySlice<UInt8>, offset: [UInt8])] = []
        var seen = Set<ArraySlice<UInt8>>()
        var lineStart = 0
        while lineStart < data.count {
            let lineEnd = data[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? data.count
            if let key = field(data[lineStart..<lineEnd], column), seen.insert(key).inserted {
                entries.append((key, Array(String(lineStart).utf8)))
            }
            lineStart = lineEnd + 1
        }
        entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
        let width = (entries.map(\.key.count).max() ?? 0) + (entries.map(\.offset.count).max() ?? 0)
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * (width + 3))
        for entry in entries {
            out += entry.key
            out.append(0)
            out += entry.offset
            out.append(0)
            out += repeatElement(0, count: width - entry.key.count - entry.offset.count)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private static func field(_ line: ArraySlice<UInt8>, _ column: Int) -> ArraySlice<UInt8>? {
        var index = 0
        var start = line.startIndex
        for i in line.indices where line[i] == UInt8(ascii: ":") {
            if index == column { return line[start..<i] }
            index += 1
            start = i + 1
        }
        return index == column ? line[start...] : nil
    }
}
