#!/usr/bin/env bash
# Regenerates Fuzz/corpus/fuzz-ssh-key: one OpenSSH public key line per file, made by ssh-keygen
# (sk-* keys need a FIDO token, so their wire blobs are assembled here), plus lines the parser
# refuses (DSA, certificates, options, short RSA) and odd-but-valid spellings. Run from anywhere.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/corpus/fuzz-ssh-key"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/*

gen() { # name, ssh-keygen args…
    local name=$1; shift
    ssh-keygen -q -N '' -C "$name@seed" -f "$tmp/$name" "$@" </dev/null >/dev/null
    cp "$tmp/$name.pub" "$out/$name"
}
gen ed25519 -t ed25519
gen ecdsa-256 -t ecdsa -b 256
gen ecdsa-384 -t ecdsa -b 384
gen ecdsa-521 -t ecdsa -b 521
gen rsa-2048 -t rsa -b 2048
gen rsa-4096 -t rsa -b 4096
gen rsa-1024-refused -t rsa -b 1024
if ssh-keygen -q -N '' -t dsa -f "$tmp/dsa" </dev/null >/dev/null 2>&1; then
    cp "$tmp/dsa.pub" "$out/dsa-refused"
fi

# Security-key types: the public blob is plain SSH wire format (type, key, application).
python3 - "$out" <<'PY'
import base64, os, struct, sys
out = sys.argv[1]
s = lambda b: struct.pack(">I", len(b)) + b
def write(name, blob, comment):
    with open(os.path.join(out, name), "w") as f:
        f.write(blob[:0].decode() + blob_type(blob) + " " + base64.b64encode(blob).decode() + " " + comment + "\n")
def blob_type(blob):
    n = struct.unpack(">I", blob[:4])[0]
    return blob[4:4 + n].decode()
write("sk-ssh-ed25519", s(b"sk-ssh-ed25519@openssh.com") + s(os.urandom(32)) + s(b"ssh:"), "yubikey@seed")
write("sk-ecdsa-256", s(b"sk-ecdsa-sha2-nistp256@openssh.com") + s(b"nistp256") + s(b"\x04" + os.urandom(64)) + s(b"ssh:"),
      "token@seed")
PY

# Certificates (refused): a user certificate signed by a throwaway CA.
ssh-keygen -q -N '' -t ed25519 -f "$tmp/ca" </dev/null >/dev/null
ssh-keygen -q -s "$tmp/ca" -I seed -n ada "$tmp/ed25519.pub" 2>/dev/null
cp "$tmp/ed25519-cert.pub" "$out/cert-ed25519-refused"
ssh-keygen -q -s "$tmp/ca" -I seed -n ada "$tmp/rsa-2048.pub" 2>/dev/null
cp "$tmp/rsa-2048-cert.pub" "$out/cert-rsa-refused"

ed=$(cat "$out/ed25519")
# Options in front (refused), as authorized_keys lines have them.
printf 'restrict,command="/bin/date" %s\n' "$ed" > "$out/options-command-refused"
printf 'from="10.0.0.0/8",no-pty %s\n' "$ed" > "$out/options-from-refused"
# Accepted spellings that are not canonical: blanks around and inside, no comment, a long comment
# with non-ASCII, and the newline at the end.
printf ' \t%s\t\t  \n' "$(echo "$ed" | sed 's/ /\t /g')" > "$out/ed25519-blanks"
echo "$ed" | cut -d' ' -f1,2 > "$out/ed25519-no-comment"
printf '%s Zoë Ω  laptop (work)   2026\n' "$(echo "$ed" | cut -d' ' -f1,2)" > "$out/ed25519-utf8-comment"
printf '%s' "$(cat "$out/ecdsa-256")" > "$out/ecdsa-256-no-newline"
# Refused: a control character in the comment, wrong type for the blob, broken base64.
printf '%s bell\a\n' "$(echo "$ed" | cut -d' ' -f1,2)" > "$out/ed25519-control-refused"
printf 'ssh-rsa %s\n' "$(echo "$ed" | cut -d' ' -f2)" > "$out/type-mismatch-refused"
printf '%s=\n' "$(echo "$ed" | cut -d' ' -f1,2)" > "$out/ed25519-bad-base64-refused"
# Longer than SSHPublicKey.maximumLineLength (8192 bytes): refused before anything else.
printf '%s %s' "$(echo "$ed" | cut -d' ' -f1,2)" "$(head -c 8200 /dev/zero | tr '\0' x)" > "$out/too-long-refused"
# The parser takes one line without its newline (a newline is refused like any control character):
# strip it everywhere, then keep one seed that has it.
for f in "$out"/*; do perl -0pi -e 's/\n\z//' "$f"; done
rm -f "$out/ecdsa-256-no-newline"
{ cat "$out/ecdsa-256"; echo; } > "$out/ecdsa-256-newline-refused"
ls "$out" | wc -l
