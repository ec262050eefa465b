import Foundation
import SunkStore

/// A signed-in admin of one org.
struct ConsoleSession: Sendable {
    /// 256 random bits, URL-safe base64: the cookie's value.
    let id: String
    let org: String
    /// Who signed in (the NameID, usually the email): the actor of everything they change.
    let admin: String
    /// Why they are an admin, for the audit trail ("email", "group NAME").
    let grant: String
    /// Every form of this session carries it; checked in constant time.
    let csrf: String
    let expires: Date
}

/// Sessions are server-side and in this process's memory: a restart signs everyone out, and
/// several receivers behind one name need sticky sessions (or a shared session store). Expired
/// sessions are dropped as they are met and on each sign-in.
actor SessionStore {
    private var sessions: [String: ConsoleSession] = [:]
    private let lifetime: TimeInterval

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func create(org: String, admin: String, grant: String, now: Date) -> ConsoleSession {
        sessions = sessions.filter { $0.value.expires > now }
        let session = ConsoleSession(id: RandomToken.make(), org: org, admin: admin, grant: grant,
                                     csrf: RandomToken.make(), expires: now.addingTimeInterval(lifetime))
        sessions[session.id] = session
        return session
    }

    /// The live session with this id, or nil (unknown or expired: then forgotten).
    func session(id: String, now: Date) -> ConsoleSession? {
        guard let session = sessions[id] else { return nil }
        guard session.expires > now else {
            sessions[id] = nil
            return nil
        }
        return session
    }

    func remove(id: String) { sessions[id] = nil }
}

enum RandomToken {
    /// 256 random bits, URL-safe base64 (the rule of token secrets, `TokenSecret.random`).
    static func make() -> String { TokenSecret.random() }

    /// Equality whose time does not depend on where two values differ: both are hashed first (so
    /// not on their lengths either) and compared like token hashes (`TokenSecret.equal`).
    static func equal(_ a: String, _ b: String) -> Bool {
        TokenSecret.equal(TokenSecret.hash(a), TokenSecret.hash(b))
    }
}
