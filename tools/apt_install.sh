#!/usr/bin/env bash
# tools/apt_install.sh PACKAGE...: installs the Debian packages not yet installed,
# through the machine's own apt configuration, without recommends. Used by
# tools/deps.sh, tools/deps_rp2.sh, `make deps-qemu` and `make profile`.
set -euo pipefail
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
printf 'apt: installing Debian packages:%s\n' "$missing" >&2
$sudo_cmd apt-get update -qq
# shellcheck disable=SC2086  # one word per package
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing
