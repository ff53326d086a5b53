#!/usr/bin/env bash
# Installs what the tests need on a Debian bookworm machine (we run as root there). Everything is skipped when
# already present, so a second run costs a second. apt packages are pinned by the Debian suite (bookworm);
# cargo tools are pinned to exact versions in scripts/cargo-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per package: what needs it.
APT_PACKAGES=(
  redis-server      # black-box tests against a real Redis (standalone, sentinel, cluster, TLS)
  chromium          # browser test
  chromium-driver   # browser test (WebDriver)
  openssl           # certificates made at test time
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "apt packages: all present"
fi
