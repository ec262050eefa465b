// `sunk-bridge doctor`: argument parsing over the NodeDoctor library.
import ArgumentParser
import NodeDoctor
import NodeSync
import SunkPostgres

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a login node (nsswitch, NSS module, sshd key command, helper, sync freshness, homes, id ranges, sudoers), or with --db a receiver's PostgreSQL database.",
        discussion: """
            Prints one line per finding, `ok|WARN|FAIL <check>: <finding>`, and a `fix:` line under each \
            problem. Reads only; changes nothing. Exit status 0 when nothing FAILs (warnings allowed), 1 otherwise.
            """)

    @Option(help: "Prefix of every node path read (a test set-up or a mounted image).")
    var root: String = "/"

    @Option(name: .customLong("sshd-config"), help: "sshd configuration file (default: ROOT/etc/ssh/sshd_config).")
    var sshdConfig: String?

    @Option(help: "nsswitch.conf to check (default: ROOT/etc/nsswitch.conf).")
    var nsswitch: String?

    @Option(name: .customLong("nss-format"),
            help: "extrausers or cache (default: the format of the last sync, else extrausers).")
    var nssFormat: String?

    @Option(name: .customLong("sshd-binary"),
            help: "sshd used for `sshd -T` (the file text is read when absent; `none` never runs sshd).")
    var sshdBinary: String = "/usr/sbin/sshd"

    @Option(name: .customLong("max-age"), help: "Seconds after which the last successful sync is stale.")
    var maxAge: Int = 3600

    @Option(name: .customLong("trust-key"), help: "The sync's trust key file (default: ROOT/etc/sunk-bridge/trust.pub).")
    var trustKey: String?

    @Option(help: "A receiver's PostgreSQL database (postgresql://… URL): check only that it answers and has a schema this sunk-bridge serves.")
    var db: String?

    func validate() throws {
        if let db, !PostgresURL.isURL(db) {
            throw ValidationError("--db takes a postgresql:// URL (an SQLite file needs no check: `sunk-bridge org list --db FILE` opens it)")
        }
        if let f = nssFormat, NSSFormat(rawValue: f) == nil {
            throw ValidationError("--nss-format must be one of: extrausers, cache")
        }
        if maxAge <= 0 { throw ValidationError("--max-age must be positive") }
        if !root.hasPrefix("/") { throw ValidationError("--root must be an absolute path") }
    }

    func run() async throws {
        if let db {
            let report = DoctorReport(findings: [await ReceiverDatabaseCheck.run(url: db)])
            print(report.rendered, terminator: "")
            if report.exitCode != 0 { throw ExitCode(report.exitCode) }
            return
        }
        let ctx = DoctorContext(root: root, sshdConfig: sshdConfig, nsswitch: nsswitch,
                                format: nssFormat.flatMap(NSSFormat.init(rawValue:)),
                                sshdBinary: sshdBinary == "none" || sshdBinary.isEmpty ? nil : sshdBinary,
                                maxAge: maxAge, trustKeyFile: trustKey)
        let report = Doctor.run(ctx)
        print(report.rendered, terminator: "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
