// libFuzzer target: the keys cache reader the sshd helper uses (`KeysCacheReader`), over arbitrary
// bytes: the header parse of `init(copying:)` (the same parser `init(path:)` runs over the mapped
// file) and `lookup(name:)` / `keys(forName:uid:)` for fixed names and for every name the input has.
//
// Found keys then go through what the helper does with them (`SSHPublicKey(parsing:)`, then
// `options + " " + rendered`), so the fuzzer reaches the key parser with cache-shaped input too.
//
// Properties checked besides "no crash": a record has the name asked for, a non-zero uid and keys
// without TAB or LF; the header's options and every line the helper would print have no blank or
// control byte where sshd would read a new field or line; and when the user lines are sorted with unique names (what the format requires,
// what `KeysCacheWriter` writes), the binary search finds exactly what a linear scan of the lines
// finds. Unsorted user lines may be missed: that is the format's contract, not checked.
import AuthorizedKeys
import SunkModel

/// Names looked up in every input besides those taken from its lines: valid, invalid and edge
/// names (empty, upper case, too long, bytes that end a line or field).
let fixedNames = [
    "ada", "alice", "bob", "root", "a", "_", "zz", "b-x", "b_x", "z", "", "Ada", "a:b", "a\nb", "a\tb",
    String(repeating: "a", count: 255), String(repeating: "a", count: 256),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let reader: KeysCacheReader
    do throws(KeysCacheError) {
        reader = try KeysCacheReader(copying: input)
    } catch {
        _ = error.description
        return 0
    }
    if let options = reader.options {
        require(!options.isEmpty && !options.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || $0 == 0x22 }),
                     "header options \(options.debugDescription) accepted")
    }
    require(reader.entryCount >= 0)

    // The user lines: everything after the first LF (the reader accepted a header line).
    var start = 0
    while input[start] != 0x0A { start += 1 }
    start += 1
    let lines = userLines(input, from: start)
    var sorted = true
    for i in lines.indices.dropFirst() where !lines[i - 1].name.lexicographicallyPrecedes(lines[i].name) {
        sorted = false
        break
    }

    var names = fixedNames
    for line in lines.prefix(64) {
        names.append(String(decoding: line.name, as: UTF8.self))
    }
    for name in names {
        let record = reader.lookup(name: name)
        if let record {
            require(record.name == name, "lookup(\(name.debugDescription)) returned \(record.name.debugDescription)")
            require(record.uid != 0, "lookup returned uid 0")
            for key in record.keys {
                require(!key.isEmpty && !key.utf8.contains(0x09) && !key.utf8.contains(0x0A),
                             "lookup(\(name.debugDescription)) returned key \(key.debugDescription)")
            }
            for key in record.keys {
                // What sunk-authorized-keys prints for each key that parses.
                guard let parsed = try? SSHPublicKey(parsing: key) else { continue }
                let line = parsed.rendered(options: reader.options)
                require(!line.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }),
                             "helper output line \(line.debugDescription) has a control byte")
            }
            require(reader.keys(forName: name, uid: record.uid) == record.keys)
            require(reader.keys(forName: name, uid: record.uid &+ 1) == nil)
        }
        if sorted {
            let expected = linearLookup(name, lines)
            require(record?.uid == expected?.uid && record?.keys == expected?.keys,
                         "lookup(\(name.debugDescription)) = \(String(describing: record)), linear scan = \(String(describing: expected))")
        }
    }
    return 0
}

struct Line {
    var name: ArraySlice<UInt8>
    /// The bytes after the name, up to (not including) the LF.
    var rest: ArraySlice<UInt8>
}

/// Splits `bytes[start...]` into LF-terminated lines (the reader checked the last byte is LF); the name
/// of a line ends at its first `:`.
func userLines(_ bytes: UnsafeRawBufferPointer, from start: Int) -> [Line] {
    let all = Array(bytes)
    var lines: [Line] = []
    var i = start
    while i < all.count {
        var end = i
        while end < all.count && all[end] != 0x0A { end += 1 }
        var colon = i
        while colon < end && all[colon] != UInt8(ascii: ":") { colon += 1 }
        lines.append(Line(name: all[i..<colon], rest: all[colon..<end]))
        i = end + 1
    }
    return lines
}

/// The oracle: the record of the line named `name` as the format defines it, by a plain scan.
func linearLookup(_ name: String, _ lines: [Line]) -> (uid: UInt32, keys: [String])? {
    guard KeysCache.isValidName(name), let line = lines.first(where: { $0.name.elementsEqual(name.utf8) })
    else { return nil }
    // ":" uid ":" key (TAB key)*
    let rest = line.rest
    guard rest.first == UInt8(ascii: ":") else { return nil }
    let afterColon = rest.dropFirst()
    guard let second = afterColon.firstIndex(of: UInt8(ascii: ":")),
          let uid = KeysCache.parseUID(String(decoding: afterColon[..<second], as: UTF8.self)), uid != 0
    else { return nil }
    let keys = afterColon[(second + 1)...].split(separator: 0x09, omittingEmptySubsequences: true)
        .map { String(decoding: $0, as: UTF8.self) }
    return (uid, keys)
}

/// `precondition` that prints its message in release builds too (where a failing `precondition`
/// traps silently), so a reproducer's log says which property broke.
func require(_ condition: Bool, _ message: @autoclosure () -> String = "") {
    if !condition { fatalError(message()) }
}
