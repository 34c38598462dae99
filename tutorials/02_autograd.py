# %% [markdown]
# # Lesson 2: automatic differentiation
#
# Training a model means nudging its parameters against the gradient of a loss. PyTorch records
# the operations on tensors that `requires_grad`, as a graph, and `backward()` walks that graph
# from the loss to every parameter (reverse-mode differentiation). This lesson checks autograd
# against a gradient written by hand, then fits a tiny sentiment model by gradient descent.

# %%
import torch

from customer_sentiment import read_reviews

torch.manual_seed(0)

# %% [markdown]
# ## The graph and `backward`
# `y = w * x + b`, then a squared error. Each result remembers the operation that made it
# (`grad_fn`); `loss.backward()` fills `.grad` of the leaves that require gradients.

# %%
w = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(0.5, requires_grad=True)
x, target = torch.tensor(3.0), torch.tensor(10.0)
y = w * x + b
loss = (y - target) ** 2
print("y =", y.item(), "| made by", type(y.grad_fn).__name__, "| loss =", loss.item())
loss.backward()
print("dloss/dw =", w.grad.item(), " dloss/db =", b.grad.item())
# By hand: dloss/dw = 2 (y - target) x = 2 (6.5 - 10) 3 = -21; dloss/db = 2 (y - target) = -7
# Expected: dloss/dw = -21.0  dloss/db = -7.0

# %% [markdown]
# ## A feature from the reviews
# One number per review: (count of positive cue words) - (count of negative cue words). The label:
# 1 for 4-5 stars, 0 for 1-2 (3 stars are skipped: `rating_map` "3:skip").

# %%
from customer_sentiment import RatingMap  # noqa: E402

reviews = read_reviews("sample_reviews.csv", "review", rating_column="rating",
                       rating_map=RatingMap.parse("1-2:0,3:skip,4-5:1"))
positive_words = ("great", "love", "excellent", "perfect", "recommend", "happy", "best", "easy")
negative_words = ("not", "never", "terrible", "broke", "waste", "worst", "disappointed", "poor")


def cue_score(text: str) -> float:
    words = text.lower().split()
    return float(sum(w.strip(".,!") in positive_words for w in words) - sum(w.strip(".,!") in negative_words for w in words))


features = torch.tensor([cue_score(t) for t in reviews.texts])
labels = torch.tensor([float(label) for label in reviews.labels])
print(f"{len(labels)} reviews; mean cue score of positives {features[labels == 1].mean():.2f}, "
      f"of negatives {features[labels == 0].mean():.2f}")
# Expected: 2009 reviews (3-star ones skipped); positives score above 0 (0.21), negatives below (-0.74)

# %% [markdown]
# ## A hand-written gradient, checked against autograd
# Logistic regression: p = sigmoid(w x + b), loss = mean binary cross-entropy. Its gradient is
# d loss / d w = mean((p - y) x) and d loss / d b = mean(p - y).

# %%
def loss_fn(w, b):
    p = torch.sigmoid(w * features + b)
    return torch.nn.functional.binary_cross_entropy(p, labels)


def hand_gradient(w, b):
    p = torch.sigmoid(w * features + b)
    return ((p - labels) * features).mean(), (p - labels).mean()


w = torch.tensor(0.3, requires_grad=True)
b = torch.tensor(-0.1, requires_grad=True)
loss_fn(w, b).backward()
manual_w, manual_b = hand_gradient(w.detach(), b.detach())
print(f"autograd: {w.grad.item():.6f} {b.grad.item():.6f} | by hand: {manual_w.item():.6f} {manual_b.item():.6f}")
gradients_agree = torch.allclose(w.grad, manual_w) and torch.allclose(b.grad, manual_b)
print("they agree:", gradients_agree)
# Expected: they agree: True

# %% [markdown]
# ## `gradcheck`: autograd against finite differences
# For your own operations, `torch.autograd.gradcheck` compares the analytic gradient with
# numerical ones (f(x + eps) - f(x - eps)) / 2 eps; it needs float64 for the precision.

# %%
inputs = (torch.tensor(0.3, dtype=torch.float64, requires_grad=True),
          torch.tensor(-0.1, dtype=torch.float64, requires_grad=True))
features, labels = features.double(), labels.double()
gradcheck_passed = torch.autograd.gradcheck(loss_fn, inputs)
print("gradcheck:", gradcheck_passed)
# Expected: gradcheck: True

# %% [markdown]
# ## Gradient descent, by hand
# Repeat: compute the loss, `backward`, step against the gradient, zero the gradients (they add
# up otherwise). `torch.no_grad()` keeps the update itself out of the graph.

# %%
w = torch.zeros((), dtype=torch.float64, requires_grad=True)
b = torch.zeros((), dtype=torch.float64, requires_grad=True)
learning_rate = 0.5
losses = []
for _step in range(200):
    loss = loss_fn(w, b)
    loss.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
        b -= learning_rate * b.grad
    w.grad.zero_()
    b.grad.zero_()
    losses.append(loss.item())
accuracy = ((torch.sigmoid(w * features + b) > 0.5).double() == labels).double().mean().item()
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; w = {w.item():.2f}, b = {b.item():.2f}; accuracy {accuracy:.1%}")
# Expected: the loss falls from 0.693 (a coin flip) to 0.515, w = 0.75 > 0, accuracy 73.9%
# (one hand-made feature; lesson 6 learns thousands of them and does much better)
