// Long-polls wait here: one observation of the store per org, however many requests wait on it.
import Foundation
import SunkStore

/// Wakes every request waiting on an org as soon as its serial moves past the serial the request
/// saw, in one pass per change. The store's change feed (`IdentityStore.serials`) sees this
/// process's writes at once; a write by another process (the CLI, another receiver) is seen by a
/// light poll of the org's serial every `pollInterval`. Waiters hold a continuation, not a
/// thread: thousands cost memory only.
actor SerialWatch {
    private struct Waiter {
        var beyond: Int64
        var continuation: CheckedContinuation<Void, Never>
        /// Releases the waiter at its deadline; cancelled when the waiter is woken earlier, so a
        /// burst of changes leaves no sleeping timers behind.
        var timer: Task<Void, Never>?

        func wake() {
            timer?.cancel()
            continuation.resume()
        }
    }

    private let database: any IdentityStore
    private let pollInterval: Duration
    private var serials: [String: Int64] = [:]
    private var waiters: [String: [UInt64: Waiter]] = [:]
    private var observers: [String: Task<Void, Never>] = [:]
    private var nextID: UInt64 = 0
    /// Set by `close()`: the server is shutting down and nobody waits any more.
    private var closed = false

    init(database: any IdentityStore, pollInterval: Duration = .seconds(2)) {
        self.database = database
        self.pollInterval = pollInterval
    }

    /// Returns when org `org`'s serial is above `serial`, at `deadline`, or when the caller is
    /// cancelled, whichever comes first. The caller reads the state again either way.
    func wait(org: String, beyond serial: Int64, until deadline: ContinuousClock.Instant) async {
        if closed { return }
        if let known = serials[org], known > serial { return }
        observe(org)
        nextID += 1
        let id = nextID
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let timer = Task { [weak self] in
                    guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                    await self?.release(org: org, id: id)
                }
                waiters[org, default: [:]][id] = Waiter(beyond: serial, continuation: continuation, timer: timer)
            }
        } onCancel: {
            Task { [weak self] in await self?.release(org: org, id: id) }
        }
    }

    /// Wakes every waiter and makes later waits return at once (graceful shutdown).
    func close() {
        closed = true
        for (_, org) in waiters { for waiter in org.values { waiter.wake() } }
        waiters = [:]
        for observer in observers.values { observer.cancel() }
        observers = [:]
    }

    /// How many requests wait now (for `/metrics` and tests).
    var waiting: Int { waiters.values.reduce(0) { $0 + $1.count } }

    private func release(org: String, id: UInt64) {
        waiters[org]?.removeValue(forKey: id)?.wake()
    }

    /// Records a serial seen and wakes everyone waiting for less.
    private func publish(org: String, serial: Int64) {
        guard serial > (serials[org] ?? .min) else { return }
        serials[org] = serial
        guard let waiting = waiters[org] else { return }
        var still: [UInt64: Waiter] = [:]
        for (id, waiter) in waiting {
            if waiter.beyond < serial { waiter.wake() } else { still[id] = waiter }
        }
        waiters[org] = still
    }

    /// The org is gone or the store failed: wake everyone so each request answers for itself.
    private func stopObserving(org: String) {
        observers[org] = nil
        serials[org] = nil
        for waiter in (waiters.removeValue(forKey: org) ?? [:]).values { waiter.wake() }
    }

    private func observe(_ org: String) {
        guard observers[org] == nil else { return }
        let database = self.database
        let interval = pollInterval
        observers[org] = Task { [weak self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await serial in database.serials(org: org) { await self?.publish(org: org, serial: serial) }
                    } catch {}
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        guard let serial = try? await database.org(named: org).serial else { return }
                        await self?.publish(org: org, serial: serial)
                    }
                }
                // Either ending means the org is gone or the store is closing.
                await group.next()
                group.cancelAll()
            }
            await self?.stopObserving(org: org)
        }
    }

    deinit {
        for observer in observers.values { observer.cancel() }
    }
}
