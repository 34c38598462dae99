# %% [markdown]
# # Lesson 8: GPUs, mixed precision and distributed training
#
# Three ways to go faster, and what each changes in the code. All of it runs on a CPU here: the
# device is picked once, bfloat16 autocast works on CPUs too, and distributed training is shown
# with two CPU processes talking over gloo, exactly as two GPUs would over NCCL.

# %%
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

torch.manual_seed(0)

# %% [markdown]
# ## 1. Device-agnostic code
# Choose the device once; move the model once and every batch as it comes. `pin_memory` and
# `non_blocking=True` let a GPU copy the next batch while it computes (they do nothing on a CPU).

# %%
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = nn.Sequential(nn.Linear(384, 1536), nn.GELU(), nn.Linear(1536, 384), nn.Linear(384, 3)).to(device)
batch = torch.randn(256, 384)
if device.type == "cuda":
    batch = batch.pin_memory()
logits = model(batch.to(device, non_blocking=True))
print("running on", device, "| logits", tuple(logits.shape))

# %% [markdown]
# ## 2. Mixed precision
# Under `torch.autocast`, matrix products run in a 16-bit format and the rest stays float32.
# bfloat16 keeps float32's range (so no overflow, no loss scaling) with fewer mantissa bits; CPUs
# with bfloat16 matrix units (like this machine's) and recent GPUs run it much faster. float16
# (CUDA only) has more precision but a small range, so its gradients need `torch.amp.GradScaler`.

# %%
def timed(run, repeats=5):
    run()                                          # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        out = run()
    return out, (time.perf_counter() - start) / repeats


big = nn.Sequential(*[nn.Linear(1024, 1024) for _ in range(6)]).eval()
x = torch.randn(512, 1024)
with torch.inference_mode():
    out32, seconds32 = timed(lambda: big(x))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out16, seconds16 = timed(lambda: big(x))
relative_error = ((out16.float() - out32).norm() / out32.norm()).item()
speedup = seconds32 / seconds16
print(f"fp32 {seconds32 * 1000:.1f} ms, bf16 {seconds16 * 1000:.1f} ms: {speedup:.1f}x; relative difference {relative_error:.3f}")
# Expected: bf16 faster where the CPU has bfloat16 matrix units; outputs differ by about 1%

# %% [markdown]
# A training step in mixed precision. On CUDA with float16 the scaler multiplies the loss before
# `backward` (so small gradients do not underflow) and divides before the step, skipping steps
# whose gradients overflowed. With bfloat16 none of that is needed.

# %%
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
target = torch.randint(0, 3, (256,))
use_fp16 = device.type == "cuda"
scaler = torch.amp.GradScaler("cuda") if use_fp16 else None
with torch.autocast(device.type, dtype=torch.float16 if use_fp16 else torch.bfloat16):
    loss = nn.functional.cross_entropy(model(batch.to(device)), target.to(device))
if scaler is not None:
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
else:
    loss.backward()
    optimizer.step()
print(f"one mixed-precision step, loss {loss.item():.3f} ({'fp16 + GradScaler' if use_fp16 else 'bf16'})")
# The package does the same with: customer-sentiment train ... --precision bf16 (or fp16 on CUDA)

# %% [markdown]
# ## 3. Distributed data parallel
# Each process holds a copy of the model and reads its own share of the data. After `backward`,
# DDP averages the gradients across processes (an all-reduce), so every copy takes the same step.
# `torchrun` starts the processes and tells each its rank (`--standalone`: one machine, a free
# port); the script below is what every one of them runs. Two processes, each with half of a
# batch, should end with the same weights as one process that saw the whole batch.

# %%
WORKER = """
import sys
import torch
import torch.distributed as dist
from safetensors.torch import save_file
from torch import nn

dist.init_process_group("gloo")                       # "nccl" on GPUs; torchrun set rank and world size
rank = dist.get_rank()
torch.manual_seed(0)
data, labels = torch.randn(8, 10), torch.randint(0, 2, (8,))   # same seed: same batch in every process
model = nn.parallel.DistributedDataParallel(nn.Linear(10, 2))  # same seed: same starting weights
shard = slice(rank * 4, rank * 4 + 4)                 # what a DistributedSampler does
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
nn.functional.cross_entropy(model(data[shard]), labels[shard]).backward()   # gradients all-reduced here
optimizer.step()
save_file({"weight": model.module.weight.detach()}, f"{sys.argv[1]}/rank{rank}.safetensors")
dist.barrier()                                        # everyone done before anyone tears down
del model
dist.destroy_process_group()
"""

with tempfile.TemporaryDirectory() as folder:
    script = Path(folder) / "ddp_step.py"
    script.write_text(WORKER)
    launch = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             str(script), folder], capture_output=True, text=True)
    if launch.returncode != 0:
        raise RuntimeError(f"torchrun failed:\n{launch.stderr}")
    results = [load_file(f"{folder}/rank{rank}.safetensors")["weight"] for rank in range(2)]

# The same step in one process, on the whole batch:
torch.manual_seed(0)
data, labels = torch.randn(8, 10), torch.randint(0, 2, (8,))
single = nn.Linear(10, 2)
optimizer = torch.optim.SGD(single.parameters(), lr=0.1)
nn.functional.cross_entropy(single(data), labels).backward()
optimizer.step()

ranks_agree = torch.equal(results[0], results[1])
ddp_matches_single = torch.allclose(results[0], single.weight.detach(), atol=1e-6)
print("the two processes hold the same weights:", ranks_agree)
print("and the same as one process on the whole batch:", ddp_matches_single)
# Expected: True, and True. Mean of two half-batch mean-losses = mean over the whole batch.
print("The package: torchrun --nproc_per_node 2 -m customer_sentiment train reviews.csv --rating-column rating -o model")
