#!/usr/bin/env bash
# Packs bench:shader for a GPU machine (no Node, no network): bundles bench/shader/gpu-entry.ts with
# esbuild, then ../shared/gpu/pack.sh's recipe (node, Dawn's dawn.node, the Vulkan loader debs) into
# OUTDIR (default .gpu/, git-ignored), plus the CUDA reference and gpu-run.sh.
# On the GPU machine: bash OUTDIR/gpu-run.sh 512 1024 2048
set -euo pipefail
out=${1:-.gpu}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
npx esbuild bench/shader/gpu-entry.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile="$tmp/bench.mjs" --log-level=warning
rm -rf "$out"; mkdir -p "$out/debs" "$tmp/pkg/node_modules/webgpu/dist/linux-x64"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
cp node_modules/webgpu/{index.js,package.json} "$tmp/pkg/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$tmp/pkg/node_modules/webgpu/dist/linux-x64/"
cp "$tmp/bench.mjs" "$tmp/pkg/bench.mjs"
tar -C "$tmp/pkg" -cJf "$out/pkg.tar.xz" . && rm -rf "$tmp"
mkdir -p /tmp/amd64/partial; o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update >/dev/null 2>&1 || true
(cd "$out/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libglx0 libgl1 libopengl0 >/dev/null 2>&1) || { echo "could not download the loader packages" >&2; exit 1; }
cp bench/shader/matmul-reference.cu bench/shader/gpu-run.sh "$out/"
du -sh "$out"
