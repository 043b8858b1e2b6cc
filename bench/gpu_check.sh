#!/usr/bin/env bash
# The GPU checks of chapter 15 in one call, for a fresh GPU machine with no network (torch with CUDA and transformers
# installed; the repository copied, not installed): backend correctness vs eager in bf16 (inference and gradients),
# torch.compile, the inference table of the paper's protocol, base-shape packed training throughput with MFU, and the
# deployment paths of the CPU table (eager, torch.compile of the traced path, ONNX Runtime when onnxruntime-gpu is
# installed; int8 dynamic quantization is CPU-only and skipped).
# Under 8 minutes on an H100 or H200.
#   usage: bash bench/gpu_check.sh [--dry-run] [more options of bench/gpu_check.py]
#   results: --out DIR, else $OUT if set (the device tool's folder), else bench_results/gpu: gpu_check.log, summary.json,
#            results.md, results.json, results.png
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
       TOKENIZERS_PARALLELISM=false TORCHINDUCTOR_CACHE_DIR="${TORCHINDUCTOR_CACHE_DIR:-/tmp/inductor_cache}"
PY=${PYTHON:-python3}
out=${OUT:-bench_results/gpu}
args=("$@"); for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = --out ] && out=${args[i+1]}; done
mkdir -p "$out"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC')  $(git rev-parse --short HEAD 2>/dev/null)  bash bench/gpu_check.sh $*" | tee "$out/gpu_check.log"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee -a "$out/gpu_check.log"
if ! $PY -c "import torch, transformers, modernbert.bench" 2>>"$out/gpu_check.log"; then
  echo "FAIL: cannot import torch, transformers or modernbert.bench with $PY (see $out/gpu_check.log)" | tee -a "$out/gpu_check.log"; exit 1
fi
timeout -k 10 500 $PY bench/gpu_check.py --out "$out" "$@" 2>&1 | tee -a "$out/gpu_check.log"
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && echo "gpu_check.py hit the 500 s limit; partial results in $out" | tee -a "$out/gpu_check.log"
exit "$rc"
