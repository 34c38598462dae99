# %% [markdown]
# # Lesson 6: a sentiment model from scratch, then the package's
#
# Everything so far, put together by hand in about 60 lines: a vocabulary, a bag-of-words model,
# a training loop, and a test on reviews the model never saw. Then the same data through the
# package's own `customer-sentiment train`, which adds bigrams and trigrams, cleaning, early
# stopping and a saved model, for comparison. Both must beat the simplest baseline: always
# predicting the most common label.

# %%
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import torch
from sklearn.metrics import accuracy_score, f1_score
from torch import nn

from customer_sentiment import SentimentPipeline, read_reviews, split_indices

torch.manual_seed(0)
reviews = read_reviews("sample_reviews.csv", "review", rating_column="rating")
train_rows, test_rows = split_indices(reviews.labels, 0.2, seed=0)
train, test = reviews.subset(train_rows), reviews.subset(test_rows)
label_names = sorted(set(reviews.labels))

majority = Counter(train.labels).most_common(1)[0][0]
baseline_accuracy = accuracy_score(test.labels, [majority] * len(test))
print(f"{len(train)} training and {len(test)} test reviews; always '{majority}': accuracy {baseline_accuracy:.3f}")
# Expected: 1920 training and 480 test reviews; always 'positive': accuracy 0.615 (macro-F1 only 0.25)

# %% [markdown]
# ## A vocabulary and ids, by hand
# Lower-case words (and "!" and "?"), the ones seen at least twice in training; 0 is "unknown".

# %%
def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+|[!?]", re.sub(r"<[^>]+>", " ", text.lower()))


counts = Counter(word for text in train.texts for word in words(text))
vocabulary = {word: i + 1 for i, (word, n) in enumerate(counts.most_common()) if n >= 2}


def encode(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    ids = [torch.tensor([vocabulary.get(w, 0) for w in words(t)] or [0]) for t in texts]
    lengths = torch.tensor([len(i) for i in ids])
    return torch.cat(ids), torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])


train_ids, train_offsets = encode(train.texts)
test_ids, test_offsets = encode(test.texts)
y_train = torch.tensor([label_names.index(label) for label in train.labels])
print(f"vocabulary of {len(vocabulary)} words")

# %% [markdown]
# ## The model and the loop
# EmbeddingBag + Linear, cross-entropy, AdamW; full-batch steps keep it short.

# %%
model = nn.Sequential()                         # a container, to show the parts by name
model.bag = nn.EmbeddingBag(len(vocabulary) + 1, 32, mode="mean")
model.out = nn.Linear(32, len(label_names))
optimizer = torch.optim.AdamW(list(model.bag.parameters()) + list(model.out.parameters()), lr=0.05)
for step in range(150):
    logits = model.out(model.bag(train_ids, train_offsets))
    loss = nn.functional.cross_entropy(logits, y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step:3d}  loss {loss.item():.3f}")
with torch.no_grad():
    predicted = model.out(model.bag(test_ids, test_offsets)).argmax(1)
scratch_predictions = [label_names[i] for i in predicted]
scratch_accuracy = accuracy_score(test.labels, scratch_predictions)
scratch_f1 = f1_score(test.labels, scratch_predictions, average="macro")
print(f"from scratch: accuracy {scratch_accuracy:.3f}, macro-F1 {scratch_f1:.3f}")
# Expected: from scratch: accuracy 0.798, macro-F1 0.704, well above the 0.615 baseline

# %% [markdown]
# ## The package, on the same training reviews
# `customer-sentiment train` from a shell (here through `subprocess`), then the saved model is
# loaded with the Python API and tested on the same held-out reviews.

# %%
with tempfile.TemporaryDirectory() as folder:
    train_file = Path(folder) / "train.csv"
    reviews.frame.iloc[train_rows].to_csv(train_file, index=False)
    command = [sys.executable, "-m", "customer_sentiment", "train", str(train_file), "--rating-column", "rating",
               "--output", f"{folder}/model", "--run-dir", f"{folder}/run", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True)
    print(f"$ customer-sentiment train train.csv --rating-column rating --output model   (exit {done.returncode})")
    package = SentimentPipeline.load(f"{folder}/model")
    metrics = package.evaluate(test)
package_accuracy, package_f1 = metrics["accuracy"], metrics["macro_f1"]
print(f"customer-sentiment: accuracy {package_accuracy:.3f}, macro-F1 {package_f1:.3f}")
# Expected: customer-sentiment: accuracy 0.815, macro-F1 0.737: n-grams ("not bad") and early stopping help

# %%
print(f"baseline {baseline_accuracy:.3f} < from scratch {scratch_accuracy:.3f}; package {package_accuracy:.3f}")
