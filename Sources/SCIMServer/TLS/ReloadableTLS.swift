// HTTPS whose certificate can be replaced while the listener stays up: every new connection takes
// the server context current at accept time; established connections keep theirs.
import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// Holds the current `TLSCredentials` and re-reads them from their files on demand (SIGHUP).
public final class TLSCertificateStore: Sendable {
    private let current: Mutex<TLSCredentials>
    private let logger: Logger

    /// Loads the files once; a failure here is a start-up error (the caller refuses to start).
    public init(certificateFile: String, keyFile: String, logger: Logger) throws(TLSFileError) {
        let credentials = try TLSCredentials.load(certificateFile: certificateFile, keyFile: keyFile)
        self.current = Mutex(credentials)
        self.logger = logger
    }

    /// The credentials new connections use.
    public var credentials: TLSCredentials { current.withLock { $0 } }

    var context: NIOSSLContext { current.withLock { $0.context } }

    /// Re-reads both files. On success new connections use them; on failure the previous
    /// certificate stays in service and the error is logged and returned.
    @discardableResult
    public func reload() -> Result<TLSCredentials, TLSFileError> {
        let files = current.withLock { ($0.certificateFile, $0.keyFile) }
        do throws(TLSFileError) {
            let fresh = try TLSCredentials.load(certificateFile: files.0, keyFile: files.1)
            let previous = current.withLock { old in
                defer { old = fresh }
                return old.serialHex
            }
            logger.notice("TLS certificate reloaded", metadata: [
                "certificate": "\(files.0)", "serial": "\(fresh.serialHex)", "previousSerial": "\(previous)",
                "notAfter": "\(fresh.notValidAfter)",
            ])
            return .success(fresh)
        } catch {
            logger.error("TLS reload failed; still serving the previous certificate", metadata: [
                "error": "\(error)", "serial": "\(credentials.serialHex)",
            ])
            return .failure(error)
        }
    }

    /// An HTTP/1.1 server builder that wraps every accepted connection in TLS with the context
    /// current at that moment.
    public func httpsServer(_ http1: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            ReloadableTLSChannel(base: HTTP1Channel(responder: responder, configuration: http1), store: self)
        }
    }
}

/// A child channel that adds a TLS server handler, built from the store's current context, in
/// front of the HTTP pipeline.
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let store: TLSCertificateStore

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = store.context
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ReloadableTLSChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

/// Calls `action` on every SIGHUP (on a private queue) for as long as the returned object is kept.
public final class SignalReloader: @unchecked Sendable {
    private let source: any DispatchSourceSignal

    public init(signal number: Int32 = SIGHUP, _ action: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "sunk-bridge.sighup"))
        source.setEventHandler(handler: action)
        source.resume()
        self.source = source
    }

    public func cancel() { source.cancel() }
}
