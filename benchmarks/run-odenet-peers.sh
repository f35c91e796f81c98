#!/usr/bin/env bash
# The ODE-Net classifier's models, one training step on a batch of 128 random images, ours and PyTorch's side by side
# (docs/odenet.md, "Against PyTorch"): PyTorch first, then ours, each model on one and on all threads, so the two
# blocks of output can be read as ratios (ours / theirs) per model and thread count.
#   bash benchmarks/run-odenet-peers.sh [--channels C] [--repeats R] [--dtype float32|float64] [--models a,b] [--hidden H]
#                                       [--warmup S] [--pin CPU]
# Models (PyTorch's names): resnet, resnet1, rknet, odenet (backpropagation through Dopri5: ours `odenet-discrete`),
# odenet-adjoint (its back-solve adjoint: ours `odenet`). float32 runs ours with --precision single; the ODE models run
# ours with --batch-ode (the batch as one ODE, as PyTorch solves it). --hidden H: the ODE block's wider dynamics.
# --warmup S (default 10): both sides take untimed steps for S seconds first. Ours needs them: the JIT's optimized code
# arrives over the first seconds, and with 3 s a one-thread RK-Net step still measured 390-470 ms where it settles at 385.
# --pin CPU: every process runs under `taskset -c CPU`, one thread only. On a host whose virtual CPUs change speed (this
# one: BENCHMARKS.md, "the classifier step's per-process slow mode"), both sides then run on the same CPU.
# Installs python3-torch if it is missing (needs root or sudo), as run-torch-peers.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
channels=16 repeats=3 dtype=float64 models=resnet,resnet1,rknet,odenet hidden=0 warmup=10 pin=
while (($#)); do
  case "$1" in
    --channels) channels="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --hidden) hidden="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --pin) pin="$2"; shift 2 ;;
    *) echo "unknown argument $1 (expected --channels, --repeats, --dtype, --models, --hidden, --warmup, --pin)" >&2; exit 2 ;;
  esac
done
threads_all=$(nproc)
run=()
thread_counts=(1 "$threads_all")
torch_threads="1,$threads_all"
if [[ -n $pin ]]; then
  run=(taskset -c "$pin")
  thread_counts=(1)
  torch_threads=1
fi

source benchmarks/peers/torch-python.sh

# Build ours first, so the compiler does not load the machine while PyTorch is timed.
dotnet build -c Release samples/Classifier -v quiet -nologo >/dev/null
echo "# load before PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"
${run[@]+"${run[@]}"} "$python" benchmarks/peers/odenet_torch.py --channels "$channels" --repeats "$repeats" --dtype "$dtype" \
  --models "$models" --threads "$torch_threads" --hidden "$hidden" --warmup "$warmup"
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
  for threads in "${thread_counts[@]}"; do
    echo "# ours: $ours (beside PyTorch's $model), $threads thread(s)${pin:+, pinned to CPU $pin}"
    ${run[@]+"${run[@]}"} dotnet samples/Classifier/bin/Release/net10.0/Classifier.dll --bench --model "$ours" --channels "$channels" \
      --threads "$threads" --bench-repeats "$repeats" --bench-warmup "$warmup" --precision "$precision" "${extra[@]}"
  done
done
