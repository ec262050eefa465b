import Testing
@testable import SCIMProtocol

/// Parses a JSON literal used in a test; a malformed literal is a test bug.
func j(_ text: String) -> JSONValue {
    do { return try JSONValue.parse(Array(text.utf8)) } catch {
        Issue.record("bad test JSON: \(error)")
        return .null
    }
}

/// The compact serialisation as a String.
func s(_ v: JSONValue) -> String { String(decoding: v.serialized(), as: UTF8.self) }

/// Runs `body` and returns the SCIMError it throws, or nil.
func scimError<T>(_ body: () throws(SCIMError) -> T) -> SCIMError? {
    do { _ = try body(); return nil } catch { return error }
}
