#!/usr/bin/env python3
"""PyTorch peer for `tessera bench engine`: the same networks, the same training step.

unet2d: input N x 1 x S x S, 4 levels of 32, 64, 128, 256 channels.
unet3d: input N x 1 x S x S x S, 3 levels of 16, 32, 64 channels.
lstm: input N x S x 12 (S days of 12 channels), one LSTM layer of 64, its last state through a
linear layer to 3 outputs, MSELoss against a fixed random target (the discharge network).
Each level: two [3x3 conv (padding 1, bias) -> BatchNorm -> ReLU]; 2x2 max pooling
between levels; on the way up a 2x2 stride-2 transposed conv halving the channels,
cat([up, skip], dim=1), two [conv-BN-ReLU]; a final 1x1 conv to one channel.
Loss: BCEWithLogitsLoss against a fixed random binary target (seed 0).
Step: forward, loss, backward, SGD(lr=0.01, momentum=0.9).

Prints one JSON line.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn


def rss_peak_bytes():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class UNet(nn.Module):
    def __init__(self, dims, widths):
        super().__init__()
        Conv = nn.Conv2d if dims == 2 else nn.Conv3d
        BN = nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d
        Up = nn.ConvTranspose2d if dims == 2 else nn.ConvTranspose3d
        Pool = nn.MaxPool2d if dims == 2 else nn.MaxPool3d

        def double_conv(cin, cout):
            return nn.Sequential(
                Conv(cin, cout, 3, padding=1, bias=True), BN(cout), nn.ReLU(inplace=True),
                Conv(cout, cout, 3, padding=1, bias=True), BN(cout), nn.ReLU(inplace=True),
            )

        self.down = nn.ModuleList()
        cin = 1
        for w in widths:
            self.down.append(double_conv(cin, w))
            cin = w
        self.pool = Pool(2)
        self.ups = nn.ModuleList()
        self.up_convs = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.ups.append(Up(2 * w, w, 2, stride=2))
            self.up_convs.append(double_conv(2 * w, w))
        self.head = Conv(widths[0], 1, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                x = self.pool(x)
            x = block(x)
            skips.append(x)
        skips.pop()  # the bottom level feeds the decoder directly
        for up, conv in zip(self.ups, self.up_convs):
            x = conv(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


class LastStepLSTM(nn.Module):
    def __init__(self, inputs=12, hidden=64, outputs=3):
        super().__init__()
        self.lstm = nn.LSTM(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y[:, -1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["unet2d", "unet3d", "lstm"], default="unet2d")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    a = p.parse_args()
    dims, widths = (2, [32, 64, 128, 256]) if a.model == "unet2d" else (3, [16, 32, 64])
    if a.steps < 1 or a.batch < 1:
        p.error("--steps and --batch must be at least 1")
    if a.model != "lstm" and a.size % (2 ** (len(widths) - 1)) != 0:
        p.error(f"--size must be divisible by {2 ** (len(widths) - 1)} for {a.model}")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    # Memory baseline. ru_maxrss only ever grows, so peak_bytes is the growth of the
    # process's peak RSS beyond the level reached after importing torch and running one
    # tiny convolution forward+backward (which loads the lazily initialised kernels and
    # starts the thread pool). The delta therefore covers the model's parameters,
    # gradients and momentum buffers, the input and target, activations and workspace,
    # close to what tessera's tracking allocator counts; it also includes allocator
    # slack, so it is an upper bound on the tensors that were live at once.
    warm = torch.nn.functional.conv2d(torch.randn(1, 1, 8, 8, requires_grad=True),
                                      torch.randn(1, 1, 3, 3), padding=1)
    warm.sum().backward()
    del warm
    baseline = rss_peak_bytes()

    if a.model == "lstm":
        model = LastStepLSTM()
        x = torch.randn(a.batch, a.size, 12)
        target = torch.randn(a.batch, 3)
        loss_fn = nn.MSELoss()
    else:
        model = UNet(dims, widths)
        shape = (a.batch, 1) + (a.size,) * dims
        x = torch.randn(shape)
        target = (torch.rand(shape) > 0.5).float()
        loss_fn = nn.BCEWithLogitsLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(2):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000.0)

    peak_rss = rss_peak_bytes()
    print(json.dumps({
        "engine": "pytorch",
        "model": a.model,
        "batch": a.batch,
        "size": a.size,
        "threads": a.threads,
        "ms_per_step_median": round(statistics.median(times), 3),
        "ms_per_step_min": round(min(times), 3),
        "peak_bytes": peak_rss - baseline,
        "rss_delta_bytes": peak_rss - baseline,
        "peak_rss_bytes": peak_rss,
    }))


if __name__ == "__main__":
    main()
