// Reading the configuration file itself: present or not, a regular readable UTF-8 file, and not
// writable by others (it can name the database and the TLS key, so who may edit it matters).
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// Why the configuration file could not be used. Each case's description is the message of its
/// `(file)` problem.
public enum ConfigFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An explicitly named file (`--config`, `$SUNK_BRIDGE_CONFIG`) is not there.
    case missing(path: String)
    /// The file exists but cannot be read as text.
    case unreadable(path: String, reason: String)
    /// The file is writable by group or others.
    case writableByOthers(path: String, mode: mode_t)
    /// Yams refused the text.
    case notYAML(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): "\(path) does not exist"
        case .unreadable(let path, let reason): "\(path) cannot be read: \(reason)"
        case .writableByOthers(let path, let mode):
            "\(path) is writable by group or others (mode 0\(String(mode & 0o7777, radix: 8))); run chmod go-w \(path)"
        case .notYAML(let path, let reason): "\(path) is not valid YAML: \(reason)"
        }
    }

    /// The problem `config check` lists for it.
    var problem: ConfigProblem { ConfigProblem(key: ConfigProblem.fileKey, message: description) }
}

/// The text of the configuration file and its mode.
struct ConfigFileText {
    var text: String
    var mode: mode_t

    /// The file's text, nil when it does not exist.
    static func read(_ path: String) throws(ConfigFileError) -> ConfigFileText? {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadable(path: path, reason: "not UTF-8 text") }
        return ConfigFileText(text: text, mode: info.st_mode)
    }
}
