#!/usr/bin/env bash
# The contracts' checks (make proto-check, run by make test): buf lint (protos/buf.yaml says which rules and
# why the exceptions), buf breaking against the released API (protos/api-baseline.binpb, renewed by
# `make proto-baseline` when a release goes out), and a self-check that a breaking change is caught.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
buf="$root/.build/buf/bin/buf"
cd "$root/protos"
"$buf" lint
"$buf" breaking --against api-baseline.binpb
# The breaking check itself: the same protos without StockRecord's sku must be refused.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r buf.yaml stockcast "$work/"
sed -i '/^message StockRecord {/,/^}/{/^  string sku = 1;/d}' "$work/stockcast/ledger/v1/ledger.proto"
if (cd "$work" && "$buf" breaking --against "$root/protos/api-baseline.binpb" >/dev/null 2>&1); then
  echo "proto-check: buf breaking let a removed field through" >&2
  exit 1
fi
echo "proto-check: buf lint and buf breaking (against protos/api-baseline.binpb) pass; a removed field is caught"
