import Foundation
import SAMLServiceProvider
import Synchronization

/// One SAML service provider per org for the life of the server. Settings are read from the store
/// on every sign-in; when they change the provider is rebuilt, keeping the org's pending requests
/// and replay cache, so a settings change neither forgets an assertion nor a request in flight.
final class ServiceProviders: Sendable {
    private struct Entry {
        var provider: SAMLServiceProvider
        var pending: PendingRequests
        var replay: ReplayCache
    }
    private let entries = Mutex<[String: Entry]>([:])

    func provider(org: String, settings: SAMLSettings) -> SAMLServiceProvider {
        entries.withLock { entries in
            if let entry = entries[org] {
                if entry.provider.settings == settings { return entry.provider }
                let provider = SAMLServiceProvider(settings: settings, pendingRequests: entry.pending,
                                                   replayCache: entry.replay)
                entries[org]?.provider = provider
                return provider
            }
            let pending = PendingRequests(), replay = ReplayCache()
            let provider = SAMLServiceProvider(settings: settings, pendingRequests: pending, replayCache: replay)
            entries[org] = Entry(provider: provider, pending: pending, replay: replay)
            return provider
        }
    }
}
