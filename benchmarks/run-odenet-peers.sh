#!/usr/bin/env bash
# The ODE-Net classifier's models, one training step on a batch of 128 random images, ours and PyTorch's side by side
# (docs/odenet.md, "Against PyTorch"): PyTorch first, then ours, each model on one and on all threads, so the two
# blocks of output can be read as ratios (ours / theirs) per model and thread count.
#   bash benchmarks/run-odenet-peers.sh [--channels C] [--repeats R] [--dtype float32|float64] [--models a,b]
# Models: resnet, resnet1, rknet, odenet, odenet-adjoint (PyTorch only: its back-solve adjoint; ours is `odenet`).
# Installs python3-torch if it is missing (needs root or sudo), as run-torch-peers.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
channels=16 repeats=3 dtype=float64 models=resnet,resnet1,rknet,odenet
while (($#)); do
  case "$1" in
    --channels) channels="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    *) echo "unknown argument $1 (expected --channels, --repeats, --dtype, --models)" >&2; exit 2 ;;
  esac
done
threads_all=$(nproc)

source benchmarks/peers/torch-python.sh

# Build ours first, so the compiler does not load the machine while PyTorch is timed.
dotnet build -c Release samples/Classifier -v quiet -nologo >/dev/null
echo "# load before PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" benchmarks/peers/odenet_torch.py --channels "$channels" --repeats "$repeats" --dtype "$dtype" --models "$models" \
  --threads "1,$threads_all"
echo "# load before ours: $(cut -d' ' -f1-3 /proc/loadavg)"
IFS=, read -ra list <<<"$models"
for model in "${list[@]}"; do
  # Ours has no separate adjoint model: our `odenet` is the adjoint (PyTorch's `odenet` backpropagates through its solver).
  [[ $model == odenet-adjoint ]] && continue
  for threads in 1 "$threads_all"; do
    echo "# ours: $model, $threads thread(s)"
    dotnet run -c Release --no-build --project samples/Classifier -- --bench --model "$model" --channels "$channels" \
      --threads "$threads" --bench-repeats "$repeats"
  done
done
