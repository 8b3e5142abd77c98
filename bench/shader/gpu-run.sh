#!/usr/bin/env bash
# Runs on the GPU machine from the folder bench/shader/pack-gpu.sh made: unpacks the Vulkan loader,
# node and the bundle, prints the CUDA references (tiled kernel + cuBLAS SGEMM, if nvcc is there),
# then the WGSL matmul through Dawn/Vulkan. Arguments: matrix sizes. Writes $OUT/shader-gpu.json if OUT is set.
set -uo pipefail
cd "$(dirname "$0")"
for f in debs/*.deb; do dpkg -x "$f" /; done; ldconfig
xz -dc node.xz > /tmp/node && chmod +x /tmp/node
mkdir -p /tmp/pkg && tar -C /tmp/pkg -xJf pkg.tar.xz
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi -L
cuda='null'
if command -v nvcc >/dev/null; then
  nvcc -O3 -arch=sm_90 -o /tmp/mmref matmul-reference.cu -lcublas && cuda=$(/tmp/mmref "$@")
fi
echo "cuda: $cuda"
dawn=$(cd /tmp/pkg && /tmp/node bench.mjs "$@")
echo "dawn: $dawn"
out="{\"gpu\":\"$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)\",\"cuda\":$cuda,\"dawn\":${dawn:-null}}"
[ -n "${OUT:-}" ] && echo "$out" > "$OUT/shader-gpu.json"
