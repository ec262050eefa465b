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
    var database: SunkDatabase { service.database }

    /// Extension carrying a group's POSIX attributes in the node view.
    static let groupExtensionURN = "urn:sunk-bridge:params:scim:schemas:extension:posix:2.0:Group"

    func register(on router: Router<BasicRequestContext>) {
        let routes = self
        router.get("/scim/:org/export/v1/snapshot") { request, context in
            await routes.service.respond(request) { try await routes.snapshot(request, context) }
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
        if let ifNoneMatch, let live = try await database.liveETag(org: org), Self.matches(ifNoneMatch, live) {
            return Response(status: .notModified, headers: [.eTag: live])
        }
        let published = try await database.publishedSnapshot(org: org)
        if let ifNoneMatch, Self.matches(ifNoneMatch, published.etag) {
            return Response(status: .notModified, headers: [.eTag: published.etag])
        }
        var headers: HTTPFields = [.eTag: published.etag, .contentType: SignedSnapshot.mediaType]
        headers[HTTPField.Name("X-Sunk-Snapshot-Digest")!] = published.digest
        return Response(status: .ok, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: published.signed)))
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
        let body = try await published(org).body
        let resources = body.users.compactMap { Self.render($0, policy: body.policy) }
        return try page(resources, request)
    }

    func groups(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .node)
        let body = try await published(org).body
        // Deactivated users are in no group, whatever the policy: locked users keep only their primary gid.
        let removed = Set(body.users.filter { !$0.active }.map(\.name))
        let resources = body.groups.map { Self.render($0, excluding: removed) }
        return try page(resources, request)
    }

    /// Without `count` the whole list comes back in one page (nsscache fetches one URL).
    func page(_ resources: [JSONValue], _ request: Request) throws -> Response {
        let start = try ListQuery.integer(request.query("startIndex"), name: "startIndex").map { max(1, $0) } ?? 1
        let count = try ListQuery.integer(request.query("count"), name: "count").map { max(0, $0) } ?? resources.count
        let slice = Array(resources.dropFirst(start - 1).prefix(count))
        return SCIMResponse.json(ListResponse.json(resources: slice, totalResults: resources.count, startIndex: start,
                                                   itemsPerPage: slice.count))
    }

    /// A user with every POSIX attribute resolved, after the org's deactivation policy.
    static func render(_ user: SnapshotUser, policy: Policy) -> JSONValue? {
        if !user.active && policy.deactivation == .remove { return nil }
        let shell = user.active ? user.shell : PosixRules.lockedShell
        let keys = user.active ? user.keys : []
        return .object([
            "schemas": .array([.string(SCIMSchemaURN.user), .string(SCIMSchemaURN.coreWeaveUser)]),
            "id": .string(user.id),
            "userName": .string(user.userName),
            "displayName": .string(user.gecos),
            "active": .bool(user.active),
            SCIMSchemaURN.coreWeaveUser: .object([
                "sunkPosixUsername": .string(user.name),
                "sunkPosixUserId": .int(Int64(user.uid)),
                "sunkPosixGroupId": .int(Int64(user.gid)),
                "sunkPreferredHomeDirectory": .string(user.home),
                "sunkLoginShell": .string(shell),
                "sunkSshKeys": .array(keys.map { .string($0) }),
            ]),
        ])
    }

    /// A group as nsscache reads it: displayName is the POSIX name, members are POSIX user names.
    static func render(_ group: SnapshotGroup, excluding removed: Set<String>) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMSchemaURN.group), .string(groupExtensionURN)]),
            "id": .string(group.id),
            "displayName": .string(group.name),
            "members": .array(group.members.filter { !removed.contains($0) }.map {
                .object(["value": .string($0), "display": .string($0)])
            }),
            groupExtensionURN: .object([
                "gidNumber": .int(Int64(group.gid)),
                "posixName": .string(group.name),
                "scimDisplayName": .string(group.displayName),
            ]),
        ])
    }
}
