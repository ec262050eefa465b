// A test failure with a message a person can act on (a missing tool, a failed set-up step).
struct DoctorTestError: Error, CustomStringConvertible {
    var description: String
}
