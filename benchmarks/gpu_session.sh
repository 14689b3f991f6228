#!/usr/bin/env bash
# The device checks of one GPU session, as one script (a GPU is lent rarely and briefly): the CUDA tests,
# the engine's throughput for K = 1 … 1024, and the quick check on CUDA. Run from the repository root with
# the machine's python3 (torch with CUDA); results go to $OUT (default gpu-out/).
#   OUT=benchmarks/results/gpu bash benchmarks/gpu_session.sh
set -u
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
python3 -c "import torch, sys; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name())" \
  >> "$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"
echo "== CUDA tests"; start=$SECONDS
timeout 100 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tail -30 | tee "$OUT/cuda-tests.log"
echo "cuda tests: $((SECONDS - start)) s"
echo "== throughput"; start=$SECONDS
timeout 150 python3 benchmarks/gpu_throughput.py --device cuda --k "${GPU_K:-1,64,256,1024}" --steps 100 \
  --json "$OUT/gpu_throughput.json" 2>&1 | tail -60 | tee "$OUT/throughput.log"
echo "throughput: $((SECONDS - start)) s"
echo "== throughput, the band's shape"; start=$SECONDS
timeout 120 python3 benchmarks/gpu_throughput.py --device cuda --band --k 1,8,32 --steps 200 \
  --json "$OUT/gpu_throughput_band.json" 2>&1 | tail -40 | tee "$OUT/throughput_band.log"
echo "band throughput: $((SECONDS - start)) s"
if [ -n "${CALIBRATE_ONLY:-}" ]; then
  echo "== calibrate $CALIBRATE_ONLY on CUDA"; start=$SECONDS
  timeout "${CALIBRATE_SECONDS:-300}" python3 -m idtheory calibrate --stream calibration --examples 20 \
    --only "$CALIBRATE_ONLY" --records "$OUT/band-records.jsonl" --no-fit --device cuda --workers 6 \
    --thresholds "$OUT/scratch-thresholds.json" 2>&1 | tail -40 > "$OUT/calibrate.log"
  echo "calibrate: rc $? in $((SECONDS - start)) s" | tee -a "$OUT/calibrate.log"
  tail -30 "$OUT/calibrate.log"
fi
echo "== quick check on CUDA"; start=$SECONDS
timeout "${CHECK_SECONDS:-180}" python3 -m idtheory check --profile quick --device cuda --seed 5 --workers 4 \
  --json "$OUT/check-quick-cuda.json" 2>&1 | tail -60 > "$OUT/check-quick-cuda.log"
echo "quick check on cuda: rc $? in $((SECONDS - start)) s" | tee -a "$OUT/check-quick-cuda.log"
tail -40 "$OUT/check-quick-cuda.log"
