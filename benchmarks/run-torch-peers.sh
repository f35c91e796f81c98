#!/usr/bin/env bash
# PyTorch (Debian's python3-torch, convolutions on oneDNN) on the shapes of LayerBatchBenchmarks, then our side, so the
# two tables can be read as ratios (ours / theirs) per shape and thread count.
#   bash benchmarks/run-torch-peers.sh [--quick]
# Installs python3-torch if it is missing (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
for a in "$@"; do [[ "$a" == "--quick" ]] && quick="--quick"; done

source benchmarks/peers/torch-python.sh

dotnet build -c Release benchmarks/OdeGen.Benchmarks -v quiet -nologo >/dev/null
echo "# load before torch: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" benchmarks/peers/torch_layers.py $quick
dotnet run -c Release --no-build --project benchmarks/OdeGen.Benchmarks -- ${quick:+--quick} --filter '*LayerBatchBenchmarks*' '*Conv2dFormulationBenchmarks*'
