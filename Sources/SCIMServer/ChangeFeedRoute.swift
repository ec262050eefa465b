// `GET /scim/ORG/export/v1/changes?since=SERIAL&wait=SECONDS[&instance=ID]`: the push half of
// node delivery (`docs/snapshot.md`, "Change feed"). A node that holds publication `since` gets
// the signed delta to the current publication at once, or as soon as one is published within
// `wait` seconds, or 304; 410 tells it to fetch the full snapshot.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SCIMProtocol
import ServiceLifecycle
import SunkSnapshot
import SunkStore

/// The change feed's query.
struct ChangesQuery: Sendable {
    static let known: Set<String> = ["since", "wait", "instance"]
    /// The longest a request is held (proxies and load balancers commonly cut idle requests later).
    static let maxWait = 300

    /// The serial of the publication the node holds.
    var since: Int64
    /// Seconds to hold the request when nothing newer is published (0: answer at once).
    var wait: Int
    /// The database instance of the node's publication, when it says.
    var instance: String?

    init(_ request: Request) throws {
        let query = request.scimQuery
        for name in query.names where !Self.known.contains(name) {
            throw SCIMError.invalidValue("query parameter \"\(name.prefix(40))\" is not supported by the change feed (supported: instance, since, wait)")
        }
        guard let raw = try query.value("since") else {
            throw SCIMError.invalidValue("since is required: the serial of the snapshot the node holds (state.json's serial)")
        }
        guard let since = Int64(raw), since >= 0 else {
            throw SCIMError.invalidValue("since must be a serial (a whole number of at least 0)")
        }
        self.since = since
        let rawWait = try query.value("wait") ?? "0"
        guard let wait = Int(rawWait), wait >= 0 else {
            throw SCIMError.invalidValue("wait must be a whole number of seconds, 0…\(Self.maxWait)")
        }
        self.wait = min(wait, Self.maxWait)
        instance = try query.value("instance")
    }
}

extension NodeRoutes {
    /// Holds the request until the org publishes past `since` (or `wait` ends), then answers with
    /// the delta. Every pass re-reads the org, so a resumed, paused or re-keyed org is seen as such.
    func changes(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (authorized, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .node)
        let query = try ChangesQuery(request)
        let deadline = ContinuousClock.now + .seconds(query.wait)
        while true {
            let org = try await database.org(named: authorized.name)
            let published = try await publication(org, liveETag: try await database.liveETag(org: org))
            if let instance = query.instance, instance != published.instance {
                throw Self.gone("the node's snapshot is from database instance \(instance.prefix(64)), this receiver publishes instance \(published.instance); fetch the full snapshot")
            }
            if published.serial > query.since {
                return try await delta(org, since: query.since, to: published)
            }
            if published.serial < query.since {
                throw Self.gone("serial \(query.since) is ahead of this receiver's publication (\(published.serial)); fetch the full snapshot")
            }
            if ContinuousClock.now >= deadline {
                return Response(status: .notModified, headers: [.eTag: published.etag])
            }
            // A receiver shutting down answers every held request at once (nodes reconnect to the
            // next receiver) instead of keeping the shutdown waiting for up to `wait` seconds.
            let watch = self.watch
            await withGracefulShutdownHandler {
                await watch.wait(org: org.name, beyond: org.serial, until: deadline)
            } onGracefulShutdown: {
                Task { await watch.close() }
            }
            if Task.isShuttingDownGracefully || Task.isCancelled {
                return Response(status: .notModified, headers: [.eTag: published.etag])
            }
        }
    }

    private func delta(_ org: Org, since: Int64, to published: PublishedSnapshot) async throws -> Response {
        let database = self.database
        guard let (data, target) = try await snapshots.delta(
            org: org.name, since: since, instance: published.instance, to: published,
            sign: { try await database.signedDelta(org: org, $0) })
        else {
            let kept = await snapshots.logBounds(org: org.name).map { "; it covers publications from serial \($0.base)" } ?? ""
            throw Self.gone("serial \(since) is not in this receiver's change log\(kept); fetch the full snapshot")
        }
        var headers: HTTPFields = [.eTag: target.etag, .contentType: SignedSnapshot.mediaType]
        headers[HTTPField.Name("X-Sunk-Delta-From")!] = String(since)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// 410 Gone: the node must fetch the full snapshot.
    static func gone(_ detail: String) -> SCIMError { SCIMError(status: 410, detail: detail) }
}
