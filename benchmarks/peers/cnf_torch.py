#!/usr/bin/env python3
"""The torchdiffeq side of the CNF comparison (docs/cnf.md): the setup of torchdiffeq's examples/cnf.py, written here.

Field: a hypernetwork of t (1 -> 32 -> 32 -> 3*64*2 + 64, tanh) gives W, B and the gated U of a width-64 layer;
dz/dt = mean_k U_k tanh(z W_k + B_k). Exact trace by D autograd passes (create_graph, as the example does).
Training step: circles data (two noisy concentric circles, noise 0.06, factor 0.5), batch 512, integrate [z, dlogp]
from t = 10 back to t = 0 by Dopri5 at rtol = atol = 1e-5, base N(0, 0.1 I), loss = mean -log p, backward through the
solver's accepted steps (the example's default, no adjoint), Adam at 1e-3.

torchdiffeq is not installed here (no PyPI), so Dopri5 is our own in torch: torchdiffeq's defaults (first step by
Hairer's rule, mixed RMS error norm, safety 0.9, growth at most 10x, shrink at least 0.2x, FSAL), step control on detached
values. Prints per thread count: ms per training iteration (median), forward NFE per iteration (mean), loss.

    /usr/bin/python3 benchmarks/peers/cnf_torch.py [--iterations N] [--warmup N] [--double] [--threads 1,2]
"""
import argparse
import math
import statistics
import time

import torch

# Dormand-Prince 5(4) tableau.
C = [0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]
A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
B5 = [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0]
B4 = [5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40]
E = [b5 - b4 for b5, b4 in zip(B5, B4)]


class HyperNetwork(torch.nn.Module):
    def __init__(self, dim, hidden, width):
        super().__init__()
        self.dim, self.width, self.block = dim, width, width * dim
        self.fc1 = torch.nn.Linear(1, hidden)
        self.fc2 = torch.nn.Linear(hidden, hidden)
        self.fc3 = torch.nn.Linear(hidden, 3 * self.block + width)

    def forward(self, t):
        q = self.fc3(torch.tanh(self.fc2(torch.tanh(self.fc1(t.reshape(1, 1)))))).reshape(-1)
        n, w, d = self.block, self.width, self.dim
        weights = q[:n].reshape(w, d, 1)
        gate = torch.sigmoid(q[2 * n:3 * n].reshape(w, 1, d))
        out = q[n:2 * n].reshape(w, 1, d) * gate
        bias = q[3 * n:].reshape(w, 1, 1)
        return weights, bias, out


class Cnf(torch.nn.Module):
    def __init__(self, dim=2, hidden=32, width=64):
        super().__init__()
        self.width = width
        self.hyper = HyperNetwork(dim, hidden, width)
        self.nfe = 0

    def forward(self, t, state):
        z, _ = state
        self.nfe += 1
        with torch.enable_grad():
            z.requires_grad_(True)
            weights, bias, out = self.hyper(t)
            h = torch.tanh(torch.matmul(z.unsqueeze(0).expand(self.width, -1, -1), weights) + bias)
            dz = torch.matmul(h, out).mean(0)
            trace = torch.zeros(z.shape[0], dtype=z.dtype)
            for i in range(z.shape[1]):
                trace = trace + torch.autograd.grad(dz[:, i].sum(), z, create_graph=True)[0][:, i]
        return dz, -trace.unsqueeze(1)


def rms(x):
    return torch.sqrt(torch.mean(x * x))


def dopri5(field, y0, t0, t1, rtol, atol):
    """Adaptive Dopri5 over a tuple of tensors from t0 to t1 (either direction); returns the state at t1."""
    direction = 1.0 if t1 > t0 else -1.0
    t = torch.tensor(t0, dtype=y0[0].dtype)

    def scale(y, y_new):
        return [atol + rtol * torch.maximum(a.detach().abs(), b.detach().abs()) for a, b in zip(y, y_new)]

    def norm(parts):
        return max(rms(p).item() for p in parts)

    k0 = field(t, y0)
    # First step (Hairer, Norsett & Wanner II.4), as torchdiffeq's _select_initial_step.
    s0 = [atol + rtol * y.detach().abs() for y in y0]
    d0 = norm([y.detach() / s for y, s in zip(y0, s0)])
    d1 = norm([k.detach() / s for k, s in zip(k0, s0)])
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    y1 = tuple(y.detach() + direction * h0 * k.detach() for y, k in zip(y0, k0))
    with torch.no_grad():
        k1 = field(t + direction * h0, y1)
    d2 = norm([(a.detach() - b.detach()) / s for a, b, s in zip(k1, k0, s0)]) / h0
    h1 = max(1e-6, h0 * 1e-3) if max(d1, d2) <= 1e-15 else (0.01 / max(d1, d2)) ** (1 / 5)
    h = min(100 * h0, h1)

    y, k_first, span = y0, k0, abs(t1 - t0)
    done = 0.0
    while done < span * (1 - 1e-12):
        h = min(h, span - done)
        ks = [k_first]
        for i in range(1, 7):
            yi = tuple(yv + direction * h * sum(a * kk[j] for a, kk in zip(A[i], ks) if a != 0.0) for j, yv in enumerate(y))
            ks.append(field(t + direction * h * C[i], yi))
        y_new = yi  # the 7th stage is at the 5th-order solution (FSAL)
        err = tuple(direction * h * sum(e * kk[j].detach() for e, kk in zip(E, ks) if e != 0.0) for j in range(len(y)))
        ratio = norm([e / s for e, s in zip(err, scale(y, y_new))])
        if ratio <= 1.0:
            done += h
            t = torch.tensor(t0 + direction * done, dtype=y0[0].dtype)
            y, k_first = y_new, ks[6]
        factor = 10.0 if ratio == 0 else min(10.0, max(0.2, 0.9 * ratio ** (-1 / 5)))
        h *= factor
    return y


def circles(n, generator):
    """n points on two noisy concentric circles (radii 1 and 0.5, noise 0.06), half on each."""
    outer = n // 2
    angle = torch.rand(n, generator=generator) * 2 * math.pi
    radius = torch.where(torch.arange(n) < outer, torch.tensor(1.0), torch.tensor(0.5))
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1)
    return x + 0.06 * torch.randn(n, 2, generator=generator)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--tol", type=float, default=1e-5)
    parser.add_argument("--double", action="store_true")
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    dtype = torch.float64 if args.double else torch.float32
    torch.set_default_dtype(dtype)
    print(f"# torch {torch.__version__}, {dtype}, batch {args.batch}, Dopri5 rtol = atol = {args.tol}, t 10 -> 0, "
          f"hypernetwork hidden 32, width 64, {args.warmup} warm-up + {args.iterations} timed iterations")
    for threads in [int(v) for v in args.threads.split(",")]:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        generator = torch.Generator().manual_seed(0)
        model = Cnf()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        base_var = 0.1
        times, nfes, loss = [], [], float("nan")
        for iteration in range(args.warmup + args.iterations):
            start = time.perf_counter()
            optimizer.zero_grad()
            x = circles(args.batch, generator)
            model.nfe = 0
            z0, dlogp = dopri5(model, (x, torch.zeros(args.batch, 1)), 10.0, 0.0, args.tol, args.tol)
            forward_nfe = model.nfe
            log_base = -0.5 * (z0 * z0).sum(1) / base_var - math.log(2 * math.pi * base_var)
            loss_t = -(log_base - dlogp.view(-1)).mean()
            loss_t.backward()
            optimizer.step()
            elapsed = (time.perf_counter() - start) * 1e3
            if iteration >= args.warmup:
                times.append(elapsed)
                nfes.append(forward_nfe)
            loss = loss_t.item()
        print(f"threads {threads}: {statistics.median(times):.1f} ms/iteration (median; min {min(times):.1f}), "
              f"forward NFE {statistics.mean(nfes):.1f}, last loss {loss:.3f}", flush=True)


if __name__ == "__main__":
    main()
