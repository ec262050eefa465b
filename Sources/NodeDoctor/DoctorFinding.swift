// One line of `sunk-bridge doctor` output: `ok|WARN|FAIL <check>: <finding>` and, when not ok,
// an indented `fix:` line.

public enum DoctorLevel: String, Sendable, Comparable {
    case ok = "ok"
    case warn = "WARN"
    case fail = "FAIL"

    private var rank: Int {
        switch self {
        case .ok: 0
        case .warn: 1
        case .fail: 2
        }
    }

    public static func < (a: DoctorLevel, b: DoctorLevel) -> Bool { a.rank < b.rank }
}

public struct DoctorFinding: Sendable, Equatable {
    public var level: DoctorLevel
    /// Short, stable name of the check (`nsswitch`, `sshd-config`, `helper`, …): scripts grep it.
    public var check: String
    public var finding: String
    /// What to do about it; empty for `ok`.
    public var fix: String

    public init(level: DoctorLevel, check: String, finding: String, fix: String) {
        self.level = level; self.check = check; self.finding = finding; self.fix = fix
    }

    public static func ok(_ check: String, _ finding: String) -> DoctorFinding {
        DoctorFinding(level: .ok, check: check, finding: finding, fix: "")
    }

    public static func warn(_ check: String, _ finding: String, fix: String) -> DoctorFinding {
        DoctorFinding(level: .warn, check: check, finding: finding, fix: fix)
    }

    public static func fail(_ check: String, _ finding: String, fix: String) -> DoctorFinding {
        DoctorFinding(level: .fail, check: check, finding: finding, fix: fix)
    }

    /// The finding as printed, one or two lines, each ending in a newline.
    public var rendered: String {
        var text = "\(level.rawValue) \(check): \(finding)\n"
        if level != .ok && !fix.isEmpty { text += "  fix: \(fix)\n" }
        return text
    }
}

/// Every finding of one run, and the verdict.
public struct DoctorReport: Sendable {
    public var findings: [DoctorFinding] = []

    public init(findings: [DoctorFinding] = []) { self.findings = findings }

    mutating func add(_ finding: DoctorFinding) { findings.append(finding) }
    mutating func add(contentsOf more: [DoctorFinding]) { findings.append(contentsOf: more) }

    public var failures: Int { findings.filter { $0.level == .fail }.count }
    public var warnings: Int { findings.filter { $0.level == .warn }.count }

    /// 0 when nothing failed (warnings allowed), 1 otherwise.
    public var exitCode: Int32 { failures == 0 ? 0 : 1 }

    public var rendered: String {
        var text = findings.map(\.rendered).joined()
        let oks = findings.count - failures - warnings
        text += "doctor: \(oks) ok, \(warnings) warning\(warnings == 1 ? "" : "s"), "
            + "\(failures) failure\(failures == 1 ? "" : "s")\n"
        return text
    }
}
