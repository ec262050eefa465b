// `sunk-bridge status`: freshness of the node's copy, for people and monitoring.
import ArgumentParser
import Foundation
import NodeSync

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the last sync: age, serial, counts, skipped users with reasons.",
        discussion: "Exit 0 fresh, 1 stale (older than --max-age) or last attempt failed, 2 never synced.")

    @Option(help: "Prefix of every path read.")
    var root: String = "/"

    @Option(name: .customLong("max-age"), help: "Seconds after which the last success counts as stale.")
    var maxAge: Int = 3600

    @Flag(help: "Print the state and verdict as JSON.")
    var json = false

    func run() async throws {
        let state: SyncState?
        do throws(SyncError) {
            state = try SyncState.load(NodePaths(root: root))
        } catch {
            printError("sunk-bridge status: \(error)")
            throw ExitCode(1)
        }
        let report = StatusReport(state: state, now: Date(), maxAge: maxAge)
        print(json ? report.json : report.text, terminator: "")
        if report.verdict.exitCode != 0 { throw ExitCode(report.verdict.exitCode) }
    }
}
