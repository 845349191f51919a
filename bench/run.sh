#!/usr/bin/env bash
# `make bench`: runs bench/Stockcast.Bench (`run`), which starts Redis and the services, runs the
# scenarios and writes bench/results/latest.md (see docs/benchmarks.md for what it does and its knobs).
# It runs from a copy of its own build output: a rebuild of the work tree during the run rewrites the
# assemblies in place, and must not change, or crash, what is being measured.
#
# Usage: bash bench/run.sh [Release|Debug]
set -euo pipefail
CONFIG="${1:-Release}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="bench/Stockcast.Bench/bin/$CONFIG/net10.0"
[[ -f "$BIN/Stockcast.Bench.dll" ]] || dotnet build Microservices.sln -c "$CONFIG" -nologo -v q
COPY="$(mktemp -d "${TMPDIR:-/tmp}/stockcast-bench-bin.XXXXXX")"
trap 'rm -rf "$COPY"' EXIT
cp -r "$BIN/." "$COPY"
dotnet "$COPY/Stockcast.Bench.dll" run --configuration "$CONFIG"
