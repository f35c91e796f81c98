#!/usr/bin/env bash
# PyTorch (Debian's python3-torch, convolutions on oneDNN) on the shapes of LayerBatchBenchmarks, then our side, so the
# two tables can be read as ratios (ours / theirs) per shape and thread count.
#   bash benchmarks/run-torch-peers.sh [--quick]
# Installs python3-torch if it is missing (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
for a in "$@"; do [[ "$a" == "--quick" ]] && quick="--quick"; done

# Debian's python3-torch lives in the system interpreter (/usr/bin/python3); a pyenv or venv python3 first on PATH does
# not see it, so take the first interpreter that imports torch.
find_python() {
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c "import torch" >/dev/null 2>&1; then echo "$py"; return; fi
  done
}
python="$(find_python)"
if [[ -z "$python" ]]; then
  echo "# installing python3-torch"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y python3-torch
  python="$(find_python)"
  [[ -n "$python" ]] || { echo "python3-torch installed but no python3 imports torch" >&2; exit 1; }
fi

dotnet build -c Release benchmarks/OdeGen.Benchmarks -v quiet -nologo >/dev/null
echo "# load before torch: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" benchmarks/peers/torch_layers.py $quick
dotnet run -c Release --no-build --project benchmarks/OdeGen.Benchmarks -- ${quick:+--quick} --filter '*LayerBatchBenchmarks*' '*Conv2dFormulationBenchmarks*'
