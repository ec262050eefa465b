import Foundation

/// A JSON document as a plain value tree.
///
/// A number whose value is a whole number within `Int64` is `.int` (`100001`, and Okta's `100001.0`
/// too); anything else is `.double`. `parse` and the `Decodable` conformance (through Foundation's
/// `JSONDecoder`) agree on this. Code in this module never relies on it: schema normalisation turns
/// a whole `.double` into `.int` for integer attributes, and the writer prints a whole double as an
/// integer.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// Maximum nesting of arrays and objects accepted by ``parse(_:)``. SCIM documents nest a few
    /// levels; anything deeper is refused before the recursion goes further.
    public static let maximumNestingDepth = 64

    /// Parses a UTF-8 JSON document (see `JSONParser` for the rules it shares with `JSONDecoder`).
    ///
    /// - Throws: `400 invalidSyntax` when the bytes are not UTF-8 (RFC 8259 §8.1: Foundation would
    ///   otherwise guess UTF-16 or UTF-32 from the first bytes and accept them), are not valid JSON,
    ///   or nest deeper than ``maximumNestingDepth``. The detail never echoes the input.
    public static func parse(_ bytes: [UInt8]) throws(SCIMError) -> JSONValue {
        if String(validating: bytes, as: UTF8.self) == nil {
            throw .invalidSyntax("The request body is not UTF-8; JSON must be sent as UTF-8.")
        }
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParser.Failure) -> JSONValue in
                try JSONParser.parse(buffer, maximumDepth: maximumNestingDepth)
            }
        }
        switch parsed {
        case .success(let value): return value
        case .failure(.tooDeep): throw .invalidSyntax("The request body nests deeper than \(maximumNestingDepth) levels.")
        case .failure(.invalid): throw .invalidSyntax("The request body is not valid JSON.")
        }
    }
}

extension JSONValue: Decodable {
    /// Decodes in the order null, Bool, Int64, Double, String, array, object.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try c.decode([String: JSONValue].self))
    }
}

extension JSONValue {
    /// The member with exactly this key, when `self` is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let o) = self else { return nil }
        return o[key]
    }

    /// Case-insensitive member lookup (SCIM attribute names are case-insensitive). An exact match
    /// wins; otherwise the first case-insensitive match in key order.
    public func member(_ name: String) -> (key: String, value: JSONValue)? {
        guard case .object(let o) = self else { return nil }
        return o.scimMember(name)
    }

    /// The string, when `self` is `.string`.
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// The boolean, when `self` is `.bool`.
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// The elements, when `self` is `.array`.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    /// The members, when `self` is `.object`.
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    /// The integer, when `self` is `.int` or a whole `.double` within `Int64`.
    public var int64Value: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d.wholeInt64
        default: return nil
        }
    }
    /// The number as a `Double`, when `self` is `.int` or `.double`.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    /// `true` for `.null`.
    public var isNull: Bool { self == .null }

    /// `true` for values SCIM treats as unassigned: null, `""`, `[]` and `{}`.
    public var isUnassigned: Bool {
        switch self {
        case .null: return true
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        default: return false
        }
    }
}

extension Double {
    /// The value as `Int64` when it is finite, whole and in range.
    var wholeInt64: Int64? {
        guard isFinite, rounded(.towardZero) == self,
              self >= -9_223_372_036_854_775_808.0, self < 9_223_372_036_854_775_808.0 else { return nil }
        return Int64(self)
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Case-insensitive lookup: exact key first, then the first case-insensitive match in sorted order.
    func scimMember(_ name: String) -> (key: String, value: JSONValue)? {
        if let v = self[name] { return (name, v) }
        let lower = name.lowercased()
        for k in keys.sorted() where k.lowercased() == lower { return (k, self[k]!) }
        return nil
    }

    /// The actual key that matches `name` case-insensitively.
    func scimKey(_ name: String) -> String? { scimMember(name)?.key }
}

extension JSONValue: CustomStringConvertible {
    /// The compact serialised form.
    public var description: String { String(decoding: serialized(), as: UTF8.self) }
}
