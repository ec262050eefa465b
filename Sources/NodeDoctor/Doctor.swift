// `sunk-bridge doctor` as a library: checks a login node's set-up end to end, reading the node's
// files through the same types and paths `sync` writes them with, and says how to fix each problem.
import Foundation
import NodeSync

/// Runs every check in a fixed order. Reads only; changes nothing.
public enum Doctor {
    public static func run(_ ctx: DoctorContext) -> DoctorReport {
        var report = DoctorReport()
        let node = DoctorNodeState.load(ctx.paths)

        let format: NSSFormat
        let formatSource: String
        if let f = ctx.requestedFormat {
            (format, formatSource) = (f, "--nss-format \(f.rawValue)")
        } else if let f = node.synced?.format {
            (format, formatSource) = (f, "the format of the last sync")
        } else {
            (format, formatSource) = (.extrausers, "the default format")
        }
        report.add(contentsOf: DoctorNSSChecks.check(nsswitchPath: ctx.nsswitch, format: format, formatSource: formatSource))
        report.add(DoctorNSSChecks.checkModule(ctx, format: format))

        let sshd = DoctorSSHDChecks.check(ctx)
        report.add(contentsOf: sshd.findings)
        report.add(DoctorFileChecks.checkHelper(sshd.helper ?? NodePaths.packagedHelper, ctx: ctx))
        report.add(DoctorFileChecks.checkKeysCache(ctx))
        if let generations = DoctorFileChecks.checkGenerations(ctx, format: format) { report.add(generations) }

        report.add(contentsOf: DoctorFileChecks.checkState(ctx, node: node))
        report.add(DoctorTrustCheck.check(ctx, path: ctx.trustKeyFile, appliedOrg: node.synced?.org))
        for prefix in node.homePrefixes {
            report.add(DoctorFileChecks.checkHomePrefix(prefix, ctx: ctx))
        }
        let policy = node.policy
        report.add(contentsOf: DoctorIDRanges.check(ctx, policy: policy.policy, source: policy.source))
        if let sudoers = DoctorSudoersCheck.check(ctx) { report.add(sudoers) }
        return report
    }
}
