import Foundation

/// xs:dateTime as SAML uses it (`2026-12-06T02:30:51Z`, optional fractional seconds, `Z` or an
/// offset), to and from `Date`.
enum SAMLTime {
    static func parse(_ text: String) -> Date? {
        let s = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var n = 0
            for c in s[from..<from + count] {
                guard c >= 48, c <= 57 else { return nil }
                n = n * 10 + Int(c - 48)
            }
            return n
        }
        guard s.count >= 20, s[4] == 45, s[7] == 45, s[10] == 84, s[13] == 58, s[16] == 58,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < s.count, s[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < s.count, s[i] >= 48, s[i] <= 57 {
                fraction += Double(s[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        if i < s.count, s[i] == 90 { i += 1 } else if i + 6 == s.count, s[i] == 43 || s[i] == 45, s[i + 3] == 58,
                  let h = number(i + 1, 2), let m = number(i + 4, 2) {
            offset = (h * 3600 + m * 60) * (s[i] == 43 ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == s.count else { return nil }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (year, month, day)
        (components.hour, components.minute, components.second) = (hour, minute, second)
        guard let date = utcCalendar.date(from: components) else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }

    static func format(_ date: Date) -> String {
        let c = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    private static let utcCalendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()
}
