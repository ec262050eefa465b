// One sync at a time per node root.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive, non-blocking `flock` on `<root>/var/lib/sunk-bridge/sync.lock`. The kernel releases
/// it when the process exits, so a crashed sync never leaves a stale lock.
public final class SyncLock: @unchecked Sendable {
    private var fd: Int32
    public let path: String

    /// Takes the lock or throws `SyncError.locked` at once when another holder has it.
    public init(path: String) throws(SyncError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        if fd < 0 { throw .io(operation: "open lock file", path: path, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK || code == EAGAIN { throw .locked(path: path) }
            throw .io(operation: "flock", path: path, errno: code)
        }
        self.fd = fd
    }

    /// Releases the lock (also done on deinit).
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
