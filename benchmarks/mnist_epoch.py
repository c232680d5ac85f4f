"""How fast is course_utils.training on this machine? One MNIST epoch, four ways.

    python benchmarks/mnist_epoch.py [--threads 2] [--repeats 3] [--seeds 4] [--mnist-dir DIR]

Measures, with the same thread count for all:
  0. seeds: one epoch of --seeds networks trained together by `training.train`
     (one SeedStack, batched matrix products) against the same seeds trained
     one after the other (--seeds calls with one seed each), in the same round.
     Both do the same arithmetic; batching saves the per-step Python, autograd
     and optimizer overhead and uses larger matrix products. The arithmetic
     itself grows with the number of seeds, so k seeds can never cost less
     than k times the floating-point work of one;
  1. harness: one epoch of `training.train` (MLP 784-256-128-10, batch 128,
     SGD lr 0.05 momentum 0.9) for one seed, training time only (History.epoch_times);
  2. dataloader: the same model, optimizer and batch size in the usual tutorial
     style - a map-style Dataset whose __getitem__ normalises and returns one
     sample, DataLoader(batch_size=128, shuffle=True), loss.item() every step;
  3. matmul peak: torch.mm of two 1024x1024 float32 matrices, repeated;
  4. the work that grows with k, timed alone at the step's shapes for one
     seed and for --seeds seeds and scaled to an epoch: the eight batched
     matrix products of a step (three forward, three weight gradients, two
     input gradients; the first layer needs none), and optimizer.step(),
     which reads and writes every weight, gradient and momentum buffer.

From 4 it prints a floor: the batched / one-seed ratio that batching would
reach if it shared every other cost of a step perfectly (the k-seed products
and update plus one seed's remaining time, over one seed's epoch). Batching
cannot make the products cheaper per FLOP where one seed's already run near
the matmul peak, nor the update cheaper per byte, so on such a machine the
ratio cannot go below this floor, whatever the harness does.

It prints both epoch times, their ratio (dataloader / harness), the harness's
FLOP rate and its share of the matmul peak. FLOPs per epoch are counted as
forward + backward = 3 x forward = 3 * 2 * N * (784*256 + 256*128 + 128*10)
(multiply-adds of the weight matrices only; biases, ReLU and the loss are not
counted, and the backward pass does not actually need the input gradient of
the first layer, so this nominal count slightly overstates the work done).
Each figure is the best of --repeats rounds (after one warm-up), the three
measurements interleaved within a round so they see the same machine load: on
a shared machine the best round is the closest to what the hardware can do.
The 1-minute load average is printed; with more runnable processes than cores
every figure is noisy, and two threads contend badly (OpenMP waits on a busy
core), so compare figures taken on a quiet machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from course_utils import data, training  # noqa: E402

SIZES = (784, 256, 128, 10)
BATCH = 128


def sgd_momentum(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


def harness_epoch(tensors: training.TensorData, seeds) -> float:
    history = training.train(sgd_momentum, tensors, epochs=1, batch_size=BATCH, seeds=seeds)
    return history.epoch_times[0]


class TutorialMNIST(torch.utils.data.Dataset):
    """One sample per __getitem__, converted and normalised on the fly."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = torch.from_numpy(self.images[i]).to(torch.float32) / 255.0
        x = (x - training.MNIST_MEAN) / training.MNIST_STD
        return x.flatten(), int(self.labels[i])


def dataloader_epoch(images, labels, seed: int) -> float:
    torch.manual_seed(seed)
    model = training.make_mlp(seed, SIZES)
    optimizer = sgd_momentum(model.parameters())
    loader = torch.utils.data.DataLoader(TutorialMNIST(images, labels), batch_size=BATCH, shuffle=True)
    start = time.perf_counter()
    running_loss = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    return time.perf_counter() - start


def seconds_per_call(action, reps: int, trials: int) -> float:
    """The best of `trials` rounds of `reps` calls to action(), per call (after one warm-up call)."""
    action()
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(reps):
            action()
        best = min(best, time.perf_counter() - start)
    return best / reps


def matmul_gflops(n: int = 1024, reps: int = 30, trials: int = 3) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    return 2 * n**3 / seconds_per_call(lambda: torch.mm(a, b, out=out), reps, trials) / 1e9


def step_products(k: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The operands of one training step's batched matrix products, k seeds.

    The shapes are those of SeedStack's forward (h @ weight, weight (k, in, out))
    and of its backward: each layer's weight gradient h^T @ g, and the input
    gradient g @ weight^T of every layer but the first (the images need none).
    tests/test_benchmarks.py checks them against the products a real step runs.
    """
    products = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        h, w, g = torch.randn(k, BATCH, fan_in), torch.randn(k, fan_in, fan_out), torch.randn(k, BATCH, fan_out)
        products += [(h, w), (h.transpose(1, 2), g)]
        if fan_in != SIZES[0]:
            products.append((g, w.transpose(1, 2)))
    return products


def products_epoch(k: int, n: int, reps: int = 200, trials: int = 3) -> float:
    """Seconds per epoch spent in one training step's matrix products alone, k seeds."""
    products = step_products(k)

    def step():
        for a, b in products:
            torch.bmm(a, b)

    return seconds_per_call(step, reps, trials) * n / BATCH


def update_epoch(k: int, n: int, reps: int = 200, trials: int = 3) -> float:
    """Seconds per epoch spent in optimizer.step() alone for a SeedStack of k seeds."""
    model = training.SeedStack(tuple(range(k)), SIZES)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    optimizer = sgd_momentum(model.parameters())
    return seconds_per_call(optimizer.step, reps, trials) * n / BATCH  # the warm-up creates the buffers


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=4, help="networks trained together (k)")
    parser.add_argument("--mnist-dir", default=None, help="default: $MNIST_DIR, else data/mnist")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    x_train, y_train, x_test, y_test = data.load_mnist(args.mnist_dir)
    tensors = training.prepare_data((x_train, y_train, x_test, y_test))
    n = len(y_train)

    load_before = os.getloadavg()[0]
    k = args.seeds
    harness_epoch(tensors, seeds=(0,))  # warm-up: first-call costs of torch.optim, MKL
    harness_epoch(tensors.subset(5000), seeds=tuple(range(k)))
    dataloader_epoch(x_train[:5000], y_train[:5000], seed=0)
    harness, loader, peak = float("inf"), float("inf"), 0.0
    batched, one_by_one = float("inf"), float("inf")
    products_one, products_k = float("inf"), float("inf")
    update_one, update_k = float("inf"), float("inf")
    for r in range(1, args.repeats + 1):
        seeds = tuple(range(r * k, (r + 1) * k))
        batched = min(batched, harness_epoch(tensors, seeds=seeds))
        one_by_one = min(one_by_one, sum(harness_epoch(tensors, seeds=(s,)) for s in seeds))
        harness = min(harness, harness_epoch(tensors, seeds=(r,)))
        loader = min(loader, dataloader_epoch(x_train, y_train, seed=r))
        peak = max(peak, matmul_gflops())
        products_one = min(products_one, products_epoch(1, n))
        products_k = min(products_k, products_epoch(k, n))
        update_one = min(update_one, update_epoch(1, n))
        update_k = min(update_k, update_epoch(k, n))

    flops = 3 * 2 * n * sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:]))
    rate = flops / harness / 1e9
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, N = {n}, batch {BATCH}, "
          f"MLP {'-'.join(map(str, SIZES))}, SGD momentum; best of {args.repeats}")
    print(f"load average (1 min) before / after {load_before:.2f} / {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores")
    print(f"{k} seeds batched, one epoch          {batched:7.3f} s")
    print(f"{k} seeds one after the other         {one_by_one:7.3f} s")
    print(f"batched / one seed                  {batched / harness:7.2f} x   (target <= 2; "
          f"the arithmetic alone is {k} x)")
    print(f"one after the other / batched       {one_by_one / batched:7.2f} x")
    print(f"products alone, one seed / {k} seeds    {products_one:7.3f} / {products_k:.3f} s per epoch "
          f"({products_k / products_one:.2f} x; {100 * products_one / harness:.0f}% of one seed's epoch)")
    print(f"optimizer.step alone, one / {k} seeds  {update_one:7.3f} / {update_k:.3f} s per epoch "
          f"({update_k / update_one:.2f} x; {100 * update_one / harness:.0f}% of one seed's epoch)")
    floor = (products_k + update_k + harness - products_one - update_one) / harness
    print(f"floor for batched / one seed        {floor:7.2f} x   (everything but products and update shared)")
    print(f"harness epoch, one seed             {harness:7.3f} s")
    print(f"Dataset + DataLoader epoch          {loader:7.3f} s")
    print(f"ratio DataLoader / harness          {loader / harness:7.2f} x   (target >= 1.3)")
    print(f"nominal FLOPs per epoch             {flops / 1e9:7.1f} GFLOP  (3 * 2 * N * weights)")
    print(f"harness FLOP rate                   {rate:7.1f} GFLOP/s")
    print(f"matmul peak (1024^2 float32 mm)     {peak:7.1f} GFLOP/s")
    print(f"harness share of matmul peak        {100 * rate / peak:7.1f} %   (target >= 40%)")
    batched_rate = k * flops / batched / 1e9
    print(f"{k} seeds batched: FLOP rate           {batched_rate:7.1f} GFLOP/s ({100 * batched_rate / peak:.1f}% of the peak)")


if __name__ == "__main__":
    main()
