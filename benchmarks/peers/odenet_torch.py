#!/usr/bin/env python3
"""PyTorch's side of the classifier comparison (samples/Classifier, docs/odenet.md): torchdiffeq's odenet_mnist models
written out in plain PyTorch (torchdiffeq is not packaged in Debian), timed per training step on a batch of 128 random
28x28 images, on 1 and 2 threads.

  /usr/bin/python3 benchmarks/peers/odenet_torch.py [--channels C] [--repeats N] [--dtype float64|float32] [--models a,b]
      [--tol 1e-3] [--seminorm] [--train-check | --grad-check | --profile]

Models: resnet (six residual blocks), resnet1, rknet (four RK4 steps over [0, 1], backpropagation through them), odenet
(Dopri5 at rtol = atol = --tol with torchdiffeq's step-size control, backpropagation through the solver) and
odenet-adjoint (the same forward solve, gradients by the back-solve adjoint as torchdiffeq's odeint_adjoint computes
them: the augmented state integrated back by the same Dopri5, norm = largest RMS of its parts, or --seminorm). Each
step is forward, cross-entropy, backward and an SGD step (momentum 0.9). Prints one line per model and thread count:
median milliseconds and the NFE of the step. --train-check instead trains resnet1 for 20 steps on the first 2,560
Fashion-MNIST images (as `Classifier --model resnet1 --train-subset 2560` does) and prints the training loss.
--grad-check prints the adjoint's gradient against backpropagation through the solver at three tolerances (relative
difference over all parameters, NFE of both), in float64 after the same check on a small smooth field. --profile (one
thread count) prints, per model, torch.autograd.profiler's time per operator over --repeats steps, then each distinct
convolution of the model timed alone on the batch: its forward pass, its input gradient and its weight gradient (with
the bias's) as aten.convolution_backward computes them with one output mask each, median of --repeats, with GFLOP/s
(2 * multiply-adds of the forward product; the input and weight gradients count the same), in processor time (the
machine is shared: wall time there includes waiting).
"""
import argparse
import gzip
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def norm(c):
    return nn.GroupNorm(min(32, c), c)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1, self.conv1 = norm(c), nn.Conv2d(c, c, 3, padding=1)
        self.norm2, self.conv2 = norm(c), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        out = self.conv1(F.relu(self.norm1(x)))
        return x + self.conv2(F.relu(self.norm2(out)))


class ConcatConv2d(nn.Module):
    def __init__(self, c, out=None):
        super().__init__()
        self.conv = nn.Conv2d(c + 1, out or c, 3, padding=1)

    def forward(self, t, x):
        tt = torch.ones_like(x[:, :1]) * t
        return self.conv(torch.cat([tt, x], 1))


class ODEfunc(nn.Module):
    # hidden: the channels between the two convolutions (0: c, the paper's block; ours: --hidden, OdeNetDynamics.Hidden)
    def __init__(self, c, hidden=0):
        super().__init__()
        h = hidden or c
        self.norm1, self.conv1 = norm(c), ConcatConv2d(c, h)
        self.norm2, self.conv2 = norm(h), ConcatConv2d(h, c)
        self.norm3 = norm(c)
        self.nfe = 0

    def forward(self, t, x):
        self.nfe += 1
        out = self.conv1(t, F.relu(self.norm1(x)))
        out = self.conv2(t, F.relu(self.norm2(out)))
        return self.norm3(out)


# Dormand-Prince 5(4): the tableau, and torchdiffeq's control (error ratio = norm of err / (atol + rtol*max(|y0|, |y1|)),
# safety 0.9, integral control err^(-1/5), factors in [0.2, 10], its initial step selection). The state is a tuple of
# tensors; `norm` maps a tuple to a number (the forward state is one tensor, whose norm is its RMS).
A = [[], [1 / 5], [3 / 40, 9 / 40], [44 / 45, -56 / 15, 32 / 9],
     [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
     [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
     [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]]
C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1]
B5 = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0]
B4 = [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40]


def rms(x):
    return x.pow(2).mean().sqrt()


def max_rms(parts):
    """The largest of the parts' RMS norms: the RMS of a single tensor, and torchdiffeq's default norm for its adjoint."""
    return max(float(rms(p)) for p in parts)


def combine(y, h, coefficients, ks):
    """y + h * sum_j c_j k_j, part by part (zero coefficients skipped, as the tableau's zeros cost nothing)."""
    return tuple(yi + h * sum(c * k[i] for c, k in zip(coefficients, ks) if c != 0) for i, yi in enumerate(y))


def dopri5(f, y0, t0, t1, tol, norm=max_rms):
    """Integrates dy/dt = f(t, y) (y a tuple of tensors) from t0 to t1 > t0; the steps are clipped to end at t1."""
    def at(t):
        return torch.tensor(t, dtype=y0[0].dtype)

    def ratio(err, ya, yb):
        return norm([e / (tol + tol * torch.max(a.abs(), b.abs())) for e, a, b in zip(err, ya, yb)])

    t = t0
    f0 = f(at(t0), y0)
    with torch.no_grad():
        d0 = norm([y / (tol + tol * y.abs()) for y in y0])
        d1 = norm([k / (tol + tol * y.abs()) for k, y in zip(f0, y0)])
        h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
        y1 = tuple(y + h0 * k for y, k in zip(y0, f0))
        f1 = f(at(t0 + h0), y1)
        d2 = norm([(a - b) / (tol + tol * y.abs()) for a, b, y in zip(f1, f0, y0)]) / h0
        h1 = max(1e-6, h0 * 1e-3) if max(d1, d2) <= 1e-15 else (0.01 / max(d1, d2)) ** (1 / 5)
        h = min(100 * h0, h1)
    y, k1 = y0, f0
    while t < t1 - 1e-12:
        h = min(h, t1 - t)
        k = [k1]
        for i in range(1, 7):
            k.append(f(at(t + C[i] * h), combine(y, h, A[i], k)))
        y_new = combine(y, h, B5, k)
        with torch.no_grad():
            err = tuple(h * sum((b5 - b4) * kj[i] for b5, b4, kj in zip(B5, B4, k)) for i in range(len(y)))
            r = ratio(err, y, y_new)
        if r <= 1:
            t, y, k1 = t + h, y_new, k[6]
        factor = 10.0 if r == 0 else min(10.0, max(0.2, 0.9 * r ** (-1 / 5)))
        h = h * factor
    return y


class Adjoint(torch.autograd.Function):
    """The back-solve adjoint (Chen et al. 2018, Algorithm 2), as torchdiffeq's odeint_adjoint computes it: the forward
    solve keeps no graph; backward integrates the augmented state [t-adjoint, z, a, dL/dtheta...] from t1 back to t0 with
    the same Dopri5 (time reversed: s = -t runs from -t1 to -t0), each evaluation one forward pass of f and one
    torch.autograd.grad. The norm of the backward error is the largest of the parts' RMS norms (torchdiffeq's default for
    its adjoint), or with `seminorm` that of [t-adjoint, z, a] alone (its "seminorm" option)."""

    @staticmethod
    def forward(ctx, f, tol, seminorm, z0, *params):
        with torch.no_grad():
            (z1,) = dopri5(lambda t, y: (f(t, y[0]),), (z0,), 0.0, 1.0, tol)
        ctx.f, ctx.tol, ctx.seminorm, ctx.params = f, tol, seminorm, params
        ctx.save_for_backward(z1)
        return z1

    @staticmethod
    def backward(ctx, a1):
        f, params = ctx.f, ctx.params
        (z1,) = ctx.saved_tensors

        def augmented(s, state):
            # d/ds of [t-adjoint, z, a, theta-adjoint] with s = -t: -dz/dt = -f; -da/dt = a df/dz; -d(theta-adjoint)/dt = a df/dtheta.
            _, z, a = state[:3]
            with torch.enable_grad():
                t = (-s).detach().requires_grad_(True)
                z = z.detach().requires_grad_(True)
                out = f(t, z)
                grads = torch.autograd.grad(out, (t, z) + params, a, allow_unused=True)
            grads = [torch.zeros_like(x) if g is None else g for g, x in zip(grads, (t, z) + params)]
            return (grads[0], -out.detach(), *grads[1:])

        def seminorm(parts):
            return max_rms(parts[:3])

        state = (torch.zeros((), dtype=z1.dtype), z1, a1) + tuple(torch.zeros_like(p) for p in params)
        with torch.no_grad():
            state = dopri5(augmented, state, -1.0, 0.0, ctx.tol, seminorm if ctx.seminorm else max_rms)
        return (None, None, None, state[2], *state[3:])


def rk4(f, y, steps):
    h = 1.0 / steps
    for s in range(steps):
        t = s * h
        k1 = f(torch.tensor(t), y)
        k2 = f(torch.tensor(t + h / 2), y + h / 2 * k1)
        k3 = f(torch.tensor(t + h / 2), y + h / 2 * k2)
        k4 = f(torch.tensor(t + h), y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


class ODEBlock(nn.Module):
    def __init__(self, c, method, tol=1e-3, steps=4, seminorm=False, hidden=0):
        super().__init__()
        self.f, self.method, self.tol, self.steps, self.seminorm = ODEfunc(c, hidden), method, tol, steps, seminorm

    def forward(self, x):
        if self.method == "rk4":
            return rk4(self.f, x, self.steps)
        if self.method == "adjoint":
            return Adjoint.apply(self.f, self.tol, self.seminorm, x, *self.f.parameters())
        return dopri5(lambda t, y: (self.f(t, y[0]),), (x,), 0.0, 1.0, self.tol)[0]


def classifier(model, c, tol=1e-3, seminorm=False, hidden=0):
    stem = [nn.Conv2d(1, c, 3, 1), norm(c), nn.ReLU(inplace=True), nn.Conv2d(c, c, 4, 2, 1), norm(c), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 4, 2, 1)]
    middle = {"resnet": lambda: [ResBlock(c) for _ in range(6)], "resnet1": lambda: [ResBlock(c)],
              "rknet": lambda: [ODEBlock(c, "rk4", hidden=hidden)], "odenet": lambda: [ODEBlock(c, "dopri5", tol, hidden=hidden)],
              "odenet-adjoint": lambda: [ODEBlock(c, "adjoint", tol, seminorm=seminorm, hidden=hidden)]}[model]()
    head = [norm(c), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(c, 10)]
    return nn.Sequential(*stem, *middle, *head)


def nfe_counter(net):
    fs = [m for m in net.modules() if isinstance(m, ODEfunc)]
    return fs[0] if fs else None


def bench(model, c, threads, repeats, dtype, tol, seminorm, hidden=0, warmup=3.0):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = classifier(model, c, tol, seminorm, hidden).to(dtype)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x = torch.rand(128, 1, 28, 28, dtype=dtype)
    y = torch.randint(0, 10, (128,))
    f = nfe_counter(net)
    times, cpu, nfe = [], [], (6 if model == "resnet" else 1, 6 if model == "resnet" else 1)
    # Untimed steps for `warmup` seconds (at least one), as ours (Classifier --bench-warmup): oneDNN makes its primitives
    # on the first calls, our JIT settles its tiers over the first seconds.
    warmup_end, r = time.perf_counter() + warmup, 0
    while r <= repeats:
        start, start_cpu = time.perf_counter(), time.process_time()
        if f:
            f.nfe = 0
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        forward = f.nfe if f else nfe[0]
        loss.backward()
        opt.step()
        if r > 0:
            times.append((time.perf_counter() - start) * 1e3)
            cpu.append((time.process_time() - start_cpu) * 1e3)
        if r > 0 or time.perf_counter() >= warmup_end:
            r += 1
        # Backpropagation through the solver: one backward per forward evaluation; the adjoint counts its own.
        nfe = (forward, (f.nfe - forward if model == "odenet-adjoint" else forward) if f else nfe[1])
    # The processor time (all the process's threads) reads the step on a loaded machine: wall time there includes waiting.
    return statistics.median(times), min(times), statistics.median(cpu), nfe


def profile(model, c, threads, repeats, dtype, tol):
    """Where the step's time goes by operator, and each convolution's three products timed alone (see the module's doc)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = classifier(model, c, tol).to(dtype)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x = torch.rand(128, 1, 28, 28, dtype=dtype)
    y = torch.randint(0, 10, (128,))
    shapes = {}

    def record(module, inputs, output):
        key = (module.in_channels, module.out_channels, module.kernel_size[0], module.stride[0], module.padding[0], tuple(inputs[0].shape[2:]))
        shapes.setdefault(key, [module, 0])[1] += 1

    hooks = [m.register_forward_hook(record) for m in net.modules() if isinstance(m, nn.Conv2d)]

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    step()
    for h in hooks:
        h.remove()
    with torch.autograd.profiler.profile() as prof:
        for _ in range(repeats):
            step()
    print(f"# {model}, {c} channels, {threads} thread(s), {dtype}: operators over {repeats} steps (times per step = total / {repeats})")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))

    def timed(f):
        f()
        times = []
        for _ in range(repeats):
            start = time.process_time()
            f()
            times.append((time.process_time() - start) * 1e3)
        return statistics.median(times)

    print("conv (in->out k s p, input)         calls/step | forward ms GFLOP/s | input grad ms GFLOP/s | weight grad ms GFLOP/s")
    with torch.no_grad():
        for (cin, cout, k, s, pad, (h, w)), (m, calls) in shapes.items():
            xi = torch.rand(128, cin, h, w, dtype=dtype)
            yo = F.conv2d(xi, m.weight, m.bias, s, pad)
            gy = torch.rand_like(yo)
            flop = 2.0 * 128 * cout * cin * k * k * yo.shape[2] * yo.shape[3]

            def grad(mask):
                return lambda: torch.ops.aten.convolution_backward(gy, xi, m.weight, [cout], [s, s], [pad, pad], [1, 1], False, [0, 0], 1, mask)

            t = [timed(lambda: F.conv2d(xi, m.weight, m.bias, s, pad)), timed(grad([True, False, False])), timed(grad([False, True, True]))]
            row = " | ".join(f"{ms:9.2f} {flop / ms / 1e6:6.1f}" for ms in t)
            print(f"{cin:3d}->{cout:3d} {k}x{k} s{s} p{pad}, {h}x{w}          {calls:3d} | {row}")


def smooth_check(dtype, seminorm):
    """The adjoint on a smooth field, dz/dt = tanh(W z + b t) with 8 states and 4 samples, against backpropagation through the
    same solver: the relative difference of the gradient in (W, b, z0) should fall about as the tolerance does."""
    torch.manual_seed(0)
    W = nn.Parameter(torch.randn(8, 8, dtype=dtype) * 0.5)
    b = nn.Parameter(torch.randn(8, dtype=dtype))

    class Field(nn.Module):
        def __init__(self):
            super().__init__()
            self.W, self.b = W, b

        def forward(self, t, z):
            return torch.tanh(z @ self.W.T + self.b * t)

    f = Field()
    z0 = torch.randn(4, 8, dtype=dtype, requires_grad=True)
    for tol in (1e-3, 1e-5, 1e-7, 1e-9):
        grads = []
        for adjoint in (False, True):
            W.grad = b.grad = z0.grad = None
            z1 = Adjoint.apply(f, tol, seminorm, z0, W, b) if adjoint else dopri5(lambda t, y: (f(t, y[0]),), (z0,), 0.0, 1.0, tol)[0]
            z1.sin().sum().backward()
            grads.append(torch.cat([W.grad.flatten(), b.grad, z0.grad.flatten()]))
        print(f"smooth field, tol {tol:.0e}: relative difference {float((grads[1] - grads[0]).norm() / grads[0].norm()):.2e}")


def grad_check(c, dtype, tolerances, seminorm):
    """The adjoint's gradient against backpropagation through the same solver, at the same weights and batch, per tolerance:
    relative difference |g_adjoint - g_backprop| / |g_backprop| over all parameters, and each side's NFE."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.rand(128, 1, 28, 28, dtype=dtype)
    y = torch.randint(0, 10, (128,))
    print(f"# adjoint against backpropagation through Dopri5, {c} channels, {str(dtype).removeprefix('torch.')}, batch 128"
          f"{', seminorm' if seminorm else ''}")
    for tol in tolerances:
        grads, nfes = [], []
        for model in ("odenet", "odenet-adjoint"):
            torch.manual_seed(1)
            net = classifier(model, c, tol, seminorm).to(dtype)
            f = nfe_counter(net)
            f.nfe = 0
            loss = F.cross_entropy(net(x), y)
            forward = f.nfe
            loss.backward()
            grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
            nfes.append((forward, f.nfe - forward if model == "odenet-adjoint" else forward))
        rel = float((grads[1] - grads[0]).norm() / grads[0].norm())
        ode = [float((a - b).norm() / b.norm()) for a, b in zip(
            [g for g in grads[1].split([p.numel() for p in net.parameters()])],
            [g for g in grads[0].split([p.numel() for p in net.parameters()])])]
        print(f"tol {tol:.0e}: relative difference {rel:.3e} (largest per tensor {max(ode):.3e}) | NFE forward/backward: "
              f"backprop {nfes[0][0]}/{nfes[0][1]}, adjoint {nfes[1][0]}/{nfes[1][1]}")


def idx(path):
    with gzip.open(path) as fh:
        data = fh.read()
    magic = int.from_bytes(data[:4], "big")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(magic & 0xFF)]
    return torch.frombuffer(bytearray(data[4 + 4 * len(dims):]), dtype=torch.uint8).reshape(dims)


def train_check(c):
    torch.manual_seed(0)
    images = idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")[:2560].float().div(255).unsqueeze(1).double()
    labels = idx("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz")[:2560].long()
    net = classifier("resnet1", c).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 20)
    order = torch.randperm(2560)
    for step in range(20):
        b = order[step * 128:(step + 1) * 128]
        opt.zero_grad()
        loss = F.cross_entropy(net(images[b]), labels[b])
        loss.backward()
        opt.step()
        sched.step()
        print(f"step {step + 1}: loss {loss.item():.4f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--dtype", default="float64")
    p.add_argument("--models", default="resnet,resnet1,rknet,odenet")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--seminorm", action="store_true")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed steps before the timed ones (at least one step)")
    p.add_argument("--hidden", type=int, default=0, help="the ODE block's channels between its convolutions (0: --channels)")
    p.add_argument("--train-check", action="store_true")
    p.add_argument("--grad-check", action="store_true")
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    if a.train_check:
        train_check(a.channels)
        return
    dtype = getattr(torch, a.dtype)
    if a.grad_check:
        if a.dtype == "float64":
            smooth_check(dtype, a.seminorm)
        grad_check(a.channels, dtype, [1e-3, 1e-5, 1e-7] if a.dtype == "float64" else [1e-3, 1e-4, 1e-5], a.seminorm)
        return
    if a.profile:
        for model in a.models.split(","):
            profile(model, a.channels, int(a.threads.split(",")[0]), a.repeats, dtype, a.tol)
        return
    print(f"# torch {torch.__version__}, {a.dtype}, {a.channels} channels{f' (ODE block hidden {a.hidden})' if a.hidden else ''}, batch 128, median of {a.repeats} steps after {a.warmup:g} s of warm-up")
    for model in a.models.split(","):
        for threads in map(int, a.threads.split(",")):
            median, fastest, cpu, (nf, nb) = bench(model, a.channels, threads, a.repeats, dtype, a.tol, a.seminorm, a.hidden, a.warmup)
            print(f"torch: {model} channels {a.channels} threads {threads}: {median:.1f} ms per batch of 128 (min {fastest:.1f}) | CPU: {cpu:.1f} ms | NFE forward/backward: {nf}/{nb}")


if __name__ == "__main__":
    main()
