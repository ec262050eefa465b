// The files each NSS format consists of, with their contents, owners and modes.
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Which glibc NSS module the node uses. One format at a time.
public enum NSSFormat: String, Codable, Sendable, CaseIterable {
    /// libnss-extrausers: `/var/lib/extrausers/{passwd,group,shadow}` (nsswitch `files extrausers`).
    case extrausers
    /// libnss-cache: `/etc/{passwd,group,shadow}.cache` plus sorted index files (nsswitch `files cache`).
    case cache

    /// The passwd data file this format's module reads.
    public func passwdPath(_ paths: NodePaths) -> String {
        switch self {
        case .extrausers: return paths.extrausersDirectory + "/passwd"
        case .cache: return paths.etc + "/passwd.cache"
        }
    }

    /// The group data file this format's module reads.
    public func groupPath(_ paths: NodePaths) -> String {
        switch self {
        case .extrausers: return paths.extrausersDirectory + "/group"
        case .cache: return paths.etc + "/group.cache"
        }
    }

    public func shadowPath(_ paths: NodePaths) -> String {
        switch self {
        case .extrausers: return paths.extrausersDirectory + "/shadow"
        case .cache: return paths.etc + "/shadow.cache"
        }
    }

    /// The directory the files live in (created when missing, except `/etc`).
    public func directory(_ paths: NodePaths) -> String {
        switch self {
        case .extrausers: return paths.extrausersDirectory
        case .cache: return paths.etc
        }
    }
}

/// One file to write: a data file and the index files that must follow it.
public struct NSSFile: Equatable, Sendable {
    public var path: String
    public var contents: [UInt8]
    public var attributes: FileAttributes
    /// libnss-cache indexes of this data file, rewritten whenever it is.
    public var indexes: [NSSFile]
}

/// The complete set of files for one plan in one format, in write order (group, passwd, shadow:
/// groups exist before the users that name them; each data file before its indexes). `path` is the
/// fixed path readers use; the files themselves are written into a generation (`GenerationStore`).
public struct NSSFileSet: Equatable, Sendable {
    public var files: [NSSFile]

    /// `shadowGID` is the gid of the node's `shadow` group (0 when it has none).
    public init(plan: NodePlan, format: NSSFormat, paths: NodePaths, shadowGID: gid_t) {
        let public0644 = FileAttributes(mode: 0o644, uid: 0, gid: 0)
        let shadow0640 = FileAttributes(mode: 0o640, uid: 0, gid: shadowGID)
        let group = NSSRender.group(plan.groups)
        let passwd = NSSRender.passwd(plan.users)
        let shadow = NSSRender.shadow(plan.users)
        func file(_ path: String, _ data: [UInt8], _ attrs: FileAttributes, _ ix: [(String, Int)]) -> NSSFile {
            let indexes = format == .cache
                ? ix.map { NSSFile(path: "\(path).ix\($0.0)", contents: CacheIndex.build(data: data, column: $0.1),
                                   attributes: attrs, indexes: []) }
                : []
            return NSSFile(path: path, contents: data, attributes: attrs, indexes: indexes)
        }
        files = [
            file(format.groupPath(paths), group, public0644, [("name", 0), ("gid", 2)]),
            file(format.passwdPath(paths), passwd, public0644, [("name", 0), ("uid", 2)]),
            file(format.shadowPath(paths), shadow, shadow0640, [("name", 0)]),
        ]
    }

    /// Every path, data files and indexes.
    public var allPaths: [String] { files.flatMap { [$0.path] + $0.indexes.map(\.path) } }

    /// The files of a generation (each data file followed by its indexes), named by the base names of
    /// their fixed paths and reported under those paths.
    public var generationFiles: [GenerationFile] {
        func base(_ path: String) -> String { String(path[path.index(after: path.lastIndex(of: "/")!)...]) }
        return files.flatMap { data in
            [GenerationFile(name: base(data.path), contents: data.contents, attributes: data.attributes,
                            reportedPath: data.path)]
                + data.indexes.map {
                    GenerationFile(name: base($0.path), contents: $0.contents, attributes: $0.attributes,
                                   reportedPath: $0.path, indexOf: base(data.path))
                }
        }
    }
}
