// `sync --watch`: the receiver's change feed beside the snapshot URL, and the snapshot a delta yields.
import Foundation
import SunkSnapshot

/// What the change feed answered a node.
public enum ChangeFeedAnswer: Sendable, Equatable {
    /// A signed delta (`sunk-bridge.delta.v1`) from the node's serial, with the ETag of the
    /// publication it leads to.
    case delta(Data, etag: String?)
    /// Nothing was published within the wait.
    case notModified
    /// The receiver cannot continue from the node's serial (410): fetch the full snapshot.
    case gone(String)
}

extension HTTPSnapshotSource {
    /// The change feed beside the snapshot URL (`…/export/v1/changes`); nil when `--from` is not a
    /// receiver's `/scim/ORG/export/v1/snapshot` URL.
    public var changesURL: String? {
        guard var parts = URLComponents(string: url), parts.path.hasSuffix("/export/v1/snapshot") else { return nil }
        parts.path = String(parts.path.dropLast("snapshot".count)) + "changes"
        parts.query = nil
        return parts.string
    }

    /// Long-polls the change feed from publication `since` (of database `instance`), for at most
    /// `wait` seconds (the receiver caps it at 300).
    public func changes(since: Int64, instance: String?, wait: Int) async throws(SyncError) -> ChangeFeedAnswer {
        guard let base = changesURL else {
            throw .usage("--watch needs --from https://HOST/scim/ORG/export/v1/snapshot (the change feed is beside it); got \(url)")
        }
        var query = "since=\(since)&wait=\(wait)"
        if let instance, SignedSnapshot.isValidInstance(instance) { query += "&instance=\(instance)" }
        let target = base + "?" + query
        // The receiver holds the request for up to `wait` seconds: the read timeout allows for it.
        let answer = try await get(target, headers: [], timeoutSeconds: Int64(wait) + timeoutSeconds)
        switch answer.status {
        case 200: return .delta(answer.body, etag: answer.etag)
        case 304: return .notModified
        case 410: return .gone(Self.detail(answer.body))
        default: throw SyncError.http(url: target, status: answer.status, detail: Self.excerpt(answer.body))
        }
    }
}

/// The snapshot a delta yields: `DeltaOpening` checks the delta's signature, that it continues the
/// snapshot the node holds, and the receiver's signature over the rebuilt snapshot; `sync` then
/// opens the result like any downloaded snapshot (every entry, the node floor, the guards).
public struct DeltaSnapshotSource: SnapshotSource {
    /// The signed delta as received.
    public let delta: Data
    /// The signed snapshot the node holds (its kept `snapshot.json`).
    public let base: Data
    public let etag: String?
    /// Where the delta came from; its URL is the node's source of record.
    public let origin: HTTPSnapshotSource
    public let trust: TrustedKeys

    public init(delta: Data, base: Data, etag: String?, origin: HTTPSnapshotSource, trust: TrustedKeys) {
        self.delta = delta
        self.base = base
        self.etag = etag
        self.origin = origin
        self.trust = trust
    }

    public var label: String { origin.label }
    public var expectedOrg: String? { origin.expectedOrg }
    public var requiresSignature: Bool { true }

    public func fetch(ifNoneMatch: String?) async throws(SyncError) -> SnapshotFetch {
        do throws(SnapshotError) {
            let opened = try DeltaOpening.open(delta, base: base, trust: trust, expectedOrg: expectedOrg)
            return .document(opened.bytes, etag: etag, known: opened.document)
        } catch {
            throw .snapshot(error)
        }
    }
}

extension HTTPSnapshotSource {
    /// The `detail` of a SCIM error body, else its first line (`excerpt`).
    static func detail(_ body: Data) -> String {
        struct SCIMErrorBody: Decodable { var detail: String }
        guard let detail = try? JSONDecoder().decode(SCIMErrorBody.self, from: body).detail else { return excerpt(body) }
        return excerpt(Data(detail.utf8))
    }
}
