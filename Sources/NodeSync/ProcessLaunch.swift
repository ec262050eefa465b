// Starting a child with Foundation's Process, one at a time.
import Foundation

/// Foundation's `Process.run()` is not safe to call from several threads at once on Linux (a crash
/// inside `run()` when parallel tests started children together): every launch in the node code
/// (visudo, the on-lock hook, loginctl, `sshd -T`) goes through this lock. Only the launch is
/// serialised; the children run side by side.
public enum ProcessLaunch {
    private static let lock = NSLock()

    public static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        try process.run()
    }
}
