#!/usr/bin/env bash
# Makes the local image the container tests build in: Debian bullseye (glibc 2.31) with Python's
# venv and headers (with the runner's pip), g++ and ccache, imported into podman. No registry is needed: debootstrap reads Debian's
# mirror (the first one apt's sources name, unless DEBIAN_MIRROR names another). Skips when the image exists.
set -euo pipefail
image="${SAGEWHEELS_TEST_IMAGE:-sagewheels-test/bullseye}"
apt_mirror() {
  { grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'; } | grep -v -- '-security' | head -n 1 || true
}
mirror="${DEBIAN_MIRROR:-$(apt_mirror)}"
[ -n "$mirror" ] || { echo 'no Debian mirror in apt sources: set DEBIAN_MIRROR' >&2; exit 1; }
if podman image exists "$image"; then
  echo "$image exists"
  exit 0
fi
root="$(mktemp -d "${TMPDIR:-/tmp}/sagewheels-image.XXXXXX")"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bullseye "$root" "$mirror"
chroot "$root" apt-get update -q
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  python3 python3-dev python3-venv python3-pip python3-setuptools python3-wheel g++ ccache
# manylinux images carry a recent pip; bullseye's 20.3 cannot read pyproject.toml's build-system
# (no tomli): its Python's venvs get the runner's (Debian 12's) pip instead. Its setuptools stays
# bullseye's own: Debian 12's is patched for Debian 12's Python (install_layout).
rm -f "$root"/usr/share/python-wheels/pip-*.whl
cp /usr/share/python-wheels/pip-*.whl "$root/usr/share/python-wheels/"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import - "$image"
echo "made $image"
