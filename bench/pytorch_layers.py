#!/usr/bin/env python3
"""PyTorch peer for `tessera bench layers`: the same rows, timed the same way (median of
`--repeats` calls after one untimed call), in PyTorch's default layout and in channels-last; each
row keeps the faster of the two.

  python3 bench/pytorch_layers.py tessera_layers.jsonl > torch_layers.jsonl

Reads tessera's JSON lines (the first, the peak, is passed through) and prints each row with
torch_ms and torch_layout added. The gradients are PyTorch's own kernels:
aten.convolution_backward with one output asked for at a time, and autograd for pooling and
batch norm + ReLU.
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def layout(t, channels_last, dims):
    if not channels_last:
        return t.contiguous()
    return t.contiguous(memory_format=torch.channels_last if dims == 2 else torch.channels_last_3d)


def conv_pass(r, channels_last, repeats):
    d, n, ci, co, s, k = r["dims"], r["batch"], r["in"], r["out"], r["size"], r["kernel"]
    stride, pad = [r["stride"]] * d, [r["padding"]] * d
    transposed = r["layer"] == "conv_transpose"
    x = layout(torch.randn([n, ci] + [s] * d), channels_last, d)
    w = layout(torch.randn(([ci, co] if transposed else [co, ci]) + [k] * d), channels_last, d)
    b = torch.randn(co)
    conv = {(2, False): F.conv2d, (3, False): F.conv3d,
            (2, True): F.conv_transpose2d, (3, True): F.conv_transpose3d}[(d, transposed)]
    with torch.no_grad():
        y = conv(x, w, b, stride=stride, padding=pad)
        dy = layout(torch.randn(y.shape), channels_last, d)

        def backward(mask):
            return lambda: torch.ops.aten.convolution_backward(
                dy, x, w, [co], stride, pad, [1] * d, transposed, [0] * d, 1, mask)

        if r["pass"] == "forward":
            return median_ms(lambda: conv(x, w, b, stride=stride, padding=pad), repeats)
        if r["pass"] == "input_grad":
            return median_ms(backward([True, False, False]), repeats)
        return median_ms(backward([False, True, True]), repeats)


def memory_pass(r, channels_last, repeats):
    d, n, c, s = r["dims"], r["batch"], r["in"], r["size"]
    x = layout(torch.randn([n, c] + [s] * d), channels_last, d).requires_grad_()
    if r["layer"] == "max_pool":
        pool = F.max_pool2d if d == 2 else F.max_pool3d
        forward = lambda: pool(x, r["kernel"])
    else:
        g, beta = torch.ones(c), torch.zeros(c)
        forward = lambda: F.relu(F.batch_norm(x, None, None, g, beta, training=True))
    if r["pass"] == "forward":
        with torch.no_grad():
            return median_ms(forward, repeats)
    y = forward()
    dy = layout(torch.randn(y.shape), channels_last, d)
    return median_ms(lambda: torch.autograd.grad(y, x, dy, retain_graph=True), repeats)


def main():
    torch.set_num_threads(os.cpu_count())
    repeats = 5
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if "peak_gflops" in r:
            print(json.dumps(r), flush=True)
            continue
        timer = conv_pass if r["layer"].startswith("conv") else memory_pass
        best = None
        for channels_last in (False, True):
            ms = timer(r, channels_last, repeats)
            if best is None or ms < best[0]:
                best = (ms, "channels_last" if channels_last else "default")
        r["torch_ms"], r["torch_layout"] = best
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
