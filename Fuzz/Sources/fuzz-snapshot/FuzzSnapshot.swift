// libFuzzer target: what a node does with the bytes of a snapshot it fetched, before using any of it
// (`SnapshotDocument.decode` then `validated()`).
//
// Digest fix-up: almost every mutation of a body breaks its digest, so `decode` would refuse it before
// any of the body's values are looked at. When an entry point reports `digestMismatch`, the input is
// tried once more with the digest it names replaced by the digest of the body as decoded, which takes
// the mutated body through `validated()` too.
//
// Properties checked besides "no crash" for every accepted document: JSONDecoder reads the same body
// from the same bytes (decode's own fast reader must agree with the definition), its `encoded()` form decodes to
// an equal document that validates again, it is already canonical (`make(body:)` of its body gives
// the same document, digest included), and its homes are what validated() promises, byte for byte
// (`checkHomes`).
import Foundation
import SunkModel
import SunkSnapshot

/// Every way a node turns fetched bytes into a document it may use; each runs on every input and
/// returns the document it accepts. The signed envelope (SnapshotOpening.open, on main since this
/// target was written) is one more line; without a trust key it parses the envelope and decodes the
/// document inside, with one every mutation would fail the signature:
///
///     ("envelope+validated", { try validated(SnapshotOpening.open($0, trust: nil, expectedOrg: nil).document) }),
let entryPoints: [(name: String, run: (Data) throws -> SnapshotDocument)] = [
    ("decode+validated", { try validated(SnapshotDocument.decode($0)) }),
    // What `sync --snapshot` without a trust key runs: the signed envelope's header, then the document.
    ("open+validated", { try validated(SnapshotOpening.open($0, trust: nil, expectedOrg: nil).document) }),
]

/// `document` after `validated()` accepted it.
func validated(_ document: SnapshotDocument) throws -> SnapshotDocument {
    try document.validated()
    return document
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = Data(bytes: bytes, count: size)
    for entry in entryPoints {
        if let document = accept(data, entry.run) {
            checkAccepted(document, by: entry.name)
            if entry.name == "decode+validated" { checkReadAsJSONDecoderReads(data, document) }
        } else if let patched = withBodyDigest(data, entry.run), let document = accept(patched, entry.run) {
            checkAccepted(document, by: entry.name)
            if entry.name == "decode+validated" { checkReadAsJSONDecoderReads(patched, document) }
        }
    }
    return 0
}

/// `decode` reads documents with a fast reader of its own and falls back to JSONDecoder (the
/// definition): whatever it accepted, JSONDecoder must read to the very same body.
func checkReadAsJSONDecoderReads(_ data: Data, _ document: SnapshotDocument) {
    struct Wire: Decodable { var body: SnapshotBody }
    guard let reference = try? JSONDecoder().decode(Wire.self, from: data) else {
        fatalError("decode accepted a document JSONDecoder does not read")
    }
    if reference.body != document.body { fatalError("decode read another body than JSONDecoder") }
}

/// The document `run` accepts, or nil when it refuses `data` (the refusal's message is built, as a
/// node logs it).
func accept(_ data: Data, _ run: (Data) throws -> SnapshotDocument) -> SnapshotDocument? {
    do {
        return try run(data)
    } catch {
        _ = String(describing: error)
        return nil
    }
}

/// `data` with the digest replaced by the one its body hashes to, when `run` refuses it for a digest
/// mismatch and the claimed digest appears verbatim in it; nil otherwise.
func withBodyDigest(_ data: Data, _ run: (Data) throws -> SnapshotDocument) -> Data? {
    do {
        _ = try run(data)
        return nil
    } catch SnapshotError.digestMismatch(let expected, let actual) {
        guard !expected.isEmpty, let range = data.range(of: Data(expected.utf8)) else { return nil }
        var patched = data
        patched.replaceSubrange(range, with: Data(actual.utf8))
        return patched
    } catch {
        return nil
    }
}

func checkAccepted(_ document: SnapshotDocument, by entry: String) {
    let encoded = document.encoded()
    let again: SnapshotDocument
    do {
        again = try SnapshotDocument.decode(encoded)
        try again.validated()
    } catch {
        fatalError("\(entry): accepted document does not survive encoded()/decode/validated(): \(error)\n"
            + String(decoding: encoded, as: UTF8.self))
    }
    require(again == document, "\(entry): encoded() decodes to a different document")
    require(again.encoded() == encoded, "\(entry): encoded() is not a fixed point")
    let remade = SnapshotDocument.make(body: document.body)
    require(remade == document && remade.digest == document.digest,
                 "\(entry): an accepted document is not canonical (make(body:) changes it)")
    checkHomes(document.body, by: entry)
}

/// What `validated()` promises about homes, checked on the bytes a node will mkdir and chown (not
/// on `String`s, whose `Character`s can merge a `/` with a combining mark after it): each home is
/// strictly below a policy prefix on a `/` boundary, has no empty, `.` or `..` component, and no
/// home lies inside another user's home.
func checkHomes(_ body: SnapshotBody, by entry: String) {
    let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
    let prefixes = body.policy.homePrefixes.map { Array($0.utf8) }
    let homes = body.users.map { Array($0.home.utf8) }
    func isBelow(_ path: [UInt8], _ ancestor: [UInt8]) -> Bool {
        path.count > ancestor.count + 1 && path.starts(with: ancestor) && path[ancestor.count] == slash
    }
    for (i, home) in homes.enumerated() {
        let shown = body.users[i].home.debugDescription
        let parts = home.split(separator: slash, omittingEmptySubsequences: false).dropFirst()
        require(home.first == slash && !parts.contains { $0.isEmpty || $0.elementsEqual([dot]) || $0.elementsEqual([dot, dot]) },
                     "\(entry): accepted home \(shown) has an empty, . or .. component")
        require(prefixes.contains { isBelow(home, $0) }, "\(entry): accepted home \(shown) is not below a home prefix")
        for other in homes where isBelow(other, home) {
            fatalError("\(entry): accepted home \(String(decoding: other, as: UTF8.self).debugDescription) lies inside \(shown)")
        }
    }
}

/// `precondition` that prints its message in release builds too (where a failing `precondition`
/// traps silently), so a reproducer's log says which property broke.
func require(_ condition: Bool, _ message: @autoclosure () -> String = "") {
    if !condition { fatalError(message()) }
}
