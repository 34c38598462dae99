"""Customer sentiment analysis: the tutorial's complete business application, end to end.

    python customer_sentiment_analysis.py

reads sample_reviews.csv, trains a sentiment model with PyTorch, tests it on reviews it never saw,
prints what customers say about each product, and saves the model to models/sample-sentiment/.
Everything here is the package's public API; `customer-sentiment --help` does the same from a shell.
"""

from customer_sentiment import SentimentPipeline, TrainingArguments, read_reviews, split_indices, summarize, write_html_report
from customer_sentiment.display import print_metrics, print_skipped, print_summary

# 1. Read the reviews. Star ratings become labels: 1-2 negative, 3 neutral, 4-5 positive.
#    Text is cleaned on the way in (HTML tags and entities, extra spaces); rows without text are counted.
reviews = read_reviews("sample_reviews.csv", text_column="review", rating_column="rating")
print_skipped("sample_reviews.csv", reviews.rows_read, len(reviews), reviews.skipped)

# 2. Hold out 20% for an honest test: the model never sees these reviews while it learns.
train_rows, test_rows = split_indices(reviews.labels, fraction=0.2, seed=0)
train, test = reviews.subset(train_rows), reviews.subset(test_rows)

# 3. Train. The default model is a bag of embeddings (nn.EmbeddingBag + nn.Linear) over words and
#    word n-grams, trained with AdamW and a linear learning-rate decay; 10% of the training reviews
#    are kept aside to stop early when macro-F1 stops improving. Same seed, same model.
pipeline = SentimentPipeline(model="bag_of_embeddings.v1", training=TrainingArguments(epochs=10, seed=0))
pipeline.fit(train.texts, train.labels, data_info=train.info)      # data_info: recorded in config.json

# 4. Evaluate on the held-out reviews: accuracy, macro-F1 (every class counts the same), per class.
metrics = pipeline.evaluate(test)
print_metrics(metrics, "Test on held-out reviews")

# 5. Use it: new reviews in, labels and probabilities out.
for text in ["Not bad at all, no problems so far.", "Stopped heating after two weeks. Avoid."]:
    scores = zip(pipeline.labels_, pipeline.predict_proba(text), strict=True)
    probabilities = ", ".join(f"{label} {p:.3f}" for label, p in scores)
    print(f"{pipeline.predict(text):>8} ({probabilities}): {text!r}")

# 6. The business summary: sentiment by product and by month, which products draw complaints and
#    what drives them (by sentence), which changed (tested), and where the stars and the words disagree.
#    The HTML report adds charts, explained example reviews and the model's reliability diagram.
probabilities = pipeline.predict_proba(reviews.texts)
scored = reviews.frame.assign(predicted_label=pipeline.predict(reviews.texts),
                              **{f"prob_{label}": probabilities[:, i] for i, label in enumerate(pipeline.labels_)})
summary = summarize(scored, by="product", time_column="date", text_column="review", rating_column="rating",
                    pipeline=pipeline, evaluation=metrics)
print_summary(summary)
print(f"Wrote the report to {write_html_report(summary, 'sample_report.html')}")

# 7. Save: config.json, model.safetensors, tokenizer.json and metrics.json; no pickle.
path = pipeline.save("models/sample-sentiment", metrics={"test": metrics})
print(f"Saved the model to {path}/. Score a file with:\n"
      f"  customer-sentiment predict {path} sample_reviews.csv --output scored.csv")
