// One generation: every node file of one applied snapshot in its own directory, made visible to
// every reader at once by replacing one symlink.
//
//   <root>/var/lib/sunk-bridge/generations/<G>/   passwd group shadow (or the *.cache files and their
//                                                 indexes), keys.cache, snapshot.json, state.json
//   <root>/var/lib/sunk-bridge/current            -> generations/<G>          (the commit point)
//   <root>/var/lib/extrausers/passwd              -> ../sunk-bridge/current/passwd   (fixed links,
//   <root>/etc/passwd.cache                       -> ../var/lib/sunk-bridge/current/passwd.cache
//   <root>/var/lib/sunk-bridge/keys.cache         -> current/keys.cache      created once, never
//   <root>/var/lib/sunk-bridge/state.json         -> current/state.json      changed afterwards)
//
// A sync writes a complete new generation, fsyncs it, and renames a temp symlink over `current`:
// before that rename every reader sees the old generation, after it the new one. The next run starts
// by removing whatever a killed run left half-done (temp names, generations that are neither current
// nor the previous one).
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuthorizedKeys

/// A file of a generation.
public struct GenerationFile: Equatable, Sendable {
    /// Base name inside the generation directory (`passwd`, `passwd.cache.ixuid`, `keys.cache`…).
    public var name: String
    public var contents: [UInt8]
    public var attributes: FileAttributes
    /// The path readers use (a fixed link), reported in `SyncReport.writtenFiles` when this file
    /// differs from the current generation's; nil for files not reported (state, last snapshot).
    public var reportedPath: String?
    /// For a libnss-cache index: the name of its data file. An index is written whenever its data file
    /// is, even when identical, so that it is never older than the data (the module ignores such an
    /// index).
    public var indexOf: String?

    public init(name: String, contents: [UInt8], attributes: FileAttributes, reportedPath: String? = nil,
                indexOf: String? = nil) {
        self.name = name
        self.contents = contents
        self.attributes = attributes
        self.reportedPath = reportedPath
        self.indexOf = indexOf
    }
}

/// A path readers open: a relative symlink into `current`.
public struct FixedLink: Equatable, Sendable {
    /// The file's name inside a generation.
    public var name: String
    /// The fixed path (below the root).
    public var path: String
    /// The link text, relative to the link's directory, so that a `--root` tree works too.
    public var target: String
}

/// Which files a generation holds and where readers find them.
public enum NodeLayout {
    /// Files of every generation whatever the NSS format, with links in `/var/lib/sunk-bridge`.
    public static let commonNames = [KeysCache.fileName, "snapshot.json", "state.json"]

    /// The NSS files of `format`, data files each followed by their indexes.
    public static func nssNames(_ format: NSSFormat) -> [String] {
        switch format {
        case .extrausers:
            return ["group", "passwd", "shadow"]
        case .cache:
            return ["group.cache", "group.cache.ixname", "group.cache.ixgid", "passwd.cache", "passwd.cache.ixname",
                    "passwd.cache.ixuid", "shadow.cache", "shadow.cache.ixname"]
        }
    }

    /// The fixed links of `format`: its NSS files, then `keys.cache`, `snapshot.json`, `state.json`.
    public static func links(_ format: NSSFormat, paths: NodePaths) -> [FixedLink] {
        let nss: [FixedLink] = nssNames(format).map { name in
            switch format {
            case .extrausers:
                return FixedLink(name: name, path: paths.extrausersDirectory + "/" + name,
                                 target: "../sunk-bridge/current/" + name)
            case .cache:
                return FixedLink(name: name, path: paths.etc + "/" + name,
                                 target: ".." + KeysCache.stateDirectory + "/current/" + name)
            }
        }
        return nss + commonNames.map {
            FixedLink(name: $0, path: paths.stateDirectory + "/" + $0, target: "current/" + $0)
        }
    }
}

/// The generations of one node root. Every step that changes the file system first calls
/// `failurePoint` (a test seam; nil in production) with a label such as
/// `write var/lib/sunk-bridge/generations/2/passwd`.
public struct GenerationStore {
    public let paths: NodePaths
    let failurePoint: (@Sendable (String) throws(SyncError) -> Void)?

    /// Marks every temporary name this code creates: `.<name>.sunk-tmp.<pid>.<random>`.
    static let tempMarker = AtomicFile.tempMarker

    public init(paths: NodePaths, failurePoint: (@Sendable (String) throws(SyncError) -> Void)? = nil) {
        self.paths = paths
        self.failurePoint = failurePoint
    }

    // MARK: - Reading

    /// The generation `current` names (`generations/<G>` → `G`), nil when there is no such link.
    public static func currentName(_ paths: NodePaths) -> String? {
        guard let text = SystemCall.readLink(paths.currentLink), text.hasPrefix("generations/") else { return nil }
        let name = String(text.dropFirst("generations/".count))
        return name.isEmpty || name.contains("/") ? nil : name
    }

    /// The generation directories on disk.
    func names() throws(SyncError) -> [String] {
        try SystemCall.directoryEntries(paths.generationsDirectory)
    }

    /// The generation kept beside `current` for debugging: the highest-numbered one below it.
    static func previous(of current: String?, among names: [String]) -> String? {
        guard let c = current.flatMap({ UInt64($0) }) else { return nil }
        return names.compactMap { UInt64($0) }.filter { $0 < c }.max().map(String.init)
    }

    // MARK: - Recovery

    /// Start of a run (under the lock): removes what a killed or failed run left half-done — temp
    /// files and links (ours only: `.<name>.sunk-tmp.*` in the state directory, and beside the fixed
    /// links of either format), and every generation that is neither current nor the previous one.
    public func recover() throws(SyncError) {
        var fixedNames = Set(NodeLayout.commonNames + ["current", "last-run.json"])
        for format in NSSFormat.allCases { fixedNames.formUnion(NodeLayout.nssNames(format)) }
        for directory in [paths.stateDirectory, paths.extrausersDirectory, paths.etc] {
            for entry in try SystemCall.directoryEntries(directory).sorted() where entry.hasPrefix(".") {
                guard let marker = entry.range(of: Self.tempMarker) else { continue }
                let owner = String(entry[entry.index(after: entry.startIndex)..<marker.lowerBound])
                guard directory == paths.stateDirectory || fixedNames.contains(owner) else { continue }
                try remove(directory + "/" + entry)
            }
        }
        let current = Self.currentName(paths)
        let all = try names().sorted()
        let keep = Set([current, Self.previous(of: current, among: all)].compactMap { $0 })
        for name in all where !keep.contains(name) {
            try remove(paths.generation(name))
        }
    }

    // MARK: - Writing

    /// Writes a generation of `files` and makes it current, unless every file already equals the
    /// current generation's (bytes, mode, owner). Files equal to the current generation's are
    /// hard-linked from it (same inode, same mtime); the others are written. Returns the new
    /// generation's name and the `reportedPath` of every file written, or nil when nothing differs.
    public func commit(_ files: [GenerationFile]) throws(SyncError) -> (name: String, written: [String])? {
        let current = Self.currentName(paths)
        var same: [Bool] = []
        for file in files {
            var unchanged = false
            if let current {
                unchanged = try AtomicFileWriter.isCurrent(file.contents, at: paths.generation(current) + "/" + file.name,
                                                           attributes: file.attributes)
            }
            same.append(unchanged)
        }
        if !same.contains(false) { return nil }

        let name = try makeGenerationDirectory(current: current)
        let directory = paths.generation(name)
        var writtenNames = Set<String>()
        var written: [String] = []
        for (file, unchanged) in zip(files, same) {
            let dataWritten = file.indexOf.map { writtenNames.contains($0) } ?? false
            let target = directory + "/" + file.name
            if unchanged, !dataWritten, let current,
               try hardLink(paths.generation(current) + "/" + file.name, target) {
                continue
            }
            try step("write", target)
            try AtomicFileWriter.writeNew(file.contents, to: target, attributes: file.attributes)
            writtenNames.insert(file.name)
            if !unchanged || dataWritten, let reported = file.reportedPath { written.append(reported) }
        }
        try syncDirectory(directory)
        try syncDirectory(paths.generationsDirectory)
        try switchCurrent(to: name)
        try prune(keep: [name, current].compactMap { $0 })
        return (name, written)
    }

    /// The layout before generations kept regular files at the fixed paths. Makes `links` what they
    /// should be without any reader seeing a mix: when a fixed path is a regular file that differs from
    /// the current generation's copy (or there is no current generation), first a generation is made
    /// of the current generation's files with those regular files in their place (bytes, mode, owner)
    /// and made current; then each regular file, missing path or foreign link is replaced by its link
    /// (one rename each; the content seen through a converted path is identical). A conversion cut
    /// short is finished by the next run.
    public func adopt(_ links: [FixedLink]) throws(SyncError) {
        var current = Self.currentName(paths)
        var regular: [FixedLink] = []
        for link in links {
            if let st = try SystemCall.status(link.path), (st.st_mode & S_IFMT) == S_IFREG { regular.append(link) }
        }
        var needCapture = false
        for link in regular {
            guard let current, try Self.sameFile(link.path, paths.generation(current) + "/" + link.name) else {
                needCapture = true
                break
            }
        }
        if needCapture {
            current = try capture(regular, current: current)
        }
        var touched: [String] = []
        for link in links {
            let st = try SystemCall.status(link.path)
            if let st, (st.st_mode & S_IFMT) == S_IFLNK, SystemCall.readLink(link.path) == link.target { continue }
            if let st, (st.st_mode & S_IFMT) == S_IFDIR {
                throw .io(operation: "replace by a link to the current generation (is a directory)", path: link.path,
                          errno: EISDIR)
            }
            let directory = Self.parent(link.path)
            try SystemCall.makeDirectories(directory)
            try step("link", link.path)
            try placeSymlink(link.target, at: link.path)
            if !touched.contains(directory) { touched.append(directory) }
        }
        for directory in touched { try syncDirectory(directory) }
    }

    /// A generation made of the current one's files (hard links) with the regular files at the fixed
    /// paths copied in their place, made current. Returns its name.
    private func capture(_ regular: [FixedLink], current: String?) throws(SyncError) -> String {
        let name = try makeGenerationDirectory(current: current)
        let directory = paths.generation(name)
        let captured = Set(regular.map(\.name))
        for link in regular {
            try step("capture", directory + "/" + link.name)
            guard let st = try SystemCall.status(link.path), let bytes = try SystemCall.read(link.path) else {
                throw .io(operation: "read for capture", path: link.path, errno: ENOENT)
            }
            try AtomicFileWriter.writeNew(bytes, to: directory + "/" + link.name,
                                          attributes: FileAttributes(mode: st.st_mode & 0o7777, uid: st.st_uid,
                                                                     gid: st.st_gid))
        }
        if let current {
            for file in try SystemCall.directoryEntries(paths.generation(current)).sorted() where !captured.contains(file) {
                let target = directory + "/" + file
                if try !hardLink(paths.generation(current) + "/" + file, target) {
                    guard let st = try SystemCall.status(paths.generation(current) + "/" + file),
                          let bytes = try SystemCall.read(paths.generation(current) + "/" + file) else { continue }
                    try step("write", target)
                    try AtomicFileWriter.writeNew(bytes, to: target, attributes: FileAttributes(
                        mode: st.st_mode & 0o7777, uid: st.st_uid, gid: st.st_gid))
                }
            }
        }
        try syncDirectory(directory)
        try syncDirectory(paths.generationsDirectory)
        try switchCurrent(to: name)
        try prune(keep: [name, current].compactMap { $0 })
        return name
    }

    /// Creates `generations/<n>` (0755) for the next unused number above every existing one.
    private func makeGenerationDirectory(current: String?) throws(SyncError) -> String {
        if try SystemCall.status(paths.generationsDirectory) == nil {
            try step("mkdir", paths.generationsDirectory)
            try SystemCall.makeDirectories(paths.generationsDirectory)   // 0755 whatever the umask
        }
        var next = ((try names()) + [current].compactMap { $0 }).compactMap { UInt64($0) }.max().map { $0 + 1 } ?? 1
        while true {
            let directory = paths.generation(String(next))
            try step("mkdir", directory)
            if mkdir(directory, 0o755) == 0 {
                // mkdir applies the umask: set the mode exactly.
                if chmod(directory, 0o755) != 0 { throw .io(operation: "chmod", path: directory, errno: errno) }
                return String(next)
            }
            if errno != EEXIST { throw .io(operation: "mkdir", path: directory, errno: errno) }
            next += 1
        }
    }

    /// The commit point: a temp symlink `generations/<name>` renamed over `current`, then the state
    /// directory fsynced.
    private func switchCurrent(to name: String) throws(SyncError) {
        try step("symlink", paths.currentLink + " (temp)")
        let temp = tempName(for: paths.currentLink)
        if symlink("generations/" + name, temp) != 0 { throw .io(operation: "symlink", path: temp, errno: errno) }
        try step("rename", paths.currentLink)
        if rename(temp, paths.currentLink) != 0 {
            let code = errno
            unlink(temp)
            throw .io(operation: "rename to \(paths.currentLink)", path: temp, errno: code)
        }
        try syncDirectory(paths.stateDirectory)
    }

    /// Removes every generation except `keep` (the new current one and the one before it).
    private func prune(keep: [String]) throws(SyncError) {
        for name in try names().sorted() where !keep.contains(name) {
            try remove(paths.generation(name))
        }
    }

    // MARK: - Small steps

    /// Hard-links `source` to `target`; false when the file system refuses (then the caller copies).
    private func hardLink(_ source: String, _ target: String) throws(SyncError) -> Bool {
        try step("link", target)
        if link(source, target) == 0 { return true }
        let code = errno
        if code == EXDEV || code == EPERM || code == EMLINK || code == ENOTSUP { return false }
        throw .io(operation: "link \(source)", path: target, errno: code)
    }

    /// Puts a symlink at `path` atomically: temp link beside it, renamed over it.
    private func placeSymlink(_ target: String, at path: String) throws(SyncError) {
        let temp = tempName(for: path)
        if symlink(target, temp) != 0 { throw .io(operation: "symlink", path: temp, errno: errno) }
        if rename(temp, path) != 0 {
            let code = errno
            unlink(temp)
            throw .io(operation: "rename to \(path)", path: temp, errno: code)
        }
    }

    private func remove(_ path: String) throws(SyncError) {
        try step("remove", path)
        try SystemCall.removeTree(path)
    }

    private func syncDirectory(_ directory: String) throws(SyncError) {
        try step("fsync", directory)
        try AtomicFileWriter.syncDirectory(directory)
    }

    private func step(_ verb: String, _ path: String) throws(SyncError) {
        guard let failurePoint else { return }
        var shown = path
        if shown.hasPrefix(paths.root) { shown.removeFirst(paths.root.count) }
        while shown.hasPrefix("/") { shown.removeFirst() }
        try failurePoint("\(verb) \(shown)")
    }

    private func tempName(for path: String) -> String { AtomicFile.tempName(for: path) }

    static func parent(_ path: String) -> String { AtomicFile.split(path).directory }

    /// Same bytes, mode and (as root) owner; `a` may be reached through links, `b` must be a file.
    static func sameFile(_ a: String, _ b: String) throws(SyncError) -> Bool {
        var st = stat()
        guard stat(a, &st) == 0, let bytes = try SystemCall.read(a) else { return false }
        return try AtomicFileWriter.isCurrent(bytes, at: b, attributes: FileAttributes(
            mode: st.st_mode & 0o7777, uid: st.st_uid, gid: st.st_gid))
    }
}
