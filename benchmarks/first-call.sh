#!/usr/bin/env bash
# Issue #20 item 6: time from process start to the first and the hundredth Lorenz gradient, in fresh processes, for the JIT
# (as is, and with runtime settings an application can choose), ReadyToRun and NativeAOT builds of benchmarks/OdeGen.FirstCall.
#   bash benchmarks/first-call.sh            7 processes per variant
#   bash benchmarks/first-call.sh 3          3 processes per variant
#   VARIANTS="jit aot" bash benchmarks/first-call.sh
#   OUT=/tmp/mine bash benchmarks/first-call.sh      builds and results there (default /tmp/odegen-first-call; two checkouts
#                                                    measuring at once must not share it: each run empties it first)
# Variants: jit, jit-nopgo (DOTNET_TieredPGO=0), jit-notiered (DOTNET_TieredCompilation=0): `dotnet app.dll` of one build;
# jit-r2rlib: that build with only OdeGen.dll ReadyToRun-compiled (what shipping a precompiled OdeGen.dll in the package gives);
# r2r: -p:PublishReadyToRun=true, framework-dependent; r2r-composite: the same with -p:PublishReadyToRunComposite=true, which
# composes the app and OdeGen.dll (one version bubble) when given on the command line, as here (in the project file of a
# framework-dependent app the SDK turns it off); r2r-bubble: r2r with the app and OdeGen.dll in one version bubble
# (-p:VersionBubble=true, see OdeGen.FirstCall.csproj); r2r-sc-composite: self-contained, the framework, OdeGen and the app
# in one composite image; aot: NativeAOT; aot-v3: NativeAOT for x86-64-v3 (-p:IlcInstructionSet=x86-64-v3: AVX2 and FMA;
# by default NativeAOT assumes x86-64-v2, where each fused multiply-add is a call; the binary fails without AVX2).
# The processes run interleaved (one of each variant in turn), so a change in the machine's load falls on all.
# Prints, per variant, the median over the processes of each number OdeGen.FirstCall prints (see its Program.cs):
# first / hundredth = ms from process start to the end of the 1st / 100th gradient, firstCall = ms of the first call,
# steady = µs of a warm call, ratio = firstCall / steady (goal ≤ 10), plateau = ms from start until calls are within 1.5× steady.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
variants=${VARIANTS:-"jit jit-nopgo jit-notiered jit-r2rlib r2r r2r-composite r2r-bubble r2r-sc-composite aot aot-v3"}
out=${OUT:-/tmp/odegen-first-call}
mkdir -p "$out"
project=benchmarks/OdeGen.FirstCall

build() {
  # The ReadyToRun images in obj/ are rebuilt only when their inputs change, and crossgen2's arguments are not among them.
  rm -rf "$project/obj/Release/net10.0/linux-x64/R2R"
  case "$1" in
    jit-r2rlib) build jit && build r2r && rm -rf "$out/jit-r2rlib" && cp -r "$out/jit" "$out/jit-r2rlib" && cp "$out/r2r/OdeGen.dll" "$out/jit-r2rlib/" ;;
    jit*) [[ -f "$out/jit/OdeGen.FirstCall.dll" ]] || dotnet publish "$project" -c Release -o "$out/jit" -v quiet -nologo >/dev/null ;;
    r2r) [[ -f "$out/r2r/OdeGen.FirstCall" ]] || dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -v quiet -nologo >/dev/null ;;
    r2r-composite) dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o "$out/r2r-composite" -v quiet -nologo >/dev/null ;;
    r2r-bubble) dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -p:VersionBubble=true -o "$out/r2r-bubble" -v quiet -nologo >/dev/null ;;
    r2r-sc-composite) dotnet publish "$project" -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o "$out/r2r-sc-composite" -v quiet -nologo >/dev/null ;;
    aot) dotnet publish "$project" -c Release -r linux-x64 -p:NativeAot=true -o "$out/aot" -v quiet -nologo >/dev/null ;;
    aot-v3) dotnet publish "$project" -c Release -r linux-x64 -p:NativeAot=true -p:IlcInstructionSet=x86-64-v3 -o "$out/aot-v3" -v quiet -nologo >/dev/null ;;
  esac
}

run() {
  case "$1" in
    jit) dotnet "$out/jit/OdeGen.FirstCall.dll" ;;
    jit-nopgo) DOTNET_TieredPGO=0 dotnet "$out/jit/OdeGen.FirstCall.dll" ;;
    jit-notiered) DOTNET_TieredCompilation=0 dotnet "$out/jit/OdeGen.FirstCall.dll" ;;
    jit-r2rlib) dotnet "$out/jit-r2rlib/OdeGen.FirstCall.dll" ;;
    r2r | r2r-composite | r2r-bubble | r2r-sc-composite) "$out/$1/OdeGen.FirstCall" ;;
    aot | aot-v3) "$out/$1/OdeGen.FirstCall" ;;
  esac
}

# Build everything first, so no build loads the machine while a variant is timed.
rm -rf "$out"/*
for v in $variants; do build "$v"; done
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg); $runs fresh processes per variant, medians"
for v in $variants; do : >"$out/$v.txt"; done
for ((i = 0; i < runs; i++)); do
  for v in $variants; do run "$v" >>"$out/$v.txt"; done
done
median() { grep -o "$2=[0-9.]*" "$out/$1.txt" | cut -d= -f2 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-16s %9s %10s %10s %10s %8s %9s\n' variant first_ms hundred_ms firstCall steady_us ratio plateau
for v in $variants; do
  printf '%-16s %9s %10s %10s %10s %8s %9s\n' "$v" "$(median "$v" first)" "$(median "$v" hundredth)" "$(median "$v" firstCall)" "$(median "$v" steady)" "$(median "$v" ratio)" "$(median "$v" plateau)"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
