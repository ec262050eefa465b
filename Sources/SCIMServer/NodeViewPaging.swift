// Paging over the node view: RFC 9865 cursors bound to the published serial a walk started from,
// and startIndex walks pinned the same way, so a walk never mixes two states and is never short.
import Crypto
import Foundation
import Hummingbird
import SCIMProtocol

/// The query of a node-view list request. Every parameter is understood or refused: a silently
/// ignored one would hand nodes entries they meant to exclude.
struct NodeViewQuery: Sendable {
    /// Parameters the node view implements (compared case-insensitively).
    static let known: Set<String> = ["filter", "startindex", "count", "cursor"]
    /// `/node/Groups` also takes `userPrivateGroups=false`.
    static let knownForGroups = known.union(["userprivategroups"])
    /// Page size when a cursor walk gives no `count` (RFC 9865 leaves it to the server).
    static let defaultCursorPageSize = 1000
    static let maxPageSize = 10000

    var filter: SCIMFilter?
    var filterText: String
    var startIndex: Int?
    var count: Int?
    /// Nil: index paging. `""`: the first page of a cursor walk.
    var cursor: String?
    var userPrivateGroups = true

    init(_ request: Request, groups: Bool) throws {
        let allowed = groups ? Self.knownForGroups : Self.known
        let query = request.scimQuery
        for name in query.names where !allowed.contains(name) {
            throw SCIMError(status: 400, scimType: .invalidValue, detail: """
                query parameter "\(name.prefix(40))" is not supported by the node view (supported: \
                \(allowed.sorted().joined(separator: ", "))); remove it rather than have it ignored
                """)
        }
        filterText = try query.value("filter") ?? ""
        if !filterText.isEmpty { filter = try SCIMFilter.parse(filterText) }
        startIndex = try ListQuery.integer(try query.value("startIndex"), name: "startIndex").map { max(1, $0) }
        if let count = try ListQuery.integer(try query.value("count"), name: "count") {
            guard count >= 0 else { throw SCIMError(status: 400, scimType: .invalidCount, detail: "count must not be negative") }
            self.count = min(count, Self.maxPageSize)
        }
        cursor = try query.value("cursor")
        if cursor != nil && startIndex != nil {
            throw SCIMError.invalidValue("give either cursor or startIndex, not both")
        }
        if let raw = try query.value("userPrivateGroups") {
            guard let value = Bool(raw.lowercased()) else {
                throw SCIMError.invalidValue("userPrivateGroups must be true or false")
            }
            userPrivateGroups = value
        }
    }

    /// What a cursor is bound to besides its position: the org, the endpoint and the query.
    func binding(org: String, path: String) -> String {
        "\(org)|\(path)|\(filterText)|\(count.map(String.init) ?? "")|\(userPrivateGroups)"
    }
}

/// Recently published node views, so a walk can finish on the state it started from, and the
/// opaque cursors that point into them.
actor NodeViewHistory {
    /// How long a walk may take between two pages.
    static let timeout: Duration = .seconds(600)
    /// Views kept per org (a walk that outlives this many publications gets `expiredCursor`).
    static let kept = 8

    private struct Entry {
        var view: NodeView
        var lastUsed: ContinuousClock.Instant
    }
    private var views: [String: [Int64: Entry]] = [:]
    /// startIndex walks: binding → serial the walk's first page was served from.
    private var pins: [String: (serial: Int64, at: ContinuousClock.Instant)] = [:]
    private let codec = CursorCodec()

    /// The view of `document`, remembered for walks.
    func remember(org: String, _ make: @Sendable () -> NodeView, serial: Int64) -> NodeView {
        let now = ContinuousClock.now
        if var entry = views[org]?[serial] {
            entry.lastUsed = now
            views[org]![serial] = entry
            return entry.view
        }
        let view = make()
        var perOrg = views[org, default: [:]].filter { now - $0.value.lastUsed < Self.timeout }
        perOrg[serial] = Entry(view: view, lastUsed: now)
        while perOrg.count > Self.kept, let oldest = perOrg.min(by: { $0.key < $1.key })?.key {
            perOrg[oldest] = nil
        }
        views[org] = perOrg
        return view
    }

    func view(org: String, serial: Int64) -> NodeView? {
        guard var entry = views[org]?[serial], ContinuousClock.now - entry.lastUsed < Self.timeout else { return nil }
        entry.lastUsed = .now
        views[org]![serial] = entry
        return entry.view
    }

    func pin(_ binding: String, serial: Int64) {
        let now = ContinuousClock.now
        pins = pins.filter { now - $0.value.at < Self.timeout }
        pins[binding] = (serial, now)
    }

    func pinned(_ binding: String) -> Int64? {
        guard let pin = pins[binding], ContinuousClock.now - pin.at < Self.timeout else { return nil }
        return pin.serial
    }

    func cursor(serial: Int64, offset: Int, binding: String) -> String {
        codec.make(serial: serial, offset: offset, binding: binding)
    }

    func open(_ cursor: String, binding: String) throws -> (serial: Int64, offset: Int) {
        try codec.open(cursor, binding: binding)
    }
}

/// RFC 9865 cursors: `<serial>.<offset>.<mac>`, opaque to clients, bound by an HMAC (a key made per
/// process) to the org serial a walk started from and to its query, so a cursor cannot be forged,
/// moved to another query, or outlive a restart unnoticed.
struct CursorCodec: Sendable {
    private let secret = SymmetricKey(size: .bits256)

    func make(serial: Int64, offset: Int, binding: String) -> String {
        "\(serial).\(offset).\(mac(serial: serial, offset: offset, binding: binding))"
    }

    /// The serial and offset of a cursor this process issued for `binding`.
    /// - Throws: `400 invalidCursor` otherwise.
    func open(_ cursor: String, binding: String) throws(SCIMError) -> (serial: Int64, offset: Int) {
        let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let serial = Int64(parts[0]), let offset = Int(parts[1]), offset >= 0,
              mac(serial: serial, offset: offset, binding: binding) == parts[2] else {
            throw SCIMError(status: 400, scimType: .invalidCursor, detail: """
                the cursor was not issued by this receiver for this query (or the receiver restarted); \
                start the walk again with an empty cursor
                """)
        }
        return (serial, offset)
    }

    private func mac(serial: Int64, offset: Int, binding: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(serial).\(offset).\(binding)".utf8), using: secret)
        return Data(code).prefix(12).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
