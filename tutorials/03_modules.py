# %% [markdown]
# # Lesson 3: `nn.Module` and layers
#
# An `nn.Module` bundles parameters with the computation that uses them (`forward`). Modules nest:
# a model is a module made of layer modules, and `model.parameters()` finds every weight inside.
# This lesson builds the layers the package's architectures use, on a batch of review token ids.

# %%
import torch
from torch import nn

torch.manual_seed(0)
vocab_size, dim = 1000, 16
# A batch of 3 "reviews" of 5 token ids each (lesson 4 makes real ones from text).
ids = torch.randint(1, vocab_size, (3, 5))                 # (batch, time)
print("ids", tuple(ids.shape))

# %% [markdown]
# ## `nn.Linear` and `nn.Embedding`
# Linear: y = x W^T + b. Embedding: a lookup table, one learned vector per token id.

# %%
embedding = nn.Embedding(vocab_size, dim)
vectors = embedding(ids)                                     # (batch, time, dim)
linear = nn.Linear(dim, 3)
print("embedded", tuple(vectors.shape), "-> linear", tuple(linear(vectors).shape))
# Expected: embedded (3, 5, 16) -> linear (3, 5, 3)

# %% [markdown]
# ## `nn.EmbeddingBag`: a bag of words in one call
# It looks up and averages the embeddings of each review's tokens, reviews of any length packed in
# one flat tensor with `offsets` (where each review starts): no padding at all.

# %%
bag = nn.EmbeddingBag(vocab_size, dim, mode="mean")
bag.weight = embedding.weight                                 # share the table, to compare
flat = torch.tensor([4, 8, 15, 16, 23, 42])                   # review 0: 4 8 15, review 1: 16 23 42
offsets = torch.tensor([0, 3])
bags = bag(flat, offsets)                                     # (2, dim)
same_as_mean = torch.allclose(bags[0], embedding(flat[:3]).mean(dim=0))
print("EmbeddingBag", tuple(bags.shape), "equals the mean of the embeddings:", same_as_mean)
# Expected: EmbeddingBag (2, 16) equals the mean of the embeddings: True

# %% [markdown]
# ## `nn.Conv1d`: patterns of neighbouring words
# A filter of width 3 looks at 3 consecutive token vectors ("not that bad"); max over time keeps
# its strongest match anywhere in the review. Conv1d wants (batch, channels, time).

# %%
conv = nn.Conv1d(dim, 8, kernel_size=3)
feature_maps = torch.relu(conv(vectors.transpose(1, 2)))      # (batch, 8 filters, time - 2)
pooled = feature_maps.amax(dim=2)                              # (batch, 8)
print("conv", tuple(feature_maps.shape), "-> max over time", tuple(pooled.shape))
# Expected: conv (3, 8, 3) -> max over time (3, 8)

# %% [markdown]
# ## `nn.LSTM`: reading in order
# A recurrent layer carries a state from word to word; bidirectional reads both ways.

# %%
lstm = nn.LSTM(dim, 12, batch_first=True, bidirectional=True)
states, (h, c) = lstm(vectors)                                 # states: (batch, time, 2 * 12)
print("LSTM states", tuple(states.shape), "final hidden", tuple(h.shape))
# Expected: LSTM states (3, 5, 24) final hidden (2, 3, 12)

# %% [markdown]
# ## Attention
# Each position mixes in the others, weighted by how well its query matches their keys. A padding
# mask keeps positions that hold no token out of the mix.

# %%
attention = nn.MultiheadAttention(dim, num_heads=4, batch_first=True)
padding = torch.tensor([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]])   # True = padding
mixed, weights = attention(vectors, vectors, vectors, key_padding_mask=padding)
print("attention output", tuple(mixed.shape), "| weight on padding:", weights[1, :, 3:].sum().item())
# Expected: attention output (3, 5, 16) | weight on padding: 0.0

# %% [markdown]
# ## A model is a module of modules
# Parameters are found recursively; `state_dict()` names every tensor, which is what gets saved
# (as safetensors in this project: lesson 9).

# %%
class TinyBagModel(nn.Module):
    def __init__(self, vocab_size: int, dim: int, classes: int):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab_size, dim, mode="mean")
        self.out = nn.Linear(dim, classes)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        return self.out(self.bag(ids, offsets))                 # (batch, classes)


model = TinyBagModel(vocab_size, dim, 3)
parameter_count = sum(p.numel() for p in model.parameters())
print("parameters:", parameter_count, "| state_dict keys:", list(model.state_dict()))
# Expected: parameters: 16051 (1000 x 16 + 16 x 3 + 3) | state_dict keys: ['bag.weight', 'out.weight', 'out.bias']
copy = TinyBagModel(vocab_size, dim, 3)
copy.load_state_dict(model.state_dict())
reloaded_same = torch.equal(copy(flat, offsets), model(flat, offsets))
print("a copy loaded from the state_dict predicts the same:", reloaded_same)
# Expected: ... predicts the same: True
