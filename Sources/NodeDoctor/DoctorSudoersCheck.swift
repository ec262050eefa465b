// `doctor`'s sudoers check: the file `sync --sudo-group` writes is root's, 0440, passes `visudo -cf`,
// and what it grants. No finding when the node has no such file.
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import NodeSync

enum DoctorSudoersCheck {
    static let name = "sudoers"

    static func check(_ ctx: DoctorContext) -> DoctorFinding? {
        let path = ctx.path(Sudoers.path)
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            return .fail(name, "\(path) is not a regular file", fix: "remove it; `sync --sudo-group` writes the file itself")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .fail(name, "\(path) cannot be read", fix: "run doctor as root")
        }
        let bytes = [UInt8](data)
        guard Sudoers.isOurs(bytes) else {
            return .warn(name, "\(path) was not written by sunk-bridge (no marker line); sync never replaces or removes it",
                         fix: "move it away if `sync --sudo-group` (node.sudoGroups) should manage sudo here")
        }
        let mode = st.st_mode & 0o7777
        if st.st_uid != 0 || mode & 0o022 != 0 {
            return .fail(name, "\(path) is owned by uid \(st.st_uid) with mode 0\(String(mode, radix: 8)): sudo ignores it",
                         fix: "run `sunk-bridge sync` again (it rewrites the file root:root 0440)")
        }
        if let visudo = Sudoers.findVisudo() {
            do throws(SyncError) {
                try Sudoers.check(path, visudo: visudo)
            } catch {
                return .fail(name, "\(error)", fix: "run `sunk-bridge sync` again; never edit the file by hand")
            }
        }
        let grants = Sudoers.grants(bytes) ?? [:]
        let text = grants.keys.sorted().map { "%\($0)" + (grants[$0] == true ? " (NOPASSWD)" : " (password)") }
            .joined(separator: ", ")
        if mode != 0o440 || st.st_gid != 0 {
            return .warn(name, "\(path) grants \(text) but has mode 0\(String(mode, radix: 8)), group \(st.st_gid)",
                         fix: "run `sunk-bridge sync` again (root:root 0440)")
        }
        return .ok(name, "\(path) grants \(text)")
    }
}
