#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only those missing.
# The tests use the real things: sshd and ssh, Slurm (munge, slurmdbd on MariaDB, slurmctld, slurmd), glibc NSS through libnss-extrausers and
# libnss-cache, unshare/mount from util-linux, sudo (visudo and the real sudo of the --sudo-group test),
# dpkg-deb for the package test.
set -euo pipefail
packages=(
  libsqlite3-dev          # GRDB links the system SQLite; the bench's C commit loop too
  gcc                     # cc for the benchmark harness's C references (its smoke run is a test)
  openssh-server          # real sshd for the AuthorizedKeysCommand end-to-end test
  openssh-client          # ssh, ssh-keygen
  libnss-extrausers       # NSS module for /var/lib/extrausers
  libnss-cache            # NSS module for /etc/*.cache with indexes
  util-linux              # unshare, setpriv
  sudo                    # visudo -cf checks sync's sudoers file; the real sudo in the --sudo-group test
  dpkg-dev                # dpkg-deb for `make deb`
  sqlite3                 # backup/restore checks and debugging
  python3                 # prometheus text-format parser in the metrics test
  strace                  # proves libnss-cache uses its index
  openssl                 # test CAs and certificates for the TLS tests
  nginx-light             # the reverse-proxy TLS set-up test (never started as a service)
  systemd                 # the units run under a real systemd in a throw-away container
  iproute2                # that container's loopback-only network
  curl                    # its /healthz and SCIM checks
  munge                   # the Slurm end-to-end test: munged with a scratch key and socket
  mariadb-server          # slurmdbd's database, a scratch datadir on a private socket
  slurmdbd                # the real accounting daemon `slurm sync` talks to via sacctmgr
  slurmctld               # the real controller that refuses jobs without an association
  slurmd                  # one compute node on 127.0.0.1 that runs the accepted job
  slurm-client            # sacctmgr, sbatch, squeue, scancel
  pkg-config              # SwiftPM finds libxmlsec1's flags through xmlsec1-openssl.pc
  libxmlsec1-dev          # SAML sign-in: XML signatures with libxmlsec1's OpenSSL backend (links libxmlsec1-openssl)
  libxml2-dev             # libxml2, which libxmlsec1 and the SAML service provider parse with
  libssl-dev              # OpenSSL headers: the IdP certificate reader (libxmlsec1-dev's openssl headers need them)
  zlib1g-dev              # raw DEFLATE for the SAML HTTP-Redirect binding
  xmlsec1                 # the xmlsec1 binary pysaml2 signs with: the test IdP
  chromium                # the console's real-browser test (headless, driven by selenium)
  chromium-driver         # chromedriver for that test: selenium never downloads a browser or driver
  postgresql              # PostgreSQL 15 on Debian 12, the store's second engine: its tests initdb a scratch cluster
                          # from /usr/lib/postgresql/15/bin, never the packaged service (policy-rc.d keeps it off)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "deps: all Debian packages present"; else
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# policy-rc.d keeps package scripts from starting sshd, munge, mariadb, postgresql or slurm on the test machine
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
[ $had_policy = 1 ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; }
apt-get install -y -q --no-install-recommends "${missing[@]}"
[ $had_policy = 1 ] || rm -f /usr/sbin/policy-rc.d
fi

# The metrics test parses /metrics with the reference Prometheus text-format parser.
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
  echo "deps: installing prometheus-client (PyPI)"
  python3 -m pip install -q prometheus-client
fi
# The SAML tests' identity provider (Tests/e2e/saml/idp.py) is pysaml2, signing with xmlsec1.
if ! python3 -c 'import saml2' 2>/dev/null; then
  echo "deps: installing pysaml2 (PyPI)"
  python3 -m pip install -q pysaml2==7.5.5
fi
# The console's real-browser test (Tests/e2e/console/browser.py) drives chromium with selenium.
if ! python3 -c 'import selenium' 2>/dev/null; then
  echo "deps: installing selenium (PyPI)"
  python3 -m pip install -q selenium==4.51.0
fi
# docs/snapshot.md's independent signature check uses the cryptography package's Ed25519.
if ! python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null; then
  echo "deps: installing cryptography (PyPI)"
  python3 -m pip install -q cryptography
fi
