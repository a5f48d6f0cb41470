#!/usr/bin/env bash
# The GPU check in one call (issue 22): about 5 minutes on one GPU (each step capped so the whole stays under 8),
# no network (random weights of the real architectures, saved as local checkpoints first).
#
#   bash benchmarks/gpu_check.sh             # on a CUDA machine: half precision, musicgen-small architecture
#   bash benchmarks/gpu_check.sh --dry-run   # the same steps on the CPU with tiny sizes, well under a minute
#
# 1. `optimize` end to end (search, export, dashboard artifacts) with a debug-size and a small-architecture
#    random-weight checkpoint loaded from a directory (float16 on CUDA: objectives.generation.default_dtype);
# 2. greedy tokens of the float16 decode against float32 on a few prompts: how many differ;
# 3. the time-to-presets ratio (benchmarks/time_to_presets.py, its last line), clips/s at K = 1, 4, 16 trials
#    per pass and memory per clip.
# Every result line starts with "gpu check:"; the last is "gpu check: done in <s> s".
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 PYTHONWARNINGS=ignore
if [[ $# -gt 1 || ( $# -eq 1 && "$1" != "--dry-run" ) ]]; then
    echo "usage: bash benchmarks/gpu_check.sh [--dry-run]" >&2
    exit 2
fi
started=$SECONDS
work=$(mktemp -d -t gpu-check-XXXXXX)
trap 'rm -rf "$work"' EXIT
if [[ $# -eq 1 ]]; then
    device=cpu small=debug duration=0.2 prompts=2 seeds=1 frames=10 ks=1,4
    presets=(--size debug --clap debug --configs 2 --prompts 2 --seeds 1 --duration 0.2 --rounds 1 --batches 1)
    limit=120
else
    device=cuda small=small duration=1 prompts=12 seeds=2 frames=50 ks=1,4,16
    presets=(--configs 4 --prompts 12 --seeds 2 --duration 1 --rounds 3)
    limit=180
    python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" \
        || { echo "gpu check: no CUDA GPU visible to torch; use --dry-run on a CPU machine." >&2; exit 2; }
fi
echo "gpu check: device $device, $(python -c 'import torch; print("torch", torch.__version__,
    torch.cuda.get_device_name() if torch.cuda.is_available() else "")')"

timeout "$limit" python benchmarks/gpu_check.py prepare "$work" --sizes "debug,$small"

for size in debug "$small"; do
    [[ $size == debug && $small == debug && -e "$work/debug.db" ]] && continue
    begin=$SECONDS
    timeout "$limit" optimize --genre jazz --model "$work/musicgen-$size" --clap "$work/clap-debug" \
        --device "$device" --trials 2 --prompts 2 --replicates 1 --duration "$duration" --validate-seeds 1 \
        --storage "sqlite:///$work/$size.db" --presets-dir "$work/presets-$size" > "$work/optimize-$size.log" 2>&1 \
        || { tail -20 "$work/optimize-$size.log"; echo "gpu check: optimize $size FAILED"; exit 1; }
    written=$(ls "$work/presets-$size"/*.json 2>/dev/null | wc -l)
    [[ $written -ge 1 ]] || { tail -20 "$work/optimize-$size.log"; echo "gpu check: optimize $size wrote no presets"; exit 1; }
    echo "gpu check: optimize $size ($device, random weights from a directory): ok in $((SECONDS - begin)) s," \
         "$written preset file(s)"
done

timeout "$limit" python benchmarks/gpu_check.py tokens --size "$small" --device "$device" --prompts 4 --frames "$frames"
timeout "$limit" python benchmarks/gpu_check.py throughput --size "$small" --device "$device" --ks "$ks" \
    --prompts "$prompts" --seeds "$seeds" --duration "$duration"
timeout "$limit" python benchmarks/time_to_presets.py --device "$device" "${presets[@]}" > "$work/presets.log" 2>&1 \
    || { tail -20 "$work/presets.log"; echo "gpu check: time_to_presets FAILED"; exit 1; }
grep "^speed-up per round" "$work/presets.log" | sed 's/^/gpu check: /'
echo "gpu check: $(tail -1 "$work/presets.log")"
echo "gpu check: done in $((SECONDS - started)) s"
