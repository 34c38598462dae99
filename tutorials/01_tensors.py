# %% [markdown]
# # Lesson 1: tensors
#
# A tensor is PyTorch's n-dimensional array: NumPy's idea, plus two things a neural network needs,
# a device (CPU or GPU) and automatic differentiation (lesson 2). Everything a model reads and
# computes, from a review's word ids to its predicted probabilities, is a tensor.
#
# Run it: `python tutorials/01_tensors.py`, or open it as a notebook (Jupyter, VS Code).

# %%
import numpy as np
import pandas as pd
import torch

from customer_sentiment.io import read_table

torch.manual_seed(0)
reviews = read_table("sample_reviews.csv")
print(f"{len(reviews)} reviews, columns {list(reviews.columns)}")
# Expected: 2400 reviews, columns ['review_id', 'date', 'product', 'category', 'rating', 'review']

# %% [markdown]
# ## Creating tensors and their dtype
# `torch.tensor` copies Python or NumPy data. Its dtype follows the data: integers become int64,
# floats float32 (the default float type of neural networks: half the memory of float64, enough precision).

# %%
ratings = torch.tensor(reviews["rating"].astype(int).to_numpy())
print(ratings[:8], ratings.dtype, ratings.shape)
# Expected: tensor([4, 3, 3, 5, 5, 1, 3, 5]) torch.int64 torch.Size([2400])
mean_rating = ratings.float().mean()
print(f"mean rating {mean_rating:.2f}")          # .float(): a mean needs a floating-point tensor
# Expected: mean rating 3.63
zeros, ones, steps = torch.zeros(2, 3), torch.ones(3), torch.arange(0, 10, 2)
print(zeros.shape, ones.dtype, steps)
# Expected: torch.Size([2, 3]) torch.float32 tensor([0, 2, 4, 6, 8])

# %% [markdown]
# ## Shapes, reshaping and indexing
# Models work on batches: a (batch, features) matrix, not one review at a time. Indexing works as in
# NumPy, including boolean masks.

# %%
grid = ratings[:12].reshape(3, 4)          # 3 rows of 4 ratings, same data, new shape
print(grid)
print("first row:", grid[0], "| last column:", grid[:, -1])
low = ratings[ratings <= 2]                # boolean mask: the 1- and 2-star ratings
share_low = len(low) / len(ratings)
print(f"{len(low)} reviews of 1-2 stars ({share_low:.0%})")
# Expected: 536 reviews of 1-2 stars (22%)

# %% [markdown]
# ## Broadcasting
# Operations between tensors of different shapes stretch the smaller one, without copying. Here a
# (products, stars) count table is divided by its (products, 1) row sums: each row becomes shares.

# %%
products = sorted(reviews["product"].unique())
product_index = torch.tensor(reviews["product"].map({p: i for i, p in enumerate(products)}).to_numpy())
counts = torch.zeros(len(products), 5)
counts.index_put_((product_index, ratings - 1), torch.ones(len(ratings)), accumulate=True)   # (products, 5)
shares = counts / counts.sum(dim=1, keepdim=True)                                          # (10, 5) / (10, 1)
print(pd.DataFrame(shares.numpy().round(2), index=products, columns=[f"{s}*" for s in range(1, 6)]))
print("every row sums to 1:", torch.allclose(shares.sum(dim=1), torch.ones(len(products))))
# Expected: every row sums to 1: True; the ChefPro Air Fryer has the largest share of 1-star reviews

# %% [markdown]
# ## NumPy interop
# `torch.from_numpy` and `.numpy()` share memory with NumPy (on the CPU): no copy, and a change on
# one side shows on the other. `torch.tensor(array)` copies instead.

# %%
array = np.arange(5, dtype=np.float32)
shared = torch.from_numpy(array)
copied = torch.tensor(array)
array[0] = 100.0
print(shared[0].item(), copied[0].item())
shares_memory = shared[0].item() == 100.0
# Expected: 100.0 0.0

# %% [markdown]
# ## Devices
# A tensor lives on one device; an operation needs its tensors on the same one. Write code that
# picks the device once and moves data with `.to(device)`: the same lesson runs on a laptop and a GPU.

# %%
device = torch.device("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
on_device = shares.to(device)
print(f"device: {device}; tensor on {on_device.device}; back on the CPU: {on_device.cpu().device}")
# Expected (without a GPU): device: cpu; tensor on cpu; back on the CPU: cpu
