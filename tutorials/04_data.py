# %% [markdown]
# # Lesson 4: data - `Dataset`, tokenization, padding or offsets, `DataLoader`
#
# A model reads numbers. Getting from a review file to batches of token ids takes four steps:
# read and clean the texts, tokenize them into ids, wrap them in a `Dataset`, and let a
# `DataLoader` shuffle them into batches, with a collate function that builds each batch.

# %%
import torch
from torch.utils.data import DataLoader, Dataset

from customer_sentiment import WordNgramTokenizer, clean_texts, read_reviews

torch.manual_seed(0)
reviews = read_reviews("sample_reviews.csv", "review", rating_column="rating")
print(len(reviews), "reviews; labels:", sorted(set(reviews.labels)))
print(repr(reviews.texts[3]))
# Expected: 2400 reviews; labels: ['negative', 'neutral', 'positive']

# %% [markdown]
# ## Cleaning and tokenizing
# Exports carry HTML (`<br />`, `&#039;`); `clean_texts` removes it. The package's word tokenizer
# lower-cases, splits punctuation off and learns a vocabulary of words and word n-grams from the
# training texts; ids it has never seen map to 0, the unknown word.

# %%
texts = clean_texts(reviews.texts).to_pylist()
tokenizer = WordNgramTokenizer(ngram_max=2, min_count=2).fit(texts)
print("vocabulary:", tokenizer.vocab_size, "features (unknown word, words, bigrams)")
example = "Not bad at all, no problems so far!"
print(tokenizer.tokenize(example))
ids, offsets = tokenizer.encode_batch([example])
print([tokenizer.feature_name(i) for i in ids][:12])
# Expected: ['not', 'bad', 'at', 'all', ',', 'no', 'problems', 'so', 'far', '!'], then bigrams such as 'not bad'

# %% [markdown]
# ## A `Dataset`
# Two methods: `__len__` and `__getitem__(i)`, here the token ids of review i and its label id.

# %%
label_names = sorted(set(reviews.labels))


class ReviewDataset(Dataset):
    def __init__(self, texts: list[str], labels: list[str]):
        flat, self.offsets = tokenizer.encode_batch(texts)
        self.flat = torch.from_numpy(flat)
        self.labels = torch.tensor([label_names.index(label) for label in labels])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.flat[self.offsets[i]:self.offsets[i + 1]], self.labels[i]


dataset = ReviewDataset(texts, reviews.labels)
first_ids, first_label = dataset[0]
print(len(dataset), "items; item 0 has", len(first_ids), "ids, label", label_names[first_label])

# %% [markdown]
# ## Padding versus offsets
# Reviews differ in length. Sequence models need a rectangle: pad to the longest in the batch and
# remember the lengths. A bag of words needs no rectangle: concatenate the ids and keep offsets.

# %%
def pad_collate(items):
    lengths = torch.tensor([len(ids) for ids, _ in items])
    padded = torch.zeros(len(items), int(lengths.max()), dtype=torch.long)     # 0 = padding
    for row, (ids, _) in enumerate(items):
        padded[row, :len(ids)] = ids
    return padded, lengths, torch.stack([label for _, label in items])


def offsets_collate(items):
    lengths = torch.tensor([len(ids) for ids, _ in items])
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    return torch.cat([ids for ids, _ in items]), offsets, torch.stack([label for _, label in items])


toy = [(torch.tensor([5, 6, 7]), torch.tensor(0)), (torch.tensor([8]), torch.tensor(2)), (torch.tensor([9, 10]), torch.tensor(1))]
toy_padded, toy_lengths, toy_labels = pad_collate(toy)
toy_flat, toy_starts, _ = offsets_collate(toy)
print(toy_padded.tolist(), toy_lengths.tolist(), "|", toy_flat.tolist(), toy_starts.tolist(), "| labels", toy_labels.tolist())
# Expected: [[5, 6, 7], [8, 0, 0], [9, 10, 0]] [3, 1, 2] | [5, 6, 7, 8, 9, 10] [0, 3, 4] | labels [0, 2, 1]
collate_as_expected = (toy_padded.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]] and toy_lengths.tolist() == [3, 1, 2]
                       and toy_flat.tolist() == [5, 6, 7, 8, 9, 10] and toy_starts.tolist() == [0, 3, 4]
                       and toy_labels.tolist() == [0, 2, 1])

# %% [markdown]
# On real reviews: row r of the padded batch, cut at its length, and the flat ids from offset r on
# must both be review r encoded on its own, or the model would read one review's words as another's.

# %%
batch = [dataset[i] for i in range(4)]
padded, lengths, _ = pad_collate(batch)
flat, starts, _ = offsets_collate(batch)
padding_share = 1 - lengths.sum().item() / padded.numel()
print(f"padded {tuple(padded.shape)} ({padding_share:.0%} padding) | flat {tuple(flat.shape)} with offsets {starts.tolist()}")
alone = [torch.from_numpy(tokenizer.encode_batch([text])[0]) for text in texts[:4]]
layouts_agree = all(torch.equal(padded[row, :n], ids) and torch.equal(flat[start:start + n], ids)
                    for row, (start, n, ids) in enumerate(zip(starts.tolist(), lengths.tolist(), alone, strict=True)))
print("both layouts hold each review's own ids:", layouts_agree)
# Expected: some cells of the padded batch are padding, the flat one holds only tokens; True

# %% [markdown]
# ## A `DataLoader`
# It shuffles (with its own seeded generator, for reproducible order), batches and collates.

# %%
loader = DataLoader(dataset, batch_size=32, shuffle=True, collate_fn=offsets_collate,
                    generator=torch.Generator().manual_seed(0))
ids_batch, offsets_batch, labels_batch = next(iter(loader))
batches = len(loader)
print(f"{batches} batches of up to 32; first: {tuple(ids_batch.shape)} ids, {tuple(offsets_batch.shape)} offsets, "
      f"labels {labels_batch[:8].tolist()}")
# Expected: 75 batches of up to 32 (2400 / 32)

# %% [markdown]
# Two promises to check: a generator seeded the same way gives the same order again, and one epoch
# visits every review exactly once, so the epoch's tokens and labels are the dataset's, reshuffled.

# %%
again = DataLoader(dataset, batch_size=32, shuffle=True, collate_fn=offsets_collate,
                   generator=torch.Generator().manual_seed(0))
first_again = next(iter(again))
same_first_batch = all(torch.equal(a, b) for a, b in zip(first_again, (ids_batch, offsets_batch, labels_batch), strict=True))
epoch = list(loader)
epoch_ids = torch.cat([ids for ids, _, _ in epoch])
epoch_labels = torch.cat([labels for _, _, labels in epoch])
every_review_once = (torch.equal(epoch_ids.sort().values, dataset.flat.sort().values)
                     and torch.equal(epoch_labels.bincount(), dataset.labels.bincount()))
print("same first batch with the same seed:", same_first_batch, "| one epoch = every review once:", every_review_once)
# Expected: same first batch with the same seed: True | one epoch = every review once: True
