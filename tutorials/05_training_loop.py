# %% [markdown]
# # Lesson 5: the training loop
#
# Every PyTorch training loop is the same five lines: forward, loss, `backward`, optimizer `step`,
# `zero_grad`. Around them sit the choices this lesson compares on customer reviews: the loss and
# its class weights, the optimizer (SGD, Adam, AdamW), the learning-rate schedule, when to stop
# (overfitting and early stopping), and seeds for runs you can repeat.

# %%
import math

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from customer_sentiment import WordNgramTokenizer, clean_texts, read_reviews, split_indices

reviews = read_reviews("sample_reviews.csv", "review", rating_column="rating")
texts = clean_texts(reviews.texts).to_pylist()
label_names = sorted(set(reviews.labels))
labels = torch.tensor([label_names.index(label) for label in reviews.labels])
train_rows, val_rows = split_indices(reviews.labels, 0.2, seed=0)
tokenizer = WordNgramTokenizer(min_count=2).fit([texts[i] for i in train_rows])


def encode(rows):
    flat, offsets = tokenizer.encode_batch([texts[i] for i in rows])     # offsets: n + 1 boundaries
    return torch.from_numpy(flat), torch.from_numpy(offsets[:-1]), labels[rows]   # EmbeddingBag takes the n starts


train_ids, train_offsets, train_labels = encode(train_rows)
val_ids, val_offsets, val_labels = encode(val_rows)
print("classes:", dict(zip(label_names, np.bincount(train_labels.numpy()).tolist(), strict=True)))
# Expected: classes: {'negative': 429, 'neutral': 313, 'positive': 1178} (imbalanced)


class Bag(nn.Module):
    def __init__(self, vocab_size: int, dim: int = 16):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab_size, dim, mode="mean")
        self.out = nn.Linear(dim, len(label_names))

    def forward(self, ids, offsets):
        return self.out(self.bag(ids, offsets))


train_reviews = list(torch.tensor_split(train_ids, train_offsets[1:]))      # one id tensor per review


def batches(y, batch_size, generator):
    order = torch.randperm(len(y), generator=generator)
    for start in range(0, len(y), batch_size):
        rows = order[start:start + batch_size].tolist()
        parts = [train_reviews[r] for r in rows]
        lengths = torch.tensor([len(p) for p in parts])
        yield torch.cat(parts), torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]]), y[rows]

# %% [markdown]
# ## The loop
# `train` returns one record per epoch: training loss, validation loss and validation macro-F1.

# %%
def train(optimizer_name="adamw", lr=0.01, epochs=5, seed=0, class_weights=None, dim=16, schedule=None, batch_size=32):
    torch.manual_seed(seed)                                            # initialization
    generator = torch.Generator().manual_seed(seed)                    # batch order
    model = Bag(tokenizer.vocab_size, dim)
    optimizer = {"sgd": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9),
                 "adam": lambda p: torch.optim.Adam(p, lr=lr),
                 "adamw": lambda p: torch.optim.AdamW(p, lr=lr, weight_decay=0.01)}[optimizer_name](model.parameters())
    steps = epochs * math.ceil(len(train_labels) / batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule or (lambda step: 1.0))
    loss_fn = nn.CrossEntropyLoss(weight=class_weights)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        for ids, offsets, y in batches(train_labels, batch_size, generator):
            loss = loss_fn(model(ids, offsets), y)        # forward and loss
            optimizer.zero_grad()
            loss.backward()                                # gradients
            optimizer.step()                               # update
            scheduler.step()
            total += loss.item() * len(y)
        model.eval()
        with torch.no_grad():
            logits = model(val_ids, val_offsets)
        history.append({"epoch": epoch, "train_loss": total / len(train_labels),
                        "val_loss": nn.functional.cross_entropy(logits, val_labels).item(),
                        "val_macro_f1": f1_score(val_labels, logits.argmax(1), average="macro")})
    assert steps == scheduler.last_epoch
    return model, history

# %% [markdown]
# ## Optimizers: SGD, Adam, AdamW
# SGD moves every weight by the same learning rate times its gradient; Adam scales each weight's
# step by running estimates of its gradient's size, which suits sparse features like words that
# appear in few reviews. AdamW is Adam with weight decay applied correctly (decoupled).

# %%
results = {}
for name, lr in [("sgd", 0.5), ("adam", 0.01), ("adamw", 0.01)]:
    _, history = train(name, lr=lr)
    results[name] = history[-1]["val_macro_f1"]
    print(f"{name:6s} lr {lr:<5} validation macro-F1 after 5 epochs: {results[name]:.3f}")
# Expected: sgd 0.646, adam 0.738, adamw 0.738: the adaptive optimizers learn faster from sparse word features

# %% [markdown]
# ## Class weights for imbalanced data
# Positive reviews outnumber neutral ones 4 to 1, so a model can ignore "neutral" and still score
# well on accuracy. Weighting each class by 1 / frequency makes its mistakes count as much.

# %%
counts = torch.bincount(train_labels, minlength=len(label_names)).float()
balanced = len(train_labels) / (len(label_names) * counts)
for weights, name in [(None, "no weights"), (balanced, "balanced")]:
    model, _ = train(class_weights=weights)
    with torch.no_grad():
        predicted = model(val_ids, val_offsets).argmax(1)
    neutral = label_names.index("neutral")
    recall = ((predicted == neutral) & (val_labels == neutral)).sum().item() / (val_labels == neutral).sum().item()
    print(f"{name:10s}: neutral recall {recall:.2f}")
    if weights is None:
        neutral_recall_unweighted = recall
    else:
        neutral_recall_balanced = recall
# Expected: no weights: neutral recall 0.47; balanced: 0.60

# %% [markdown]
# ## Learning-rate schedules
# A schedule multiplies the learning rate step by step: here a linear warm-up over the first 10% of
# the steps, then cosine decay to 0, the shape most fine-tuning recipes use.

# %%
total_steps = 8 * math.ceil(len(train_labels) / 32)


def warmup_cosine(step: int, warmup: int = total_steps // 10) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total_steps - warmup)))


print("learning-rate factor at steps 0, 10%, 50%, end:",
      [round(warmup_cosine(s), 2) for s in (0, total_steps // 10, total_steps // 2, total_steps - 1)])
# Expected: [0.02, 1.0, 0.59, 0.0]

# %% [markdown]
# ## Overfitting and early stopping
# A large model trained long keeps lowering its training loss while the validation loss turns back
# up: it memorizes. Early stopping keeps the epoch with the best validation score.

# %%
_, history = train(dim=64, lr=0.02, epochs=10, batch_size=64)
best = min(history, key=lambda r: r["val_loss"])
for record in history[::3] if (len(history) - 1) % 3 == 0 else history[::3] + [history[-1]]:
    print(f"epoch {record['epoch']:2d}  train loss {record['train_loss']:.3f}  validation loss {record['val_loss']:.3f}")
print(f"best validation loss at epoch {best['epoch']} of {len(history)}: stop there")
overfits = history[-1]["val_loss"] > best["val_loss"] and history[-1]["train_loss"] < best["train_loss"]
print("training loss kept falling while validation loss rose:", overfits)
# Expected: best validation loss at epoch 2 of 10; True

# %% [markdown]
# ## Reproducibility
# Seed everything random (initialization, batch order, dropout) and the same data gives the same
# weights, bit for bit, on the same machine.

# %%
first, _ = train(epochs=1, seed=7)
second, _ = train(epochs=1, seed=7)
other, _ = train(epochs=1, seed=8)
pairs = zip(first.state_dict().values(), second.state_dict().values(), strict=True)
same_seed_identical = all(torch.equal(a, b) for a, b in pairs)
other_seed_differs = not torch.equal(first.bag.weight, other.bag.weight)
print("same seed, identical weights:", same_seed_identical, "| another seed differs:", other_seed_differs)
# Expected: same seed, identical weights: True | another seed differs: True
