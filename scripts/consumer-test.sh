#!/usr/bin/env bash
# Builds a fresh package that depends on Reparam the way a user's would: by a version tag of a git
# repository, not by a path. The repository is a clone of this checkout's HEAD, tagged; the
# consumer takes one layer's product on its own (ReparamDistributions) and the umbrella (Reparam),
# builds in release and runs. Fails if SwiftPM refuses the dependency (unsafe flags, a product
# that is missing or leaks a dependency it does not declare) or the program prints a wrong number.
#
# Usage: scripts/consumer-test.sh   (from the repository; needs only swift and git)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tag="99.0.0"

git clone -q "$root" "$work/reparam"
git -C "$work/reparam" tag "$tag"

mkdir -p "$work/consumer/Sources/LayerOnly" "$work/consumer/Sources/Umbrella"
cat > "$work/consumer/Package.swift" <<EOF
// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(url: "file://$work/reparam", exact: "$tag")],
    targets: [
        .executableTarget(name: "LayerOnly", dependencies: [.product(name: "ReparamDistributions", package: "reparam")]),
        .executableTarget(name: "Umbrella", dependencies: [.product(name: "Reparam", package: "reparam")]),
    ]
)
EOF
# One layer alone: a Normal's log-density at its mean is −log(σ√(2π)).
cat > "$work/consumer/Sources/LayerOnly/main.swift" <<'EOF'
import ReparamDistributions
import ReparamTensor

let q = Normal(loc: Tensor([0.5]), scale: Tensor([2]))
print(q.logProb(Tensor([0.5])).scalars[0])
EOF
# The umbrella: a pathwise gradient, d/dμ E[z²] = 2μ, by 20 000 reparameterized samples.
cat > "$work/consumer/Sources/Umbrella/main.swift" <<'EOF'
import Reparam

let mu = Tensor([0.75])
let g = gradient(at: mu) { mu in
    square(Normal(loc: mu, scale: Tensor([1])).rsample(RandomKey(seed: 3), sampleShape: [20_000])).mean().sumToFloat()
}
print(g.scalars[0])
EOF

cd "$work/consumer"
swift build -c release 2>&1 | tail -3
layer="$(.build/release/LayerOnly)"
umbrella="$(.build/release/Umbrella)"
python3 - "$layer" "$umbrella" "$tag" <<'EOF'
import math, sys
layer, umbrella, tag = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
expected = -math.log(2 * math.sqrt(2 * math.pi))
assert abs(layer - expected) < 1e-5, f"ReparamDistributions alone: log q(μ) = {layer}, expected {expected}"
# 2μ = 1.5; the estimate's standard error is 2·sd(z)/√n ≈ 0.014, so 5 SE is 0.07.
assert abs(umbrella - 1.5) < 0.07, f"Reparam: d/dμ E[z²] = {umbrella}, expected 1.5 (±0.07)"
print(f"consumer test: passed (a package depending on tag {tag} built in release; "
      f"log q(μ) {layer:.6f}, d/dμ E[z²] {umbrella:.4f})")
EOF
