// `sunk-bridge doctor`: checks a login node's set-up end to end and says how to fix each problem.
import ArgumentParser
import Foundation

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a login node: nsswitch, NSS module, sshd key command, helper, sync freshness, homes, id ranges, sudoers.",
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

    func validate() throws {
        if let f = nssFormat, DoctorNSSFormat(rawValue: f) == nil {
            throw ArgumentParser.ValidationError("--nss-format must be one of: extrausers, cache")
        }
        if maxAge <= 0 { throw ArgumentParser.ValidationError("--max-age must be positive") }
        if !root.hasPrefix("/") { throw ArgumentParser.ValidationError("--root must be an absolute path") }
    }

    func run() throws {
        let ctx = DoctorContext(root: root, sshdConfig: sshdConfig, nsswitch: nsswitch,
                                format: nssFormat.flatMap(DoctorNSSFormat.init(rawValue:)),
                                sshdBinary: sshdBinary == "none" || sshdBinary.isEmpty ? nil : sshdBinary,
                                maxAge: maxAge)
        let report = Doctor.run(ctx, trustKey: trustKey ?? ctx.path("/etc/sunk-bridge/trust.pub"))
        print(report.rendered, terminator: "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// Runs every check in a fixed order.
enum Doctor {
    static func run(_ ctx: DoctorContext, trustKey: String) -> DoctorReport {
        var report = DoctorReport()
        let state = DoctorFileChecks.state(ctx)

        let format: DoctorNSSFormat
        let formatSource: String
        if let f = ctx.requestedFormat {
            (format, formatSource) = (f, "--nss-format \(f.rawValue)")
        } else if case .success(let s)? = state, let raw = s["format"] as? String, let f = DoctorNSSFormat(rawValue: raw) {
            (format, formatSource) = (f, "the format of the last sync")
        } else {
            (format, formatSource) = (.extrausers, "the default format")
        }
        report.add(contentsOf: DoctorNSSChecks.check(nsswitchPath: ctx.nsswitch, format: format, formatSource: formatSource))
        report.add(DoctorNSSChecks.checkModule(ctx, format: format))

        let sshd = DoctorSSHDChecks.check(ctx)
        report.add(contentsOf: sshd.findings)
        report.add(DoctorFileChecks.checkHelper(sshd.helper ?? ctx.helperPath, ctx: ctx))
        report.add(DoctorFileChecks.checkKeysCache(ctx))
        if let generations = DoctorFileChecks.checkGenerations(ctx, format: format) { report.add(generations) }

        report.add(contentsOf: DoctorFileChecks.checkState(ctx, state: state))
        var appliedOrg: String?
        if case .success(let s)? = state { appliedOrg = s["org"] as? String }
        report.add(DoctorTrustCheck.check(ctx, path: trustKey, appliedOrg: appliedOrg))
        let policy = DoctorPolicy.load(ctx, state: state)
        for prefix in policy.homePrefixes {
            report.add(DoctorFileChecks.checkHomePrefix(prefix, ctx: ctx))
        }
        report.add(contentsOf: DoctorIDRanges.check(ctx, policy: policy))
        if let sudoers = DoctorSudoersCheck.check(ctx) { report.add(sudoers) }
        return report
    }
}
