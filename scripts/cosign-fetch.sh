#!/usr/bin/env bash
# Puts cosign (Debian trixie's package: 2.x, statically built, needs only libc >= 2.34) at .cache/cosign/bin/cosign
# and prints its path. Debian bookworm's podman/skopeo have sigstore support patched out and bookworm has no cosign.
#
# How: apt is pointed at the *trixie* suite of the same Debian mirror the machine's own apt sources already use
# (read from /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list — no host is written here), with a private
# state/cache/sources directory, so the system's apt lists and installed packages are untouched. The .deb is
# downloaded, checked by apt against the signed Release file (debian-archive-keyring), and unpacked with
# `dpkg-deb -x` into .cache/cosign. Nothing is installed system-wide.
#
# COSIGN=cosign (or a path) skips all this: use a cosign you already have.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n ${COSIGN:-} ]]; then
  c=$(command -v "$COSIGN") || { echo "COSIGN=$COSIGN: no such program" >&2; exit 1; }
  echo "$c"; exit 0
fi

DEST=$PWD/.cache/cosign
BIN=$DEST/root/usr/bin/cosign
if [[ -x $BIN ]] && "$BIN" version >/dev/null 2>&1; then echo "$BIN"; exit 0; fi

# The Debian mirror the machine already uses: the URI of the first source that serves a plain "bookworm"-style suite
# (not -security/-updates/-backports), in deb822 or one-line format.
mirror_from_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    # deb822: stanzas separated by blank lines; want one whose Suites has a bare codename and whose
    # Signed-By / URIs look like Debian's main archive (has the "debian-archive-keyring").
    awk 'BEGIN{RS=""; FS="\n"}
      {
        uris=""; suites=""; types=""
        for (i=1;i<=NF;i++) {
          if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/,"",$i);   uris=$i }
          if ($i ~ /^Suites:/) { sub(/^Suites:[ \t]*/,"",$i); suites=$i }
          if ($i ~ /^Types:/)  { types=$i }
        }
        if (types !~ /deb([ \t]|$)/) next
        n=split(suites, s, /[ \t]+/)
        for (j=1;j<=n;j++) if (s[j] ~ /^[a-z]+$/ && s[j] != "sid" && s[j] != "unstable" && s[j] != "nodistro") {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' "$f"
  done
  if [[ -r /etc/apt/sources.list ]]; then
    awk '$1=="deb" { i=2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                     if ($(i+1) ~ /^[a-z]+$/) { print $i; exit } }' /etc/apt/sources.list
  fi
}

MIRROR=$(mirror_from_sources | head -n1)
[[ -n $MIRROR ]] || { echo "cosign-fetch: no Debian mirror found in the apt sources" >&2; exit 1; }
MIRROR=${MIRROR%/}
echo "cosign-fetch: trixie suite of the machine's mirror $MIRROR" >&2

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r $KEYRING ]] || { echo "cosign-fetch: $KEYRING missing (Debian package debian-archive-keyring)" >&2; exit 1; }

APTDIR=$DEST/apt
rm -rf "$APTDIR"
mkdir -p "$APTDIR"/{lists/partial,cache/archives/partial,etc/preferences.d,etc/apt.conf.d} "$APTDIR/dpkg"
: > "$APTDIR/dpkg/status"
cat > "$APTDIR/etc/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR trixie main
EOF
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APTDIR/etc/sources.list"
  -o "Dir::Etc::SourceParts=/nonexistent"
  -o "Dir::Etc::Preferences=$APTDIR/etc/preferences"
  -o "Dir::Etc::PreferencesParts=$APTDIR/etc/preferences.d"
  -o "Dir::State=$APTDIR"
  -o "Dir::State::Lists=$APTDIR/lists"
  -o "Dir::State::status=$APTDIR/dpkg/status"
  -o "Dir::Cache=$APTDIR/cache"
  -o "Dir::Cache::Archives=$APTDIR/cache/archives"
  -o "APT::Architecture=$(dpkg --print-architecture)"
  -o "Acquire::Languages=none"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"   # the private cache dir is not readable by _apt
)
apt-get "${APT_OPTS[@]}" -qq update >&2
( cd "$APTDIR/cache" && apt-get "${APT_OPTS[@]}" -qq download cosign >&2 )
DEB=$(ls "$APTDIR"/cache/cosign_*.deb)
rm -rf "$DEST/root"
dpkg-deb -x "$DEB" "$DEST/root"
"$BIN" version >/dev/null
dpkg-deb -f "$DEB" Version > "$DEST/VERSION"   # `cosign version` of Debian's build says only "devel"
echo "cosign-fetch: $(basename "$DEB") unpacked into ${DEST#$PWD/}/root" >&2
rm -rf "$APTDIR/lists" # 60+ MB of package lists: not needed any more
echo "$BIN"
