#!/usr/bin/env bash
# The ODE-Net classifier's models, one training step on a batch of 128 random images, ours and PyTorch's side by side
# (docs/odenet.md, "Against PyTorch"): PyTorch first, then ours, each model on one and on all threads, so the two
# blocks of output can be read as ratios (ours / theirs) per model and thread count.
#   bash benchmarks/run-odenet-peers.sh [--channels C] [--repeats R] [--dtype float32|float64] [--models a,b] [--hidden H]
# Models (PyTorch's names): resnet, resnet1, rknet, odenet (backpropagation through Dopri5: ours `odenet-discrete`),
# odenet-adjoint (its back-solve adjoint: ours `odenet`). float32 runs ours with --precision single; the ODE models run
# ours with --batch-ode (the batch as one ODE, as PyTorch solves it). --hidden H: the ODE block's wider dynamics.
# Installs python3-torch if it is missing (needs root or sudo), as run-torch-peers.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
channels=16 repeats=3 dtype=float64 models=resnet,resnet1,rknet,odenet hidden=0
while (($#)); do
  case "$1" in
    --channels) channels="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --hidden) hidden="$2"; shift 2 ;;
    *) echo "unknown argument $1 (expected --channels, --repeats, --dtype, --models, --hidden)" >&2; exit 2 ;;
  esac
done
threads_all=$(nproc)

source benchmarks/peers/torch-python.sh

# Build ours first, so the compiler does not load the machine while PyTorch is timed.
dotnet build -c Release samples/Classifier -v quiet -nologo >/dev/null
echo "# load before PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" benchmarks/peers/odenet_torch.py --channels "$channels" --repeats "$repeats" --dtype "$dtype" --models "$models" \
  --threads "1,$threads_all" --hidden "$hidden"
echo "# load before ours: $(cut -d' ' -f1-3 /proc/loadavg)"
precision=double
[[ $dtype == float32 ]] && precision=single
IFS=, read -ra list <<<"$models"
for model in "${list[@]}"; do
  # The model of ours that computes what PyTorch's computes.
  case "$model" in
    odenet) ours=odenet-discrete ;;
    odenet-adjoint) ours=odenet ;;
    *) ours="$model" ;;
  esac
  extra=()
  [[ $ours == rknet || $ours == odenet* ]] && extra=(--batch-ode --hidden "$hidden")
  for threads in 1 "$threads_all"; do
    echo "# ours: $ours (beside PyTorch's $model), $threads thread(s)"
    dotnet run -c Release --no-build --project samples/Classifier -- --bench --model "$ours" --channels "$channels" \
      --threads "$threads" --bench-repeats "$repeats" --precision "$precision" "${extra[@]}"
  done
done
