#!/usr/bin/env bash
# Copies this machine's ccache and redis-server (Debian 12's: apt-get install ccache redis-server)
# with the shared libraries they need beyond glibc and libstdc++ into .tmp/carry/{bin,lib}, for
# a GPU machine without network: carry ".tmp/carry" with the device run; the build benchmark puts
# .tmp/carry/bin first on PATH when it is there. The binaries find their libraries by an RPATH
# ($ORIGIN/../lib, set with patchelf), so the compilers ccache starts keep the host's own.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.tmp/carry
rm -rf "$DEST" && mkdir -p "$DEST/bin" "$DEST/lib"
for tool in ccache redis-server; do
  src=$(command -v "$tool") || { echo "$tool is not installed: apt-get install ccache redis-server" >&2; exit 1; }
  cp -L "$src" "$DEST/bin/"
  # What the newer host has itself (glibc, libstdc++, libgcc_s) stays out.
  ldd "$src" | awk '/=> \// {print $3}' | grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libdl|libpthread|librt)\.so' |
    while read -r lib; do cp -L "$lib" "$DEST/lib/"; done
  # DT_RPATH, not RUNPATH: it also serves the libraries' own dependencies (libssl's libcrypto).
  patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$DEST/bin/$tool"
done
"$DEST/bin/ccache" --version | head -1
"$DEST/bin/redis-server" --version
echo "redis-server takes $(ldd "$DEST/bin/redis-server" | grep -c 'carry/bin/../lib/') libraries from $DEST/lib"
du -sh "$DEST"
