// `sunk-bridge getent passwd|group [KEY…]`: look entries up in the files `sync` wrote.
import ArgumentParser
import Foundation
import NodeSync

struct GetentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getent",
        abstract: "Print passwd or group entries from the node's SUNK Bridge files, like getent(1).",
        discussion: "Exit 0 when every key was found (or no key was given: all entries), 2 when one was not.")

    @Argument(help: "passwd or group")
    var database: String

    @Argument(help: "Names or numeric ids; none lists every entry.")
    var keys: [String] = []

    @Option(help: "Prefix of every path read.")
    var root: String = "/"

    @Option(name: .customLong("nss-format"), help: "extrausers or cache (default: the format of the last sync).")
    var nssFormat: String?

    func validate() throws {
        if NSSLookup.Database(rawValue: database) == nil {
            throw ValidationError("database must be passwd or group")
        }
        if let nssFormat { _ = try parseNSSFormat(nssFormat) }
    }

    func run() async throws {
        let paths = NodePaths(root: root)
        let format: NSSFormat
        if let nssFormat {
            format = try parseNSSFormat(nssFormat)
        } else {
            format = ((try? SyncState.load(paths)) ?? nil)?.format ?? .extrausers
        }
        let lookup: NSSLookup
        do throws(SyncError) {
            lookup = try NSSLookup(database: NSSLookup.Database(rawValue: database)!, format: format, paths: paths)
        } catch {
            printError("sunk-bridge getent: \(error)")
            throw ExitCode(1)
        }
        let (output, code) = lookup.query(keys)
        for line in output { print(line) }
        if code != 0 { throw ExitCode(code) }
    }
}
