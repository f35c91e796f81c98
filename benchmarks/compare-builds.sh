#!/usr/bin/env bash
# Compares the runtime's hot paths between two builds: a baseline commit and the working tree's HEAD.
#
#   benchmarks/compare-builds.sh <baseline-commit> [BenchmarkDotNet options...]
#
# Builds benchmarks/OdeGen.Benchmarks at <baseline-commit> (a git worktree under /tmp) and at HEAD, runs the same
# BenchmarkDotNet selection with each (scalar Dopri5/Tsit5/RK4 solves, the stiff solvers, lane ensembles fused and
# unfused, the discrete and interpolating adjoints, the lanes' discrete adjoint), and prints one table of new/old
# ratios of the mean time (> 1: HEAD is slower). Options after the commit go to BenchmarkDotNet; the default job is
# "--job Medium". A smoke test: `--job Dry` (one cold iteration each, numbers meaningless); a rough look on a busy
# machine: `--quick` (the benchmark program's in-process short job).
# Run it on a quiet machine: the two builds are measured one after the other, not interleaved.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 <baseline-commit> [BenchmarkDotNet options, default --job Medium]" >&2
    exit 2
fi
baseline=$1
shift
bdn_args=("$@")
[[ ${#bdn_args[@]} -eq 0 ]] && bdn_args=(--job Medium)

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
base_sha=$(git -C "$repo" rev-parse --verify "$baseline^{commit}")
head_sha=$(git -C "$repo" rev-parse HEAD)
work=$(mktemp -d /tmp/odegen-compare.XXXXXX)
trap 'git -C "$repo" worktree remove --force "$work/base" >/dev/null 2>&1 || true; git -C "$repo" worktree remove --force "$work/head" >/dev/null 2>&1 || true' EXIT

# The selection: one pattern per path the integrator refactoring touches (BenchmarkDotNet globs on Type.Method).
filters=(
    '*LorenzSolveBenchmarks.Dopri5'
    '*LorenzSolveBenchmarks.Tsit5'
    '*LorenzSolveBenchmarks.Dopri5Reused'
    '*LorenzEnsembleBenchmarks.OdeSolveLoop'
    '*LorenzEnsembleBenchmarks.IntegratorLoop'
    '*RobertsonSolverBenchmarks.*'
    '*LorenzLaneEnsembleBenchmarks.EnsembleOneCore'
    '*LorenzLaneEnsembleBenchmarks.Ensemble512UnfusedOneCore'
    '*LorenzLaneEnsembleBenchmarks.Ensemble1OneCore'
    '*LorenzGradientBenchmarks.DiscreteAdjoint'
    '*LorenzGradientBenchmarks.InterpolatingAdjoint'
    '*NeuralTrainingBenchmarks.DiscreteAdjointLaneBlocks'
)

# COMPARE_FILTER (space-separated globs) replaces the selection, e.g. COMPARE_FILTER='*LorenzSolveBenchmarks*'.
if [[ -n ${COMPARE_FILTER:-} ]]; then read -r -a filters <<< "$COMPARE_FILTER"; fi

run_build() {   # name commit
    local name=$1 sha=$2 dir="$work/$1"
    echo "== $name: $sha" >&2
    git -C "$repo" worktree add --detach "$dir" "$sha" >/dev/null
    dotnet build "$dir/benchmarks/OdeGen.Benchmarks" -c Release -nologo -v quiet >&2
    (cd "$dir" && dotnet run -c Release --no-build --project benchmarks/OdeGen.Benchmarks -- \
        --filter "${filters[@]}" --exporters json --artifacts "$work/results-$name" "${bdn_args[@]}" >&2)
}

run_build base "$base_sha"
run_build head "$head_sha"

python3 - "$work/results-base" "$work/results-head" "$base_sha" "$head_sha" <<'PY'
import glob, json, os, sys

def load(directory):
    # BenchmarkDotNet's JSON report: one entry per benchmark case, its [Params] in "Parameters", the mean in ns.
    rows = {}
    for path in glob.glob(os.path.join(directory, 'results', '*-report*.json')):
        with open(path, encoding='utf-8') as f:
            report = json.load(f)
        for b in report.get('Benchmarks', []):
            stats = b.get('Statistics') or {}
            key = (b.get('Type', ''), b.get('Method', ''), b.get('Parameters', '') or '')
            rows[key] = stats.get('Mean')
    return rows

base, head = load(sys.argv[1]), load(sys.argv[2])
print(f'\nnew/old mean time, new = {sys.argv[4][:10]}, old = {sys.argv[3][:10]} (> 1.00: new is slower)\n')
print(f'{"benchmark":<64} {"old":>12} {"new":>12} {"new/old":>8}')
worst = 0.0
for key in sorted(set(base) | set(head)):
    old, new = base.get(key), head.get(key)
    name = f'{key[0]}.{key[1]}' + (f' [{key[2]}]' if key[2] else '')
    fmt = lambda v: f'{v / 1e3:10.1f}us' if v is not None else '        NA'
    ratio = f'{new / old:8.3f}' if old and new else '      NA'
    if old and new:
        worst = max(worst, new / old)
    print(f'{name:<64} {fmt(old):>12} {fmt(new):>12} {ratio}')
print(f'\nlargest ratio: {worst:.3f}')
PY
