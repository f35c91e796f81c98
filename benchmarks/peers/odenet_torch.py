#!/usr/bin/env python3
"""PyTorch's side of the classifier comparison (samples/Classifier, docs/odenet.md): torchdiffeq's odenet_mnist models
written out in plain PyTorch (torchdiffeq is not packaged in Debian), timed per training step on a batch of 128 random
28x28 images, on 1 and 2 threads.

  /usr/bin/python3 benchmarks/peers/odenet_torch.py [--channels C] [--repeats N] [--dtype float64|float32] [--train-check]

Models: resnet (six residual blocks), resnet1, rknet (four RK4 steps over [0, 1], backpropagation through them) and
odenet (Dopri5 at rtol = atol = 1e-3 with torchdiffeq's step-size control, backpropagation through the solver). Each
step is forward, cross-entropy, backward and an SGD step (momentum 0.9). Prints one line per model and thread count:
median milliseconds and the NFE of the step. --train-check instead trains resnet1 for 20 steps on the first 2,560
Fashion-MNIST images (as `Classifier --model resnet1 --train-subset 2560` does) and prints the training loss.
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
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c + 1, c, 3, padding=1)

    def forward(self, t, x):
        tt = torch.ones_like(x[:, :1]) * t
        return self.conv(torch.cat([tt, x], 1))


class ODEfunc(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1, self.conv1 = norm(c), ConcatConv2d(c)
        self.norm2, self.conv2 = norm(c), ConcatConv2d(c)
        self.norm3 = norm(c)
        self.nfe = 0

    def forward(self, t, x):
        self.nfe += 1
        out = self.conv1(t, F.relu(self.norm1(x)))
        out = self.conv2(t, F.relu(self.norm2(out)))
        return self.norm3(out)


# Dormand-Prince 5(4): the tableau, and torchdiffeq's control (RMS norm of err / (atol + rtol*max(|y0|, |y1|)),
# safety 0.9, factors in [0.2, 10], its initial step selection).
A = [[], [1 / 5], [3 / 40, 9 / 40], [44 / 45, -56 / 15, 32 / 9],
     [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
     [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
     [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]]
C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1]
B5 = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0]
B4 = [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40]


def rms(x):
    return x.pow(2).mean().sqrt()


def dopri5(f, y0, t1, tol):
    t = 0.0
    f0 = f(torch.tensor(0.0), y0)
    with torch.no_grad():
        scale = tol + tol * y0.abs()
        d0, d1 = rms(y0 / scale), rms(f0 / scale)
        h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else float(0.01 * d0 / d1)
        y1 = y0 + h0 * f0
        d2 = rms((f(torch.tensor(h0), y1) - f0) / scale) / h0
        h1 = max(1e-6, h0 * 1e-3) if max(d1, d2) <= 1e-15 else float((0.01 / max(d1, d2)) ** (1 / 5))
        h = min(100 * h0, h1)
    y, k1 = y0, f0
    while t < t1 - 1e-12:
        h = min(h, t1 - t)
        k = [k1]
        for i in range(1, 7):
            yi = y + h * sum(a * kj for a, kj in zip(A[i], k) if a != 0)
            k.append(f(torch.tensor(t + C[i] * h), yi))
        y_new = y + h * sum(b * kj for b, kj in zip(B5, k) if b != 0)
        with torch.no_grad():
            err = h * sum((b5 - b4) * kj for b5, b4, kj in zip(B5, B4, k))
            ratio = float(rms(err / (tol + tol * torch.max(y.abs(), y_new.abs()))))
        if ratio <= 1:
            t, y, k1 = t + h, y_new, k[6]
        factor = 10.0 if ratio == 0 else min(10.0, max(0.2, 0.9 * ratio ** (-1 / 5)))
        h = h * factor
    return y


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
    def __init__(self, c, method, tol=1e-3, steps=4):
        super().__init__()
        self.f, self.method, self.tol, self.steps = ODEfunc(c), method, tol, steps

    def forward(self, x):
        return dopri5(self.f, x, 1.0, self.tol) if self.method == "dopri5" else rk4(self.f, x, self.steps)


def classifier(model, c):
    stem = [nn.Conv2d(1, c, 3, 1), norm(c), nn.ReLU(inplace=True), nn.Conv2d(c, c, 4, 2, 1), norm(c), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 4, 2, 1)]
    middle = {"resnet": lambda: [ResBlock(c) for _ in range(6)], "resnet1": lambda: [ResBlock(c)],
              "rknet": lambda: [ODEBlock(c, "rk4")], "odenet": lambda: [ODEBlock(c, "dopri5")]}[model]()
    head = [norm(c), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(c, 10)]
    return nn.Sequential(*stem, *middle, *head)


def nfe_counter(net):
    fs = [m for m in net.modules() if isinstance(m, ODEfunc)]
    return fs[0] if fs else None


def bench(model, c, threads, repeats, dtype):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = classifier(model, c).to(dtype)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x = torch.rand(128, 1, 28, 28, dtype=dtype)
    y = torch.randint(0, 10, (128,))
    f = nfe_counter(net)
    times, nfe = [], (6 if model == "resnet" else 1, 6 if model == "resnet" else 1)
    for r in range(repeats + 1):
        start = time.perf_counter()
        if f:
            f.nfe = 0
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        forward = f.nfe if f else nfe[0]
        loss.backward()
        opt.step()
        if r > 0:
            times.append((time.perf_counter() - start) * 1e3)
        nfe = (forward, forward if f else nfe[1])   # backpropagation through the solver: one backward per forward evaluation
    return statistics.median(times), min(times), nfe


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
    p.add_argument("--train-check", action="store_true")
    a = p.parse_args()
    if a.train_check:
        train_check(a.channels)
        return
    dtype = getattr(torch, a.dtype)
    print(f"# torch {torch.__version__}, {a.dtype}, {a.channels} channels, batch 128, median of {a.repeats} steps after one warm-up")
    for model in a.models.split(","):
        for threads in map(int, a.threads.split(",")):
            median, fastest, (nf, nb) = bench(model, a.channels, threads, a.repeats, dtype)
            print(f"torch: {model} channels {a.channels} threads {threads}: {median:.1f} ms per batch of 128 (min {fastest:.1f}) | NFE forward/backward: {nf}/{nb}")


if __name__ == "__main__":
    main()
