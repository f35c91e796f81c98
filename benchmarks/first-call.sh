#!/usr/bin/env bash
# Issue #20 item 6: time from process start to the first and the hundredth Lorenz gradient, in fresh processes, for the JIT
# (as is, and with runtime settings an application can choose), ReadyToRun and NativeAOT builds of benchmarks/OdeGen.FirstCall.
#   bash benchmarks/first-call.sh            7 processes per variant
#   bash benchmarks/first-call.sh 3          3 processes per variant
#   VARIANTS="jit aot" bash benchmarks/first-call.sh
# Prints, per variant, the median over the processes of each number OdeGen.FirstCall prints (see its Program.cs):
# first / hundredth = ms from process start to the end of the 1st / 100th gradient, firstCall = ms of the first call,
# steady = µs of a warm call, ratio = firstCall / steady (goal ≤ 10), plateau = ms from start until calls are within 1.5× steady.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
variants=${VARIANTS:-"jit jit-nopgo jit-notiered r2r r2r-composite aot"}
out=/tmp/odegen-first-call
mkdir -p "$out"
project=benchmarks/OdeGen.FirstCall

build() {
  case "$1" in
    jit*) [[ -f "$out/jit/OdeGen.FirstCall.dll" ]] || dotnet publish "$project" -c Release -o "$out/jit" -v quiet -nologo >/dev/null ;;
    r2r) dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -v quiet -nologo >/dev/null ;;
    r2r-composite) dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o "$out/r2r-composite" -v quiet -nologo >/dev/null ;;
    aot) dotnet publish "$project" -c Release -r linux-x64 -p:NativeAot=true -o "$out/aot" -v quiet -nologo >/dev/null ;;
  esac
}

run() {
  case "$1" in
    jit) dotnet "$out/jit/OdeGen.FirstCall.dll" ;;
    jit-nopgo) DOTNET_TieredPGO=0 dotnet "$out/jit/OdeGen.FirstCall.dll" ;;
    jit-notiered) DOTNET_TieredCompilation=0 dotnet "$out/jit/OdeGen.FirstCall.dll" ;;
    r2r) "$out/r2r/OdeGen.FirstCall" ;;
    r2r-composite) "$out/r2r-composite/OdeGen.FirstCall" ;;
    aot) "$out/aot/OdeGen.FirstCall" ;;
  esac
}

# Build everything first, so no build loads the machine while a variant is timed.
rm -rf "$out"/*
for v in $variants; do build "$v"; done
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg); $runs fresh processes per variant, medians"
printf '%-14s %9s %10s %10s %10s %8s %9s\n' variant first_ms hundred_ms firstCall steady_us ratio plateau
for v in $variants; do
  : >"$out/$v.txt"
  for ((i = 0; i < runs; i++)); do run "$v" >>"$out/$v.txt"; done
  median() { grep -o "$1=[0-9.]*" "$out/$v.txt" | cut -d= -f2 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  printf '%-14s %9s %10s %10s %10s %8s %9s\n' "$v" "$(median first)" "$(median hundredth)" "$(median firstCall)" "$(median steady)" "$(median ratio)" "$(median plateau)"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
