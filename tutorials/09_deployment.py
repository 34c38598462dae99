# %% [markdown]
# # Lesson 9: deployment: saving safely, exporting, and calling the model
#
# A trained model is only useful once another program can load it and call it. This lesson saves
# the package's model as a folder of plain files, shows why those files are safetensors and JSON
# rather than a pickle, exports the network as a graph that runs without this Python code, calls
# the saved model the way an application would (`SentimentPipeline.load`, then `predict`,
# `predict_proba` and `predict_file`), exports it to ONNX behind a parity gate, and ends with the
# real thing: the model served over HTTP on this machine, called, and stopped.

# %%
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors import safe_open

from customer_sentiment import CustomerSentimentError, SentimentPipeline, TrainingArguments, read_reviews

folder = Path(tempfile.mkdtemp(prefix="lesson9-"))

# %% [markdown]
# ## 1. Train and save
# `fit` learns the tokenizer and trains the model; `save` writes one folder, atomically (into a
# temporary folder first, renamed at the end, so a crash never leaves half a model). The last 300
# reviews are held out: section 6 checks the exported graph on reviews the model never saw.

# %%
reviews = read_reviews("sample_reviews.csv", "review", rating_column="rating")
HELD_OUT = 300
pipeline = SentimentPipeline(training=TrainingArguments(epochs=5, seed=0), verbose=False)
pipeline.fit(reviews.texts[:-HELD_OUT], reviews.labels[:-HELD_OUT],
             data_info={"text_column": "review", "label_column": "label"})   # the columns, kept in config.json
model_dir = pipeline.save(folder / "model")
for file in sorted(model_dir.iterdir()):
    print(f"{file.name:20s} {file.stat().st_size / 1e6:6.2f} MB")
config = json.loads((model_dir / "config.json").read_text())
print("architecture", config["architecture"], "| labels", config["labels"])
# Expected: config.json, metrics.json, model.safetensors, tokenizer.json (and a README.md model card)

# %% [markdown]
# ## 2. What a safetensors file holds
# A JSON header (names, dtypes, shapes, byte offsets) and then the raw numbers, nothing else. Reading
# it can only ever produce tensors.

# %%
with safe_open(model_dir / "model.safetensors", framework="pt") as weights:
    tensor_shapes = {name: tuple(weights.get_slice(name).get_shape()) for name in weights.keys()}
for name, shape in tensor_shapes.items():
    print(f"{name:22s} {shape}")
# Expected: classifier.bias (3,), classifier.weight (3, 16), embedding.weight (about 3,900 features, 16)

# %% [markdown]
# ## 3. Why not pickle
# `torch.save` of a whole model (and `pickle` in general) stores *instructions* to rebuild objects,
# and those instructions may call any function. A file crafted like the one below runs its code the
# moment it is unpickled. Here the "attack" only writes a file, so we can see whether it ran.

# %%
marker = folder / "the_file_ran_code.txt"


class Payload:
    def __reduce__(self):                       # pickle calls this to learn how to rebuild the object
        return (Path.write_text, (marker, "code from a model file ran on your machine"))


malicious = folder / "model.pt"
torch.save({"weight": Payload()}, malicious)    # looks like any checkpoint

torch.load(malicious, weights_only=False)       # full unpickling (the default before PyTorch 2.6): the code runs
pickle_ran_code = marker.exists()
print("torch.load(weights_only=False) ran the file's code:", pickle_ran_code)
marker.unlink()

try:                                            # weights_only=True allows tensors and plain containers only
    torch.load(malicious, weights_only=True)
    torch_load_refused = False
except pickle.UnpicklingError as error:
    torch_load_refused = True
    reason = next((line for line in str(error).splitlines() if "Unsupported global" in line), str(error))
    print("torch.load(weights_only=True) refused:", reason.strip()[:110])

bad_model = shutil.copytree(model_dir, folder / "bad_model")   # the pickle renamed as a real model's weights
(bad_model / "model.safetensors").write_bytes(malicious.read_bytes())
try:
    SentimentPipeline.load(bad_model)
    package_refused = False
except CustomerSentimentError as error:
    package_refused = True
    print("SentimentPipeline.load refused:", error)
code_never_ran = not marker.exists()
print("the payload never ran after that:", code_never_ran)
# Expected: True; a refusal from each loader; True

# %% [markdown]
# ## 4. Exporting the network
# `torch.export` traces the model's `forward` into a graph of PyTorch operations, with the sizes
# that may change (number of token ids, number of reviews) marked dynamic. The exported program runs
# without the model's Python class, is the starting point for ONNX, ExecuTorch (mobile and edge)
# and AOTInductor (compiled C++), and must give the same numbers as the model it came from.

# %%
texts = ["Not bad at all, works as described.", "Stopped working after two weeks. Waste of money!",
         "It's ok. Does the job, nothing special."]
ids, offsets = pipeline.tokenizer_.encode_batch(texts)      # flat ids; review i is ids[offsets[i]:offsets[i+1]]
example = (torch.from_numpy(ids), torch.from_numpy(offsets[:-1]))
tokens, batch = torch.export.Dim("tokens"), torch.export.Dim("reviews")
exported = torch.export.export(pipeline.model_.eval(), example,
                               dynamic_shapes={"ids": {0: tokens}, "offsets": {0: batch}})
torch.export.save(exported, folder / "model.pt2")
reloaded = torch.export.load(folder / "model.pt2")

more_ids, more_offsets = pipeline.tokenizer_.encode_batch(reviews.texts[:50])  # other sizes than traced
more = (torch.from_numpy(more_ids), torch.from_numpy(more_offsets[:-1]))
with torch.no_grad():
    export_matches = torch.allclose(reloaded.module()(*more), pipeline.model_(*more), atol=1e-6)
print(f"exported graph has {len(exported.graph.nodes)} nodes; same logits as the model on 50 other reviews:",
      export_matches)
# Expected: True. (The pipeline's own cleaning and tokenizing stay in Python; only the network is exported.)

# %% [markdown]
# ## 5. Calling the saved model
# This is all an application needs: load the folder (no pickle, so loading runs no code from it),
# then call it. `predict` of one string gives one label; of a list, a list. `predict_proba` gives
# one row per review, one column per label in `pipeline.labels_`, each row summing to 1.

# %%
served = SentimentPipeline.load(model_dir)
print(served.predict(texts[0]))
print(served.predict(texts))
probabilities = served.predict_proba(texts)
print(pd.DataFrame(probabilities, columns=served.labels_).round(3))
rows_sum_to_one = bool(np.allclose(probabilities.sum(axis=1), 1))
argmax_is_predict = [served.labels_[i] for i in probabilities.argmax(axis=1)] == served.predict(texts)
same_as_trained = bool(np.allclose(probabilities, pipeline.predict_proba(texts), atol=1e-6))
print("rows sum to 1:", rows_sum_to_one, "| argmax = predict:", argmax_is_predict, "| same as before saving:", same_as_trained)
# Expected: True, True, True

# %% [markdown]
# Scoring a whole file streams it in chunks, keeps the id column and the row order, and adds the
# label, one probability per class and how many windows each review took (long reviews are scored
# over several windows). From a shell: `customer-sentiment predict MODEL_DIR reviews.csv -o scored.csv`.

# %%
reviews.frame.head(200).to_csv(folder / "new_reviews.csv", index=False)
served.predict_file(folder / "new_reviews.csv", folder / "scored.csv", text_column="review", id_column="review_id",
                    keep_columns=["product"])
scored = pd.read_csv(folder / "scored.csv")
print(scored.head(5).round(3).to_string(index=False))
scored_rows = len(scored)
print(f"{scored_rows} rows scored; columns: {list(scored.columns)}")
# Expected: 200 rows; review_id, product, predicted_label, prob_negative, prob_neutral, prob_positive
# (sequence models add `windows`: how many overlapping windows a long review took)

# %% [markdown]
# ## 6. ONNX, behind a parity gate
# ONNX is the graph format other runtimes read: onnxruntime on a server, in a browser (WebAssembly)
# or on a phone. `customer-sentiment export` (here `export_model`) writes `model.onnx` only if it
# scores held-out reviews as PyTorch does (every probability within 1e-4, every label the same), and
# an int8 copy (weights stored in 8 bits, about 4x smaller) only if it keeps 99 % of the labels and
# loses at most half a point of accuracy. `export.json` records the figures and each file's sha256;
# loading checks them, so a changed file is refused.

# %%
from customer_sentiment.export import export_model  # noqa: E402  (onnx, onnxruntime: the [onnx] extra)

pd.DataFrame({"review": reviews.texts[-HELD_OUT:], "label": reviews.labels[-HELD_OUT:]}).to_csv(
    folder / "held_out.csv", index=False)
record = export_model(model_dir, quantize="int8", check_data=folder / "held_out.csv").record
for name, file in record["files"].items():
    parity = file["parity"]
    print(f"{name:16s} {file['bytes'] / 1e6:5.2f} MB | largest probability difference {parity['max_abs_prob_diff']:.1e}"
          f" | labels as PyTorch {parity['label_agreement']:.1%} | accuracy {parity['accuracy']:.3f}")
onnx_pipeline = SentimentPipeline.load(model_dir, runtime="onnx")      # same API, onnxruntime underneath
onnx_matches = bool(np.allclose(onnx_pipeline.predict_proba(texts), probabilities, atol=1e-4))
print("onnxruntime gives PyTorch's probabilities:", onnx_matches)
# Expected: model.onnx within about 1e-7 of PyTorch; the int8 file about a quarter of the size; True

# %% [markdown]
# ## 7. The model as a service
# `customer-sentiment serve MODEL_DIR` starts an HTTP service (FastAPI on uvicorn) on 127.0.0.1, this
# machine only, unless you pass `--host`. Other programs POST review texts to `/v1/predict` and get
# labels and probabilities back; `/readyz` says when the model is loaded; `/docs` describes the API,
# and `/` is a page to try it in a browser. Concurrent requests are scored together in one batch.
# A SIGTERM (what `docker stop` or Kubernetes sends) first marks the service not ready, lets requests
# in flight finish, then exits 0.

# %%
with socket.socket() as probe:                  # a free port on this machine
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
base = f"http://127.0.0.1:{port}"
service = subprocess.Popen([sys.executable, "-m", "customer_sentiment", "serve", str(model_dir), "--port", str(port),
                            "--drain-seconds", "0.5"], stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})


def call(path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


for _ in range(600):                            # wait until the model is loaded and warmed up
    try:
        call("/readyz")
        break
    except (urllib.error.URLError, ConnectionError):
        time.sleep(0.1)
answer = call("/v1/predict", {"texts": texts})
for text, prediction in zip(texts, answer["predictions"], strict=True):
    print(f"{prediction['label']:9s} {max(prediction['probabilities'].values()):.3f}  {text}")
served_probabilities = np.array([[p["probabilities"][label] for label in answer["labels"]]
                                 for p in answer["predictions"]])
service_matches = bool(np.allclose(served_probabilities, probabilities, atol=1e-6))
print("the service answers as the model does in this process:", service_matches)
service.send_signal(signal.SIGTERM)             # stop it as an orchestrator would
service_exit = service.wait(timeout=60)
print("the service stopped with exit code", service_exit)
# Expected: the same labels as in section 5; True; exit code 0

# %%
shutil.rmtree(folder)                           # the lesson's files were temporary
