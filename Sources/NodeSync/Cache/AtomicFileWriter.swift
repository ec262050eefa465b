// NodeSync's face of `AtomicFile` (AuthorizedKeys): the same writer, with `SyncError.io` errors.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuthorizedKeys

/// `FileAttributes` is declared once, beside `AtomicFile`.
public typealias FileAttributes = AuthorizedKeys.FileAttributes

/// Writes files atomically through `AtomicFile`.
public enum AtomicFileWriter {
    /// `AtomicFile.replace`: the old file or the new one, never a mix; mode always, owner as root.
    /// `check`, when given, is called with the temp file's path once it is complete (written, mode
    /// and owner set, fsynced, closed) and before the rename: throwing there (e.g. `visudo -cf`
    /// refusing it) removes the temp file and leaves `path` as it was.
    public static func write(_ contents: [UInt8], to path: String, attributes: FileAttributes,
                             check: ((String) throws(SyncError) -> Void)? = nil)
        throws(SyncError)
    {
        guard let check else {
            do throws(SystemCallError) { try AtomicFile.replace(path, with: contents, attributes: attributes) } catch {
                throw SyncError(error)
            }
            return
        }
        let temp = AtomicFile.tempName(for: path)
        do throws(SystemCallError) { try AtomicFile.create(temp, with: contents, attributes: attributes) } catch {
            throw SyncError(error)
        }
        do throws(SyncError) { try check(temp) } catch {
            unlink(temp)
            throw error
        }
        do throws(SystemCallError) { try AtomicFile.publish(temp, as: path) } catch { throw SyncError(error) }
    }

    /// `AtomicFile.create`: a new file (`O_EXCL`) for a generation no reader sees yet.
    public static func writeNew(_ contents: [UInt8], to path: String, attributes: FileAttributes) throws(SyncError) {
        do throws(SystemCallError) { try AtomicFile.create(path, with: contents, attributes: attributes) } catch {
            throw SyncError(error)
        }
    }

    /// True when `path` already holds exactly `contents` with the wanted mode (and owner, as root).
    public static func isCurrent(_ contents: [UInt8], at path: String, attributes: FileAttributes)
        throws(SyncError) -> Bool
    {
        guard let st = try SystemCall.status(path), (st.st_mode & S_IFMT) == S_IFREG else { return false }
        if (st.st_mode & 0o7777) != attributes.mode { return false }
        if SystemCall.isRoot, st.st_uid != attributes.uid || st.st_gid != attributes.gid { return false }
        if Int(st.st_size) != contents.count { return false }
        return try SystemCall.read(path) == contents
    }

    static func syncDirectory(_ directory: String) throws(SyncError) {
        do throws(SystemCallError) { try AtomicFile.syncDirectory(directory) } catch { throw SyncError(error) }
    }
}

extension SyncError {
    init(_ error: SystemCallError) {
        self = .io(operation: error.operation, path: error.path, errno: error.errno)
    }
}
