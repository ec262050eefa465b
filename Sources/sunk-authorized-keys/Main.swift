// sunk-authorized-keys: sshd's AuthorizedKeysCommand helper.
//
//   AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
//   AuthorizedKeysCommandUser nobody
//
// Usage: sunk-authorized-keys [--root DIR] USER UID
//
// Prints the authorized_keys lines of USER from the local keys cache (KeysCache format), only when
// the cache has USER with exactly UID (the uid sshd resolved through NSS), each key re-parsed and
// re-rendered canonically and prefixed by the operator's options when the cache has them.
//
// Exit status: 0 with no output for unknown users, users with no keys, uid mismatches, and user
// names that cannot be ours (not a POSIX name, uid 0); 1 with nothing on stdout when the cache is
// missing, unreadable or unsafe, or the command line is wrong (a configuration error). sshd discards
// stderr, so everything worth knowing goes to syslog (LOG_AUTHPRIV, ident "sunk-authorized-keys"):
// errors, uid mismatches, and the number of keys served — never key material.
//
// No Foundation, no argument parser: this runs twice per login attempt and its start-up is its
// cost. Build it as a fully static executable (-Xswiftc -static-executable).

@preconcurrency import Glibc
import AuthorizedKeys
import SunkModel

@main
struct SunkAuthorizedKeys {
    static func main() {
        exit(run())
    }

    static func run() -> Int32 {
        let args: Arguments
        switch Arguments.parse(argc: CommandLine.argc, argv: CommandLine.unsafeArgv) {
        case .ok(let parsed):
            args = parsed
        case .usage(let message):
            Log.write(LOG_ERR, "usage error: \(message); expected: sunk-authorized-keys [--root DIR] USER UID")
            return 1
        case .notOurs:
            return 0
        }

        let path = KeysCache.path(root: args.root)
        let reader: KeysCacheReader
        do throws(KeysCacheError) {
            reader = try KeysCacheReader(path: path)
        } catch {
            Log.write(LOG_ERR, "\(error.description); no keys served for \(args.user)")
            return 1
        }

        guard let record = reader.lookup(name: args.user) else { return 0 }
        guard record.uid == args.uid else {
            Log.write(LOG_NOTICE, "\(args.user): uid \(args.uid) from NSS does not match uid \(record.uid) in the keys cache; no keys served")
            return 0
        }
        if record.keys.isEmpty { return 0 }

        var out: [UInt8] = []
        out.reserveCapacity(record.keys.count * 128)
        var served = 0
        var rejected = 0
        for line in record.keys {
            let key: SSHPublicKey
            do throws(RuleViolation) {
                key = try SSHPublicKey(parsing: line)
            } catch {
                rejected += 1
                continue
            }
            if let options = reader.options {
                out.append(contentsOf: options.utf8)
                out.append(0x20)
            }
            out.append(contentsOf: key.rendered.utf8)
            out.append(0x0A)
            served += 1
        }
        if rejected > 0 {
            Log.write(LOG_ERR, "\(args.user): \(rejected) key(s) in the keys cache failed to parse and were skipped")
        }
        let code = SystemError.writeAll(1, out)
        if code != 0 {
            Log.write(LOG_ERR, "\(args.user): writing keys to stdout failed: \(SystemError.message(code))")
            return 1
        }
        if served > 0 {
            Log.write(LOG_INFO, "served \(served) key(s) for \(args.user) (uid \(args.uid))")
        }
        return 0
    }
}

/// The command line, read straight from argv (no array of Strings for options we do not have).
struct Arguments {
    var root: String
    var user: String
    var uid: UInt32

    enum Result {
        case ok(Arguments)
        /// A configuration error: logged, exit 1.
        case usage(String)
        /// Syntactically a user that cannot be in the cache: exit 0, no output.
        case notOurs
    }

    static func parse(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result {
        var root = "/"
        var user: UnsafeMutablePointer<CChar>? = nil
        var uidText: UnsafeMutablePointer<CChar>? = nil
        var positionalCount = 0
        var i = 1
        var optionsDone = false
        while i < Int(argc) {
            guard let arg = argv[i] else { break }
            i += 1
            if !optionsDone && arg[0] == 0x2D /* - */ {
                if strcmp(arg, "--") == 0 {
                    optionsDone = true
                    continue
                } else if strcmp(arg, "--root") == 0 {
                    guard i < Int(argc), let value = argv[i] else { return .usage("--root needs a directory") }
                    i += 1
                    root = String(cString: value)
                    continue
                } else if strncmp(arg, "--root=", 7) == 0 {
                    root = String(cString: arg + 7)
                    continue
                } else if positionalCount > 0 {
                    return .usage("unknown option")
                }
                // A user name starting with "-" is not a POSIX name: taken as USER, found not ours.
                optionsDone = true
            }
            positionalCount += 1
            if positionalCount == 1 { user = arg } else if positionalCount == 2 { uidText = arg }
        }
        guard root.utf8.first == UInt8(ascii: "/") else { return .usage("--root must be an absolute path") }
        guard positionalCount == 2, let user, let uidText else {
            return .usage("expected USER and UID, got \(positionalCount) argument(s)")
        }
        let userBytes = UnsafeRawBufferPointer(start: user, count: strlen(user))
        guard KeysCache.isValidName(userBytes) else { return .notOurs }
        guard let uid = KeysCache.parseUID(UnsafeRawBufferPointer(start: uidText, count: strlen(uidText))) else {
            return .usage("UID must be a decimal number (sshd's %U)")
        }
        if uid == 0 { return .notOurs }
        return .ok(Arguments(root: root, user: String(decoding: userBytes, as: UTF8.self), uid: uid))
    }
}

/// syslog, LOG_AUTHPRIV, ident "sunk-authorized-keys". Messages contain only validated names,
/// numbers and error text, never key material.
enum Log {
    nonisolated(unsafe) static var opened = false

    static func write(_ priority: Int32, _ message: String) {
        if !opened {
            // The ident pointer must stay valid after openlog returns: a static string's storage does.
            let ident: StaticString = "sunk-authorized-keys"
            openlog(UnsafeRawPointer(ident.utf8Start).assumingMemoryBound(to: CChar.self), LOG_PID, LOG_AUTHPRIV)
            opened = true
        }
        // The message is the format, with "%" doubled, and the va_list is empty: passing the text as
        // a "%s" argument would box it as CVarArg, a dynamic cast that costs more than the rest.
        // Built as bytes (unsafe characters escaped by `Printable.escaped`), NUL-terminated.
        let escaped = Printable.escaped(message)
        var format: [UInt8] = []
        format.reserveCapacity(escaped.utf8.count + 8)
        for b in escaped.utf8 {
            format.append(b)
            if b == UInt8(ascii: "%") { format.append(b) }
        }
        format.append(0)
        format.withUnsafeBufferPointer { buf in
            UnsafeRawPointer(buf.baseAddress!).withMemoryRebound(to: CChar.self, capacity: buf.count) { text in
                withVaList([]) { vsyslog(priority, text, $0) }
            }
        }
    }
}
