#!/usr/bin/env python3
"""PyTorch's side of LayerBatchBenchmarks (benchmarks/OdeGen.Benchmarks/ModelBenchmarks.cs): the same layers and shapes,
batch 128, forward alone and forward + backward of the mean squared error against zeros, on 1 and 2 threads.

float64 is the like-for-like comparison (OdeGen's models run in double); Debian's torch runs float64 convolutions as
im2col + the system BLAS (oneDNN has no float64), so float32 (oneDNN) is timed too: it is what PyTorch users run.
Prints one line per case: shape, dtype, threads, milliseconds (median of the runs)."""
import statistics
import sys
import time

import torch

BATCH = 128
QUICK = "--quick" in sys.argv


def cases():
    yield "Linear64x10", torch.nn.Linear(64, 10), (BATCH, 64)
    yield "Conv64c7x7", torch.nn.Conv2d(64, 64, 3, padding=1), (BATCH, 64, 7, 7)
    yield "Conv32c14x14", torch.nn.Conv2d(32, 32, 3, padding=1), (BATCH, 32, 14, 14)


def median_ms(run, repeats):
    for _ in range(3):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    torch.manual_seed(0)
    repeats = 5 if QUICK else 30
    print(f"# torch {torch.__version__}, batch {BATCH}, median of {repeats} runs")
    for dtype in (torch.float64, torch.float32):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for name, layer, shape in cases():
                layer = layer.to(dtype)
                x = torch.rand(shape, dtype=dtype) - 0.5

                def forward():
                    with torch.no_grad():
                        layer(x)

                def forward_backward():
                    layer.zero_grad()
                    out = layer(x)
                    (out * out).mean().backward()   # the mean squared error against zeros, as ours

                print(f"{name} dtype={str(dtype).removeprefix('torch.')} threads={threads} forward_ms={median_ms(forward, repeats):.3f} "
                      f"forward_backward_ms={median_ms(forward_backward, repeats):.3f}")


if __name__ == "__main__":
    main()
