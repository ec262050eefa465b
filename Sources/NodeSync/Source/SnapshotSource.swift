// Where `sync` gets its snapshot: a file, a server, (later) a local database.
import Foundation
import SunkSnapshot

/// The answer of a snapshot source.
public enum SnapshotFetch: Sendable, Equatable {
    /// The server confirmed the node's current snapshot (HTTP 304).
    case notModified
    /// A snapshot document (not yet verified) and its ETag when the source has one. `known` is the
    /// document when the node built these bytes itself (from a delta): `sync` still verifies the
    /// bytes, and uses `known` instead of parsing them when it encodes to exactly those bytes.
    case document(Data, etag: String?, known: SnapshotDocument? = nil)
}

/// A source of snapshot documents. `sync` verifies whatever a source returns (format, digest, every
/// entry), so a source only transports bytes.
public protocol SnapshotSource: Sendable {
    /// Shown in messages and recorded in the state file.
    var label: String { get }
    /// The org this source is for when it names one (the `ORG` of a `/scim/ORG/…` URL, `--org`);
    /// a signed snapshot for another org is refused.
    var expectedOrg: String? { get }
    /// True for sources that cross a network: `sync` refuses to use them without trust keys.
    var requiresSignature: Bool { get }
    /// Fetches the document. `ifNoneMatch` is the ETag of the snapshot the node already has (nil when
    /// it has none); a source without conditional requests ignores it.
    func fetch(ifNoneMatch: String?) async throws(SyncError) -> SnapshotFetch
}

extension SnapshotSource {
    public var expectedOrg: String? { nil }
    public var requiresSignature: Bool { false }
}

/// A snapshot document in a local file (`sync --snapshot FILE`, e.g. written by `sunk-bridge export`).
public struct FileSnapshotSource: SnapshotSource {
    public let path: String

    public init(path: String) { self.path = path }

    public var label: String { path }

    public func fetch(ifNoneMatch: String?) async throws(SyncError) -> SnapshotFetch {
        guard let bytes = try SystemCall.read(path) else {
            throw .fetch(url: path, reason: "the snapshot file does not exist")
        }
        return .document(Data(bytes), etag: nil)
    }
}
