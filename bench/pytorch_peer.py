#!/usr/bin/env python3
"""PyTorch peer for `tessera bench engine`: the same networks, the same training step.

unet2d: input N x 1 x S x S, 4 levels of 32, 64, 128, 256 channels.
unet3d: input N x 1 x S x S x S, 3 levels of 16, 32, 64 channels.
affinity3d: the connectomics affinity U-Net: input N x 1 x D x S x S, 3 levels of 8, 16, 32
channels, 8 output channels (one affinity per default offset), BCE masked by a fixed random
binary mask: sum(mask * bce) / sum(mask).
Each U-Net level: two [3x3 conv (padding 1, bias) -> BatchNorm -> ReLU]; 2x2 max pooling
between levels; on the way up a 2x2 stride-2 transposed conv halving the channels,
cat([up, skip], dim=1), two [conv-BN-ReLU]; a final 1x1 conv to the output channels.
reversible3d: input N x 1 x S x S x S; 3x3x3 conv 1 -> 16 (padding 1) -> 64 additive
couplings on the halves [x1, x2] of 8 channels, y1 = x1 + F(x2), y2 = x2 + G(y1), F and G each
[3x3x3 conv 8 -> 8 -> BatchNorm -> ReLU -> 3x3x3 conv 8 -> 8] -> 1x1x1 conv 16 -> 1. tessera
trains it reversibly (rebuilding activations in backward); here autograd stores them.
Loss for the convolutional networks: BCEWithLogits against a fixed random binary target.
lstm: input N x S x 12 (S days of 12 channels), one LSTM layer of 64, its last state through a
linear layer to 3 outputs, MSELoss against a fixed random target (the discharge network).
Step: forward, loss, backward, SGD(lr=0.01, momentum=0.9).
--memory-format picks NCHW / NCDHW (contiguous) or channels_last(_3d) for the convolutional
networks; bench/engine.sh runs both and the table compares tessera with the faster.
--device cuda trains on the GPU with cuDNN's autotuner on (torch.backends.cudnn.benchmark) and
reports the peak of torch's CUDA allocator instead of RSS (bench/engine_gpu.sh).

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
    def __init__(self, dims, widths, out_channels=1):
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
        self.head = Conv(widths[0], out_channels, 1)

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


class CouplingNet(nn.Module):
    """stem conv 3 (1 -> C) -> `blocks` additive couplings on C channels -> head conv 1."""

    def __init__(self, channels=16, blocks=64, memory_format=torch.contiguous_format):
        super().__init__()
        h = channels // 2

        def half_function():
            return nn.Sequential(
                nn.Conv3d(h, h, 3, padding=1), nn.BatchNorm3d(h), nn.ReLU(inplace=True),
                nn.Conv3d(h, h, 3, padding=1),
            )

        self.memory_format = memory_format
        self.stem = nn.Conv3d(1, channels, 3, padding=1)
        self.f = nn.ModuleList(half_function() for _ in range(blocks))
        self.g = nn.ModuleList(half_function() for _ in range(blocks))
        self.head = nn.Conv3d(channels, 1, 1)

    def forward(self, x):
        # Split once and run the chain on the halves, as tessera's RevSequence does; the halves
        # are made dense so that every convolution sees a dense input.
        a, b = (t.contiguous(memory_format=self.memory_format)
                for t in self.stem(x).chunk(2, dim=1))
        for f, g in zip(self.f, self.g):
            a = a + f(b)
            b = b + g(a)
        return self.head(torch.cat([a, b], dim=1))


class LastStepLSTM(nn.Module):
    def __init__(self, inputs=12, hidden=64, outputs=3):
        super().__init__()
        self.lstm = nn.LSTM(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y[:, -1])


UNETS = {"unet2d": (2, [32, 64, 128, 256], 1), "unet3d": (3, [16, 32, 64], 1),
         "affinity3d": (3, [8, 16, 32], 8)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["unet2d", "unet3d", "lstm", "affinity3d", "reversible3d"],
                   default="unet2d")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--depth", type=int, default=0, help="3D models: first edge D (0: size)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--memory-format", choices=["contiguous", "channels_last"],
                   default="contiguous")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = p.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: this PyTorch has no usable GPU (Debian's python3-torch is CPU-only)")
    if a.steps < 1 or a.batch < 1:
        p.error("--steps and --batch must be at least 1")
    dims = 2 if a.model == "unet2d" else 1 if a.model == "lstm" else 3
    if a.depth and dims != 3:
        p.error("--depth applies to the 3D models only")
    depth = a.depth or a.size
    if a.model in UNETS:
        factor = 2 ** (len(UNETS[a.model][1]) - 1)
        if a.size % factor or depth % factor:
            p.error(f"--size and --depth must be divisible by {factor} for {a.model}")
    torch.set_num_threads(a.threads)
    torch.backends.mkldnn.enabled = True
    torch.manual_seed(0)
    channels_last = a.memory_format == "channels_last" and a.model != "lstm"
    fmt = (torch.channels_last if dims == 2 else torch.channels_last_3d) if channels_last \
        else torch.contiguous_format

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
        if a.model == "reversible3d":
            model, out_channels = CouplingNet(16, 64, fmt), 1
        else:
            d, widths, out_channels = UNETS[a.model]
            model = UNet(d, widths, out_channels)
        spatial = (a.size,) * dims if dims == 2 else (depth, a.size, a.size)
        x = torch.randn((a.batch, 1) + spatial)
        target = (torch.rand((a.batch, out_channels) + spatial) > 0.5).float()
        if a.model == "affinity3d":
            # As connectomics trains: BCE over the voxels its mask keeps.
            mask = (torch.rand(target.shape) > 0.5).float().contiguous(memory_format=fmt)

            def loss_fn(y, t):
                return nn.functional.binary_cross_entropy_with_logits(
                    y, t, weight=mask, reduction="sum") / mask.sum()
        else:
            loss_fn = nn.BCEWithLogitsLoss()
        model = model.to(memory_format=fmt)
        x = x.contiguous(memory_format=fmt)
        target = target.contiguous(memory_format=fmt)
    gpu = a.device == "cuda"
    if gpu:
        torch.backends.cudnn.benchmark = True
        model, x, target = model.to("cuda"), x.to("cuda"), target.to("cuda")
        if a.model == "affinity3d":
            mask = mask.to("cuda")
    parameters = sum(q.numel() for q in model.parameters())
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        if gpu:
            torch.cuda.synchronize()  # a step's time ends when the GPU has finished it
        return loss.item()

    loss_first = step()
    step()
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss_last = step()
        times.append((time.perf_counter() - t0) * 1000.0)

    peak_rss = rss_peak_bytes()
    line = {
        "engine": "pytorch",
        "model": a.model,
        "batch": a.batch,
        "size": a.size,
        "threads": a.threads,
        "memory_format": a.memory_format if a.model != "lstm" else "-",
        "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "ms_per_step_median": round(statistics.median(times), 3),
        "ms_per_step_min": round(min(times), 3),
        "device": a.device,
        "peak_bytes": torch.cuda.max_memory_allocated() if gpu else peak_rss - baseline,
        "rss_delta_bytes": peak_rss - baseline,
        "peak_rss_bytes": peak_rss,
        "parameters": parameters,
        "loss_first": loss_first,
        "loss_last": loss_last,
    }
    if dims == 3:
        line["depth"] = depth
    print(json.dumps(line))


if __name__ == "__main__":
    main()
