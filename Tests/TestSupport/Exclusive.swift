import Foundation
import Testing

/// One machine-wide lane for the heaviest end-to-end suites (real Slurm, systemd and dpkg
/// containers, timed SIGKILL loops). Swift Testing's `.serialized` only orders the tests of one
/// suite; this trait makes the tests it is applied to, in any suite of any test target (they all
/// share this module), run one at a time, while every other test keeps running in parallel. A
/// waiting test holds no thread: it awaits its turn.
public struct ExclusiveTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> ExclusiveTrait? {
        // Applied to a suite, scope each of its test functions (or each case of a parameterised
        // one), not the suite as a whole: the suite's own scope would be taken before its first test.
        testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await ExclusiveLane.shared.run(function)
    }
}

extension Trait where Self == ExclusiveTrait {
    /// Runs alone among the `.exclusive` tests (see `ExclusiveTrait`).
    public static var exclusive: Self { ExclusiveTrait() }
}

/// A FIFO async semaphore: `SUNK_TEST_HEAVY_LANES` tests at a time (default 1).
actor ExclusiveLane {
    static let shared = ExclusiveLane(
        lanes: ProcessInfo.processInfo.environment["SUNK_TEST_HEAVY_LANES"].flatMap { Int($0) }.map { max(1, $0) } ?? 1)
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(lanes: Int) { free = lanes }

    func run(_ body: @Sendable () async throws -> Void) async throws {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiters.append($0) }
        }
        defer { release() }
        try await body()
    }

    private func release() {
        if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
    }
}
