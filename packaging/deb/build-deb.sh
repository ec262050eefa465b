#!/bin/bash
# build-deb.sh BIN_DIR VERSION OUT_DIR
#
# Builds OUT_DIR/sunk-bridge_VERSION_ARCH.deb with dpkg-deb from prebuilt executables
# BIN_DIR/sunk-bridge and BIN_DIR/sunk-authorized-keys (build them statically: login nodes have no
# Swift runtime). Every file is root:root (dpkg-deb --root-owner-group): runs as root or not,
# no fakeroot needed.
#
# Env: ARCH (default: dpkg --print-architecture), MAINTAINER (the control file's Maintainer: set it to
#      whoever answers for the package at your site), ALLOW_DYNAMIC_SWIFT=1 to accept executables that
#      need the Swift runtime's shared libraries (test builds only), SOURCE_DATE_EPOCH (file times).
# Prints the path of the .deb on its last line.
set -euo pipefail

usage() { echo "usage: $0 BIN_DIR VERSION OUT_DIR" >&2; exit 2; }
[ $# -eq 3 ] || usage
BIN_DIR=$1 VERSION=$2 OUT_DIR=$3
HERE=$(cd "$(dirname "$0")" && pwd)          # packaging/deb
PKG=$(cd "$HERE/.." && pwd)                  # packaging
TOP=$(cd "$PKG/.." && pwd)                   # the repository
ARCH=${ARCH:-$(dpkg --print-architecture)}
MAINTAINER=${MAINTAINER:-SUNK Bridge maintainers <root@localhost>}
case $MAINTAINER in *"<"*"@"*">"*) ;; *) echo "MAINTAINER must look like: Name <address>" >&2; exit 2 ;; esac

[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "bad VERSION '$VERSION' (Debian version: starts with a digit)" >&2; exit 2; }
for b in sunk-bridge sunk-authorized-keys; do
  [ -f "$BIN_DIR/$b" ] && [ -x "$BIN_DIR/$b" ] || { echo "missing executable $BIN_DIR/$b" >&2; exit 2; }
done
command -v dpkg-deb >/dev/null || { echo "dpkg-deb not found (apt-get install dpkg)" >&2; exit 2; }

# Login nodes have no Swift toolchain: refuse executables that need its shared libraries.
if command -v readelf >/dev/null; then
  for b in sunk-bridge sunk-authorized-keys; do
    needed=$(LC_ALL=C readelf -d "$BIN_DIR/$b" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
    if [[ " $needed" == *" libswift"* || " $needed" == *" libFoundation"* || " $needed" == *" lib_Foundation"* ]]; then
      if [ "${ALLOW_DYNAMIC_SWIFT:-0}" = 1 ]; then
        echo "warning: $b needs the Swift runtime ($needed) - test package only" >&2
      else
        echo "$BIN_DIR/$b needs Swift runtime libraries ($needed): build with --static-swift-stdlib" \
             "(the key helper with -static-executable), or set ALLOW_DYNAMIC_SWIFT=1 for a test package" >&2
        exit 1
      fi
    fi
  done
else
  echo "note: readelf not found, not checking that the executables are static" >&2
fi

umask 022
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/sunk-bridge-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
R=$STAGE/root
DOC=$R/usr/share/doc/sunk-bridge

install -d -m 0755 "$R/DEBIAN" "$R/usr/bin" "$R/usr/libexec/sunk-bridge" "$R/lib/systemd/system" \
  "$R/etc/cron.d" "$R/etc/default" "$DOC/examples/sshd_config.d" "$DOC/examples/sunk-bridge-sync.service.d"

install -m 0755 "$BIN_DIR/sunk-bridge" "$R/usr/bin/sunk-bridge"
install -m 0755 "$BIN_DIR/sunk-authorized-keys" "$R/usr/libexec/sunk-bridge/sunk-authorized-keys"
install -m 0755 "$PKG/cron/sunk-bridge-sync-cron" "$R/usr/libexec/sunk-bridge/sunk-bridge-sync-cron"
for u in sunk-bridge.service sunk-bridge-sync.service sunk-bridge-sync.timer sunk-bridge-watch.service \
         sunk-bridge-slurm-sync.service sunk-bridge-slurm-sync.timer; do
  install -m 0644 "$PKG/systemd/$u" "$R/lib/systemd/system/$u"
done
install -m 0644 "$PKG/cron/sunk-bridge-sync" "$R/etc/cron.d/sunk-bridge-sync"
install -m 0644 "$PKG/default/sunk-bridge" "$R/etc/default/sunk-bridge"
install -m 0644 "$PKG/default/sunk-bridge-sync" "$R/etc/default/sunk-bridge-sync"

install -m 0644 "$PKG/examples/sshd_config.d/sunk-bridge.conf" "$DOC/examples/sshd_config.d/sunk-bridge.conf"
install -m 0644 "$PKG/examples/nsswitch.conf.snippet" "$DOC/examples/nsswitch.conf.snippet"
install -m 0644 "$PKG/examples/sunk-bridge-sync.service.d/nss-cache.conf" \
  "$DOC/examples/sunk-bridge-sync.service.d/nss-cache.conf"
install -m 0644 "$PKG/examples/sunk-bridge-sync.service.d/sudoers.conf" \
  "$DOC/examples/sunk-bridge-sync.service.d/sudoers.conf"
install -m 0644 "$HERE/copyright" "$DOC/copyright"
install -m 0644 "$HERE/README.Debian" "$DOC/README.Debian"
[ -f "$TOP/README.md" ] && install -m 0644 "$TOP/README.md" "$DOC/README.md"
[ -f "$TOP/docs/operations.md" ] && install -m 0644 "$TOP/docs/operations.md" "$DOC/operations.md"

install -m 0755 "$HERE/postinst" "$HERE/prerm" "$HERE/postrm" "$R/DEBIAN/"
printf '%s\n' /etc/cron.d/sunk-bridge-sync /etc/default/sunk-bridge /etc/default/sunk-bridge-sync \
  > "$R/DEBIAN/conffiles"
chmod 0644 "$R/DEBIAN/conffiles"

SIZE=$(du -sk --exclude=DEBIAN "$R" | cut -f1)
cat > "$R/DEBIAN/control" <<CONTROL
Package: sunk-bridge
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Section: admin
Priority: optional
Installed-Size: $SIZE
Depends: libc6, libsqlite3-0, libstdc++6, libgcc-s1, zlib1g, libxmlsec1-openssl | libxmlsec1t64-openssl, libxml2 | libxml2-16, libssl3 | libssl3t64, adduser
Recommends: libnss-extrausers | libnss-cache, openssh-server
Description: SCIM 2.0 receiver and Slurm login-node sync for IdP users and SSH keys
 SUNK Bridge receives users and groups from an identity provider (Okta, Entra ID) over
 SCIM 2.0 and turns them into POSIX accounts and SSH public keys on Slurm login nodes.
 .
 sunk-bridge serve runs on a head node; sunk-bridge sync (systemd timer or cron) writes
 NSS files for libnss-extrausers or libnss-cache on every login node, and
 /usr/libexec/sunk-bridge/sunk-authorized-keys serves keys to sshd's
 AuthorizedKeysCommand. Installing activates nothing: see
 /usr/share/doc/sunk-bridge/operations.md.
CONTROL
chmod 0644 "$R/DEBIAN/control"

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  find "$R" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
fi

mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/sunk-bridge_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$R" "$OUT" >/dev/null
echo "$OUT"
