import Testing
import SunkModel

/// Runs `body` and checks that it is refused with `attribute`, a non-empty reason, and a reason that
/// echoes no control character. Returns the error for further checks.
@discardableResult
func expectRefused(
    _ attribute: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(RuleViolation) -> Void
) -> RuleViolation? {
    do throws(RuleViolation) {
        try body()
        Issue.record("expected a refusal for \(attribute), got none", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.attribute == attribute, "reason: \(error.reason)", sourceLocation: sourceLocation)
        #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
        #expect(!containsControl(error.reason), "reason echoes a control character: \(error.reason.debugDescription)",
                sourceLocation: sourceLocation)
        #expect(error.description == "\(error.attribute): \(error.reason)", sourceLocation: sourceLocation)
        return error
    }
}

func containsControl(_ s: String) -> Bool {
    s.unicodeScalars.contains { u in
        u.value < 0x20 || (0x7F...0x9F).contains(u.value)
            || [.format, .lineSeparator, .paragraphSeparator].contains(u.properties.generalCategory)
    }
}

// MARK: - SSH wire builders for synthetic keys

func sshString(_ bytes: [UInt8]) -> [UInt8] {
    let n = UInt32(bytes.count)
    return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
}

func sshString(_ text: String) -> [UInt8] { sshString(Array(text.utf8)) }

/// Deterministic filler bytes (no randomness in tests).
func filler(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    var x = UInt32(seed) &+ 1
    return (0..<count).map { _ in
        x = x &* 1_103_515_245 &+ 12345
        return UInt8(x >> 16 & 0xFF)
    }
}

func ed25519Blob(keyLength: Int = 32) -> [UInt8] {
    sshString("ssh-ed25519") + sshString(filler(keyLength))
}

func ecdsaBlob(curve: String, pointLength: Int, firstByte: UInt8 = 0x04, type: String? = nil) -> [UInt8] {
    sshString(type ?? "ecdsa-sha2-\(curve)") + sshString(curve) + sshString([firstByte] + filler(pointLength - 1))
}

/// An RSA blob whose modulus has exactly `bits` bits (top bit set, sign byte added), odd unless told.
func rsaBlob(bits: Int, exponent: [UInt8] = [0x01, 0x00, 0x01], odd: Bool = true,
             signByte: Bool = true) -> [UInt8] {
    let byteCount = (bits + 7) / 8
    var n = filler(byteCount, seed: 3)
    let topBits = bits - (byteCount - 1) * 8 // 1...8
    n[0] = n[0] & UInt8((1 << topBits - 1) & 0xFF) | UInt8(1 << (topBits - 1))
    if odd { n[byteCount - 1] |= 1 } else { n[byteCount - 1] &= 0xFE }
    let mpint = (signByte && n[0] & 0x80 != 0) ? [0] + n : n
    return sshString("ssh-rsa") + sshString(exponent) + sshString(mpint)
}

func line(_ type: String, _ blob: [UInt8], _ comment: String? = nil) -> String {
    type + " " + Base64.encode(blob) + (comment.map { " " + $0 } ?? "")
}

// MARK: - Real keys

/// From shared/fixtures/okta/02-create-user.json and 03-put-user.json (Okta request bodies).
let fixtureCreateKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8 ada@laptop"
let fixturePutKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6zHYlXGeB8NN5UU3SUvght5G5UOaU8wPmzfTjMd9e ada@workstation"
let ed25519Data = "AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8"

// Generated with OpenSSH_9.2p1 ssh-keygen on a test machine (private halves discarded).
let generatedEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG4+/9nvdDt0VJ2rKcaGMGj3rsVBPRCa2yndmRu2fw+0 test-ed@sunk"
let generatedRSA2048 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCOpuAYMRiIxwehCbpPFQLBSto+QiLAl2p1JIGF8hjdIuJmMDWZ6KqNkBAabI8gRhFEmdEGLwSk6bioLFRy/8JK4/Yl/hm4DQjDAT+3CcRCchZRk7cDkcp6KrGksUcl94UtOQR5ZCVLoiOaGMTs75mqG6Yhl/39Mf8/XBj8ctZ1/aNCRKC91zeq3HApGU43gQBanmNBBvLotqEUUKcBpONF9pOhJhtflp0bC4d49zjF2V6u0RxHMbGgghWjqChuX7QDjtGPRmox8YBHajfpC9+PEk+9nRdN9v+3Gx3oSWEstwYvuJQDsAim3tQ8R+isW9H+dQFY2h0SSkmA540Pxk3v test-rsa2048@sunk"
let generatedRSA4096 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQC6pW2Keeclypl5wc+Vm8AacdKk6wkTA9XKbNgFSCnsO4333sC+OUElW8LWvwVv6OGn+Sh+dZ5e8q5wDY5hYJOlrLH7ffZL4i0AK+Jc3P4HaTEAHmanpXWZjEU7NbM/vtnV8unOHisHMMwwJ4y77RIeV6SdwJUksQ2xJiY12SR+PglvaLVCIaM0ZdGBM9y0Xy9XFrNssNhGwI9wKuQski88plrBvK9VpZDqDdhpeInL7C5F7kPAHHSCZezK2SY9bb0PGAqy+9zSDIFOfznbYSceyGFtL6B6Fb5L5KC1qLYBL1s+tG9H6jc+Vj6EoF16gzircbk4S/kZFUdOgDC0dXWnxv3UkWSWWCAtcykoXF93a01RFvpHLegCdkbOW4dJfD6NWf4lXtoASKWfv1/y+8lpbm5an/Is/5rxy9au0vjib/UCeytPPEjQFEl4csg07iu05Py6yVPf0ED/Bf0XQC8zewFJNX3he3KUVfiqpXaID9zb0nyx/h8nbQ6bQw/uEWytglYXZaRmtNfnhXdVPdZNI3ki/snZ3aadbC5SNgBG0lXelofPdTzMWEZ5Lb3w3wVOHJTYplU0xVpLfmylOHCQWQirTSoeVo+85J3MqmHYNuHJJHnxjwRaufhzt3B0ZMN0QMT6C7gKMZJerTvGQGaazAsWwQGPNTln/UJeHJ6sfQ== test-rsa4096@sunk"
let generatedRSA1024 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDU5Nf59i9T68aBK4ckMvDdO0GAvJ6STNVMFwB414YL+Di7Wc7fMW4GczGAJRJ9bXyfjshz5ojNLxDx+GAow/Jm4SDf2gUudguYgClLAOcG1prx7Z0hmDoJCEgZF9deQUBGQPbu9kvAJniT2IsWWm22bYslHKZwCh4M9VjWd2hz0w== test-rsa1024@sunk"
let generatedECDSA256 = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCyPNu9K5GtjM0g+qS11Wr1Ga1T+OiCr6pjh84Yn73fRtP/0T7MLLhsB/pvN4o/JmDUDEgPUumd7wiMIRR+hAKY= test-ec256@sunk"
let generatedECDSA384 = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBB0NPKqPo/dEln83J41heWokH5wpRxhSIJRV2ABElNd5mbnfNkzIza2X2rr44BnKjv0XaXTkPcGK7L6Cmue9GhVITVUPzAQVH9P8wHBuf+0BOKlM3CMBerFHPDTf35ysQQ== test-ec384@sunk"
let generatedECDSA521 = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAAwDSwOAanhIsiQgtXzTV6YGKu4VdDB5LMJczRwfaaKik4wLX9f6AsNHALeS9CkWme0QExLqpJ4TnJ47WC/LPWabABfxDNJl7LUmSzh/n+LAuU4Yy3oP1EkkkHjXWz31fh8CRW1MUOeO8ejIAfUDkLlSA+zDj03+CmvST3i6cDKMPn5MA== test-ec521@sunk"
let generatedDSA = "ssh-dss AAAAB3NzaC1kc3MAAACBAJ8mLa5GJbFS0BrQ3yJZE3QMGVf0JPUvqD6fdsdQTElzDbKJxHf+sKQQlbKOfra8YIzDtXe/mohAHHV7BXqaBvMx+TV6lCm235Wnbtd41yWHrxNKiYqTUQHr7HFxAiwWMQbRtaWFZn3Ns57hChR/IVCUjwE2vEIomgRjx7kmbE7DAAAAFQC4ME2sJdo9gogZsQkmykZ0PwbgSQAAAIB/pz1yPrr0w1c8kxW8MzEM+qI8faOxWkHtNCXUzX4Oj2EifGaixSzhlsJ0a2+tXI61h8PwVrhzjMovXxMOAaPUGP2aM1aglkkpUkk2zPmp3lnT2TyX1F0wOhaw9zIJnQ9urCRziOgQ+R0bmVW/x+bS2Ee0EiRBKhXYylMqzfUqaQAAAIBlk8qnh473Che0Ce8AMWjdRuG/j494ariBqtoyTzEduM16KAzcorPZRi+yOSKGZaySVQfQT6vT+f44ZP/ic1AkRql/S7ENjHjiu0kllCfMnpp0Xh0YVHAPGw9EJF96FTp9uuK/ZBmXxmoeBYwvc23Zl+pPAFzfRzpMT0EHg2cD0Q== dsa"
// ssh-keygen -s ca -I id -n ada ed.pub
let generatedCertificate = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIIS7V2VenrKuHyy5r1rZth4Smz667aZMsrWogWxtSnCtAAAAIG4+/9nvdDt0VJ2rKcaGMGj3rsVBPRCa2yndmRu2fw+0AAAAAAAAAAAAAAABAAAAAmlkAAAABwAAAANhZGEAAAAAAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAgrBCzS7rDsSPu9qbEiulg9ov9BxIUD+1kLQm/RaWnEhIAAABTAAAAC3NzaC1lZDI1NTE5AAAAQAQHzucE/HHm3JDc6P4hqjqF1kqks3J8Cr0bDWpb759NQ4Pvy17OFbmPcEYbcvwqQ4lqGGTMHr71pLoSch0cpAY= test-ed@sunk"
