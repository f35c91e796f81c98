#!/usr/bin/env bash
# Side-by-side runs of OdeGen against SUNDIALS CVODES and Boost.Odeint on the same Lorenz problems, inputs and
# tolerances; prints one table of ratios (ours / theirs) with each side's accuracy against a tight reference.
#   bash benchmarks/run-peers.sh            full run (~2-3 minutes)
#   bash benchmarks/run-peers.sh --quick    fewer samples, shorter warm-up (~1 minute; noisier)
# Installs the Debian packages if they are missing (needs root or sudo), builds the peers with -O3 -march=native
# into benchmarks/peers/build, runs them, then runs our side ('peers' mode of the benchmark project).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
peers="$root/benchmarks/peers"
build="$peers/build"
quick=""
for a in "$@"; do [[ "$a" == "--quick" ]] && quick="quick"; done

need=()
for pkg in libsundials-dev libboost-dev g++; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "# installing ${need[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y "${need[@]}"
fi

mkdir -p "$build"
flags="-O3 -march=native"
echo "# building peers ($flags): gcc $(gcc -dumpfullversion), SUNDIALS $(dpkg-query -W -f='${Version}' libsundials-dev), Boost $(dpkg-query -W -f='${Version}' libboost-dev)"
gcc $flags -o "$build/cvodes_lorenz" "$peers/cvodes_lorenz.c" \
  -lsundials_cvodes -lsundials_nvecserial -lsundials_sunlinsoldense -lsundials_sunmatrixdense -lsundials_sunnonlinsolfixedpoint -lm
g++ $flags -std=c++17 -o "$build/odeint_lorenz" "$peers/odeint_lorenz.cpp"
g++ $flags -fno-tree-vectorize -DIMPL_SUFFIX='"_novec"' -std=c++17 -o "$build/odeint_lorenz_novec" "$peers/odeint_lorenz.cpp"
gcc $flags -fno-math-errno -fopenmp -o "$build/dopri5_ensemble" "$peers/dopri5_ensemble.c" -lm   # issue #20 item 4 (ours: PerLaneEnsembleBenchmarks)

# Build ours before the peers run, so the compiler does not load the machine while they are timed.
dotnet build -c Release "$root/benchmarks/OdeGen.Benchmarks" -v quiet -nologo >/dev/null

results="$build/peer-results.txt"
: >"$results"
echo "# load before peers: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/cvodes_lorenz" $quick | tee -a "$results"
"$build/odeint_lorenz" $quick | tee -a "$results"
"$build/odeint_lorenz_novec" $quick | tee -a "$results"
"$build/dopri5_ensemble" ${quick:+--quick}   # its timings only: the comparison in one process is PerLaneEnsembleBenchmarks
echo "# load after peers: $(cut -d' ' -f1-3 /proc/loadavg)"

dotnet run -c Release --no-build --project "$root/benchmarks/OdeGen.Benchmarks" -- peers --peer-results "$results" ${quick:+--quick}
