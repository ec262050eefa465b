import SnapshotTestSupport

/// The snapshot builders shared with NodeSyncTests.
typealias Fixture = SnapshotFixture
