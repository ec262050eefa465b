// Starting a child with Foundation's Process, one at a time.
import Foundation

/// Foundation's `Process.run()` is not safe to call from several threads at once on Linux (a crash
/// inside `run()` when parallel tests started children together): every launch (visudo, the
/// on-lock hook, loginctl, `sshd -T`, sacctmgr, scancel) goes through this lock, by way of
/// `ChildProcess`. Only the launch is serialised; the children run side by side.
enum ProcessLaunch {
    private static let lock = NSLock()

    /// Runs `prepare` and then starts `process`, both under the lock; returns what `prepare` made.
    static func run<Prepared>(_ process: Process, prepare: () throws(ChildLaunchError) -> Prepared)
        throws(ChildLaunchError) -> Prepared
    {
        lock.lock()
        defer { lock.unlock() }
        let prepared = try prepare()
        do { try process.run() } catch { throw .launch(error) }
        return prepared
    }
}
