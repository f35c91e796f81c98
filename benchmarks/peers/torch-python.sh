# Sourced by the PyTorch peer scripts: sets $python to an interpreter that imports torch, installing Debian's
# python3-torch first if none does (needs root or sudo). Debian's package lives in the system interpreter
# (/usr/bin/python3); a pyenv or venv python3 first on PATH does not see it, so the first one that imports torch wins.
find_torch_python() {
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c "import torch" >/dev/null 2>&1; then echo "$py"; return; fi
  done
}
python="$(find_torch_python)"
if [[ -z "$python" ]]; then
  echo "# installing python3-torch"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y python3-torch
  python="$(find_torch_python)"
  [[ -n "$python" ]] || { echo "python3-torch installed but no python3 imports torch" >&2; exit 1; }
fi
