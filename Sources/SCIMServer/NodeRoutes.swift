import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SCIMProtocol
import SunkModel
import SunkSnapshot
import SunkStore

/// What nodes read: the snapshot (`sunk-bridge sync`) and a read-only SCIM view of the same
/// published state for clusters that already run SUNK's nsscache SCIM source. Both continue when
/// the org's SCIM API is off, and both serve the frozen state while provisioning is paused.
struct NodeRoutes {
    let service: SCIMService
    var database: any IdentityStore { service.database }
    /// Recent node views and the cursors into them.
    let history = NodeViewHistory()
    /// The signed snapshot of each org's current publication, and the log of what changed.
    let snapshots = PublishedSnapshotCache()
    /// Where change-feed requests wait for the next publication.
    let watch: SerialWatch

    init(service: SCIMService, watch: SerialWatch) {
        self.service = service
        self.watch = watch
    }

    func register(on router: Router<BasicRequestContext>) {
        let routes = self
        router.get("/scim/:org/export/v1/snapshot") { request, context in
            await routes.service.respond(request) { try await routes.snapshot(request, context) }
        }
        router.get("/scim/:org/export/v1/changes") { request, context in
            await routes.service.respond(request) { try await routes.changes(request, context) }
        }
        router.get("/scim/:org/node/Users") { request, context in
            await routes.service.respond(request) { try await routes.users(request, context) }
        }
        router.get("/scim/:org/node/Groups") { request, context in
            await routes.service.respond(request) { try await routes.groups(request, context) }
        }
    }

    /// The published state: the live snapshot, or the one frozen when provisioning was paused.
    func published(_ org: Org) async throws -> SnapshotDocument {
        try await database.publishedDocument(org: org)
    }

    /// The signed snapshot (`docs/snapshot.md`). The ETag names the database instance, the serial and
    /// the publication second, so a restored database never confirms content a node does not have.
    func snapshot(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .node)
        let ifNoneMatch = request.headers[.ifNoneMatch]
        // Fast path: an unchanged node costs one indexed read, no snapshot build.
        let live = try await database.liveETag(org: org)
        if let ifNoneMatch, let live, Self.matches(ifNoneMatch, live) {
            return Response(status: .notModified, headers: [.eTag: live])
        }
        let published = try await publication(org, liveETag: live)
        if let ifNoneMatch, Self.matches(ifNoneMatch, published.etag) {
            return Response(status: .notModified, headers: [.eTag: published.etag])
        }
        var headers: HTTPFields = [.eTag: published.etag, .contentType: SignedSnapshot.mediaType]
        headers[HTTPField.Name("X-Sunk-Snapshot-Digest")!] = published.digest
        return Response(status: .ok, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: published.signed)))
    }

    /// The org's current publication, built once however many requests want it. While provisioning
    /// is paused the key names the frozen state as signed now (serial and last change of the org):
    /// a key rotation or a resume makes a new one.
    func publication(_ org: Org, liveETag: String?) async throws -> PublishedSnapshot {
        let database = self.database
        return try await snapshots.snapshot(org: org.name, key: liveETag ?? "frozen-\(org.serial)-\(org.changedAt)") {
            try await database.publishedSnapshot(org: org)
        }
    }

    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { tag in
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            return trimmed == "*" || trimmed == etag || trimmed == "W/" + etag
        }
    }

    func users(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .node)
        let query = try NodeViewQuery(request, groups: false)
        return try await list(org, path: "Users", query: query, type: .user) { $0.users }
    }

    func groups(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .node)
        let query = try NodeViewQuery(request, groups: true)
        return try await list(org, path: "Groups", query: query, type: .group) { view in
            query.userPrivateGroups ? view.groups : Array(view.groups.dropLast(view.userPrivateGroupCount))
        }
    }

    /// One page of the node view. The state is the one the walk started from: a cursor names it, a
    /// startIndex walk is pinned to it by its first page; a new walk gets the current publication.
    func list(_ org: Org, path: String, query: NodeViewQuery, type: SCIMResourceType,
              select: (NodeView) -> [JSONValue]) async throws -> Response {
        let binding = query.binding(org: org.name, path: path)
        var offset = 0
        var view: NodeView?
        if let cursor = query.cursor, !cursor.isEmpty {
            let position = try await history.open(cursor, binding: binding)
            guard let pinned = await history.view(org: org.name, serial: position.serial) else {
                throw SCIMError(status: 400, scimType: .expiredCursor, detail: """
                    the state this walk started from (serial \(position.serial)) is no longer kept; start the walk \
                    again with an empty cursor
                    """)
            }
            (view, offset) = (pinned, position.offset)
        } else if let start = query.startIndex, start > 1, let serial = await history.pinned(binding) {
            view = await history.view(org: org.name, serial: serial)
        }
        if view == nil {
            view = try await current(org)
            if query.cursor == nil { await history.pin(binding, serial: view!.serial) }
        }
        var resources = select(view!)
        if let filter = query.filter { resources = resources.filter { filter.matches($0, type: type) } }

        guard query.cursor != nil else {
            let start = query.startIndex ?? 1
            let count = query.count ?? resources.count
            let slice = Array(resources.dropFirst(start - 1).prefix(count))
            return SCIMResponse.json(ListResponse.json(resources: slice, totalResults: resources.count,
                                                       startIndex: start, itemsPerPage: slice.count))
        }
        let count = query.count ?? NodeViewQuery.defaultCursorPageSize
        let slice = Array(resources.dropFirst(offset).prefix(count))
        var page: [String: JSONValue] = [
            "schemas": .array([.string(SCIMSchemaURN.listResponse)]),
            "totalResults": .int(Int64(resources.count)),
            "itemsPerPage": .int(Int64(slice.count)),
            "Resources": .array(slice),
        ]
        // count=0 makes no progress: no nextCursor, or a client would loop forever.
        if count > 0 && offset + count < resources.count {
            page["nextCursor"] = .string(await history.cursor(serial: view!.serial, offset: offset + count, binding: binding))
        }
        if offset > 0 && count > 0 {
            page["previousCursor"] = .string(await history.cursor(serial: view!.serial, offset: max(0, offset - count),
                                                                  binding: binding))
        }
        return SCIMResponse.json(.object(page))
    }

    /// The view of what the org publishes now (built once per publication).
    func current(_ org: Org) async throws -> NodeView {
        if org.provisioning, let known = await history.view(org: org.name, serial: org.serial) { return known }
        let document = try await published(org)
        let body = document.body
        return await history.remember(org: org.name, { NodeView(body) }, serial: body.serial)
    }
}
