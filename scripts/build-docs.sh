#!/usr/bin/env bash
# Builds the DocC documentation of every library layer (articles and symbol pages) into one
# .doccarchive per layer, treating warnings as errors, so a broken symbol link fails the build.
#
# Usage: scripts/build-docs.sh [OUTPUT_FOLDER]   (default .build/docs)
# Open an archive with `xcrun docc preview` on a Mac, or serve it with any static server after
# `docc process-archive transform-for-static-hosting`.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/docs}"
mkdir -p "$out"
targets=(ReparamTensor ReparamRandom ReparamDistributions ReparamNN ReparamEstimators ReparamFlows ReparamData
         ReparamModels ReparamRL ReparamPreference)
args=()
for target in "${targets[@]}"; do args+=(--target "$target"); done
swift package --allow-writing-to-directory "$out" generate-documentation "${args[@]}" \
    --output-path "$out" --warnings-as-errors
echo "documentation: ${#targets[@]} archives in $out"
