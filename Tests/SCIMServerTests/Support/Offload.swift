import Dispatch

/// Runs blocking work (waiting for a child process) on a Dispatch thread. Swift's cooperative
/// pool has one thread per core (two here); a test that blocks one for the length of an sshd or
/// NSS run starves every other suite of the same process, including in-process servers.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
