"""Write `sample_reviews.csv`: synthetic customer reviews, composed for this project from phrase banks.

Every sentence below was written for customer-sentiment; nothing is copied from a real data set.
The generator is seeded, so the same command always writes the same file:

    python scripts/generate_sample_reviews.py            # writes sample_reviews.csv at the repo root
    python scripts/generate_sample_reviews.py --check    # fails if the committed file is out of date

What it models, so that a classifier has something to learn and a report something to say:
- 10 products in 4 categories, 18 months of reviews (2025-01 .. 2026-06);
- star ratings 1-5 whose text mostly agrees with them, through plain, negated ("not bad at all",
  "no problems so far") and mixed ("great sound, but the battery ...") sentences, a neutral middle;
  as in real exports, a quarter of the texts read one star off their rating and a few contradict it;
- short and long reviews, typos, and the odd HTML entity or <br /> that real exports carry;
- the ChefPro Air Fryer turns worse from 2025-10 (a heating fault); the VoltMax Power Bank improves
  after a firmware fix in 2025-07.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

SEED = 20251
N_REVIEWS = 2400
START, END = dt.date(2025, 1, 1), dt.date(2026, 6, 30)
OUTPUT = Path(__file__).resolve().parent.parent / "sample_reviews.csv"

# product -> (category, aspects, weight)
PRODUCTS = {
    "AeroBuds Pro": ("Electronics", ["sound", "battery", "fit", "connection"], 1.3),
    "VoltMax Power Bank": ("Electronics", ["charging", "battery", "build"], 1.0),
    "PixelView 27 Monitor": ("Electronics", ["picture", "stand", "setup"], 0.9),
    "BrewMaster Coffee Maker": ("Home & Kitchen", ["taste", "cleaning", "build"], 1.1),
    "ChefPro Air Fryer": ("Home & Kitchen", ["cooking", "cleaning", "noise"], 1.4),
    "PureAir Purifier": ("Home & Kitchen", ["air", "noise", "filter"], 0.8),
    "TrailLite Backpack": ("Outdoors", ["comfort", "build", "pockets"], 0.9),
    "HydroPeak Bottle": ("Outdoors", ["leaks", "build", "temperature"], 1.0),
    "SmoothGlide Trimmer": ("Personal Care", ["shave", "battery", "grip"], 0.9),
    "SilkWave Hair Dryer": ("Personal Care", ["drying", "noise", "build"], 0.8),
}

# Aspect sentences by polarity. {p} is the product's short name.
ASPECTS = {
    "sound": {
        "pos": ["The sound is crisp and the bass is rich.", "Audio quality is excellent for the price.",
                "Music sounds clear and balanced."],
        "neg": ["The sound is tinny and the bass is muddy.", "Audio crackles at higher volume.",
                "Sound quality is disappointing, everything sounds flat."],
        "neu": ["Sound is fine, about what you would expect.", "The audio is average."],
    },
    "battery": {
        "pos": ["Battery lasts all day without a problem.", "Battery life is amazing, I charge it once a week.",
                "No problems with the battery so far."],
        "neg": ["The battery dies after an hour.", "Battery life is terrible and it will not hold a charge.",
                "It does not hold a charge anymore."],
        "neu": ["Battery life is okay, nothing special.", "The battery lasts about as long as advertised."],
    },
    "fit": {
        "pos": ["They fit perfectly and stay in during runs.", "Very comfortable, I forget I am wearing them."],
        "neg": ["They keep falling out of my ears.", "Uncomfortable after twenty minutes, my ears hurt."],
        "neu": ["The fit is alright once you find the right tips."],
    },
    "connection": {
        "pos": ["Pairing was instant and the connection never drops.", "Bluetooth connects quickly every time."],
        "neg": ["The connection drops constantly.", "Pairing fails half the time, very frustrating."],
        "neu": ["Connection is stable most of the time."],
    },
    "charging": {
        "pos": ["It charges my phone fast.", "Fast charging works great, full phone in an hour."],
        "neg": ["It charges painfully slow.", "It stopped charging my phone after a week."],
        "neu": ["Charging speed is average."],
    },
    "build": {
        "pos": ["Feels solid and well made.", "The build quality is excellent.", "Sturdy and built to last."],
        "neg": ["It feels cheap and flimsy.", "The plastic cracked within a month.", "Poor build quality, a part broke off."],
        "neu": ["Build quality is acceptable for the price.", "It feels a bit plasticky but holds up."],
    },
    "picture": {
        "pos": ["The picture is sharp and the colors are gorgeous.", "Text is crisp and the colors pop."],
        "neg": ["There is terrible backlight bleed.", "Colors look washed out and dull.", "It arrived with dead pixels."],
        "neu": ["The picture is decent, not the brightest."],
    },
    "stand": {
        "pos": ["The stand is sturdy and easy to adjust."],
        "neg": ["The stand wobbles every time I type."],
        "neu": ["The stand is basic but does its job."],
    },
    "setup": {
        "pos": ["Setup took five minutes.", "Easy to set up, plug and play."],
        "neg": ["Setup was a nightmare and the manual is useless.", "The instructions are confusing."],
        "neu": ["Setup was straightforward enough."],
    },
    "taste": {
        "pos": ["The coffee tastes rich and hot.", "Makes a great cup of coffee every morning."],
        "neg": ["The coffee tastes burnt and bitter.", "Coffee comes out lukewarm and weak."],
        "neu": ["The coffee is fine, nothing special."],
    },
    "cleaning": {
        "pos": ["Cleaning is quick and easy.", "The basket is dishwasher safe, which makes cleanup easy."],
        "neg": ["It is a pain to clean.", "Grease gets stuck everywhere and it is hard to clean."],
        "neu": ["Cleaning takes a few minutes."],
    },
    "cooking": {
        "pos": ["Fries come out crispy every time.", "It cooks chicken evenly and quickly.",
                "Everything comes out crispy and juicy."],
        "neg": ["Food comes out soggy and unevenly cooked.", "It takes forever to cook anything."],
        "neu": ["Cooking times are about what the recipes say."],
    },
    "noise": {
        "pos": ["It is very quiet.", "Quiet enough to run at night."],
        "neg": ["It is incredibly loud.", "The fan is noisy and rattles."],
        "neu": ["It makes some noise but nothing unusual."],
    },
    "air": {
        "pos": ["The air feels fresher within an hour.", "My allergies are much better since I got it."],
        "neg": ["I notice no difference in the air at all.", "The room still smells stale."],
        "neu": ["Hard to say how much it improves the air."],
    },
    "filter": {
        "pos": ["Filters are cheap and easy to swap."],
        "neg": ["Replacement filters are overpriced and hard to find."],
        "neu": ["The filter needs changing every few months."],
    },
    "comfort": {
        "pos": ["Very comfortable even on long hikes.", "It sits comfortably and feels light."],
        "neg": ["The straps dig into my shoulders.", "Uncomfortable to use for more than a few minutes."],
        "neu": ["Comfort is okay for short trips."],
    },
    "grip": {
        "pos": ["The grip is comfortable and it is easy to handle.", "Light and easy to hold."],
        "neg": ["It slips out of wet hands.", "Awkward to hold, my hand cramps."],
        "neu": ["The grip is fine."],
    },
    "pockets": {
        "pos": ["Lots of pockets, everything has a place."],
        "neg": ["The zippers on the pockets broke."],
        "neu": ["The pockets are a reasonable size."],
    },
    "leaks": {
        "pos": ["No leaks at all, even upside down in my bag.", "Never had an issue with leaks."],
        "neg": ["It leaks all over my bag.", "The lid leaks no matter how tight I close it."],
        "neu": ["The lid seals well enough if you are careful."],
    },
    "temperature": {
        "pos": ["Keeps water cold for the whole day.", "Drinks stay ice cold for hours."],
        "neg": ["Water is warm after two hours.", "It does not keep anything cold."],
        "neu": ["It keeps drinks cool for a few hours."],
    },
    "shave": {
        "pos": ["It gives a close, clean shave.", "Cuts smoothly without pulling."],
        "neg": ["It pulls hairs and leaves a rash.", "The blades went dull after a month."],
        "neu": ["The shave is close enough for everyday use."],
    },
    "drying": {
        "pos": ["Dries my hair in half the time.", "Powerful airflow, my hair dries fast."],
        "neg": ["It takes ages to dry my hair.", "It overheats and shuts off mid use."],
        "neu": ["Drying time is about average."],
    },
}

OPENERS = {
    5: ["Absolutely love this {p}!", "Best purchase I have made this year.", "Five stars, highly recommend.",
        "Exceeded my expectations.", "Fantastic product.", "Could not be happier with the {p}."],
    4: ["Really good {p}.", "Very happy with it overall.", "Solid product, I recommend it.",
        "Good value for the money.", "Works well."],
    3: ["It's okay.", "Decent, but nothing special.", "Average {p}.", "Mixed feelings about this one.",
        "Does the job, I guess.", "It is fine for the price."],
    2: ["Disappointed with the {p}.", "Not great.", "Expected more for the price.",
        "I would not buy it again.", "Pretty underwhelming."],
    1: ["Terrible product.", "Complete waste of money.", "Awful, do not buy.", "Worst {p} I have ever owned.",
        "Returned it after two days."],
}

# Sentences that carry their polarity through negation.
NEGATED = {
    "pos": ["Not bad at all.", "No problems so far.", "I can't complain.", "Never had a single issue with it.",
            "Not a single complaint after three months.", "Honestly, nothing to dislike.",
            "I was not disappointed."],
    "neg": ["Not worth the money.", "Would not recommend.", "Not what I expected at all.",
            "It doesn't work as advertised.", "Never again.", "I can't recommend it.",
            "Not happy with this purchase."],
}

CLOSERS = {
    5: ["Would buy again!", "Worth every penny.", "Already ordered one for my sister.", "Highly recommended."],
    4: ["Would recommend.", "Happy with the purchase.", "Four stars from me."],
    3: ["It's alright.", "Maybe buy it on sale.", "Neither great nor terrible.", "Three stars."],
    2: ["Probably returning it.", "Look elsewhere.", "Two stars because it arrived on time."],
    1: ["Save your money.", "Requested a refund.", "Customer service never replied.", "Avoid."],
}

# The air fryer's fault from 2025-10, and the power bank's firmware fix in 2025-07.
DECLINE_PRODUCT, DECLINE_FROM = "ChefPro Air Fryer", dt.date(2025, 10, 1)
DECLINE_SENTENCES = ["It stopped heating after two weeks.", "The heating element died after a month.",
                     "There is a burning plastic smell every time I use it.",
                     "The new batch is clearly worse than the one my friend bought last year.",
                     "The nonstick coating started peeling off."]
IMPROVE_PRODUCT, IMPROVE_FROM = "VoltMax Power Bank", dt.date(2025, 7, 1)
EARLY_FAULT = ["It randomly shuts off while charging.", "It overheats when charging two devices."]
LATE_FIX = ["After the firmware update it works perfectly.", "The update fixed the overheating issue."]

TYPOS = {"received": "recieved", "definitely": "definately", "disappointed": "dissapointed",
         "the": "teh", "really": "realy", "quality": "qualty", "would": "woud", "because": "becuase",
         "expected": "expectd", "recommend": "recomend", "battery": "batery", "product": "prodcut"}

STORIES = ["I bought it to replace an older one that finally gave up.", "My partner picked it after reading a lot of reviews.",
           "It was a birthday present from my brother.", "I compared three brands before choosing this one.",
           "Delivery took a week longer than promised.", "The box was dented but everything inside was fine.",
           "I contacted support once and they answered within a day.",
           "I received it two days after ordering."]

RATING_WEIGHTS = [0.10, 0.10, 0.16, 0.28, 0.36]   # stars 1..5, an ordinary skew to the positive


def short_name(product: str) -> str:
    return product.split()[-1].lower() if len(product.split()) > 1 else product.lower()


def pick_rating(rng: random.Random, product: str, day: dt.date) -> int:
    """Star rating for one review, drifting for the two products whose quality changed."""
    weights = list(RATING_WEIGHTS)
    if product == DECLINE_PRODUCT and day >= DECLINE_FROM:
        weights = [0.34, 0.24, 0.16, 0.14, 0.12]
    if product == IMPROVE_PRODUCT and day < IMPROVE_FROM:
        weights = [0.22, 0.20, 0.18, 0.22, 0.18]
    return rng.choices(range(1, 6), weights=weights)[0]


def text_rating(rng: random.Random, rating: int) -> int:
    """The rating the text is written for: as real customers do, the stars and the words often
    disagree by one (a '4' that reads like a '3'), and sometimes completely (a glowing text with
    1 star, a mistake with the scale)."""
    draw = rng.random()
    if draw < 0.25:
        return min(5, max(1, rating + rng.choice([-1, 1])))
    if draw < 0.29:
        return 6 - rating
    return rating


def aspect_sentences(rng: random.Random, aspects: list[str], rating: int, n: int) -> list[str]:
    """n aspect sentences whose polarity follows the rating; 3 and 4 stars mix polarities."""
    chosen = rng.sample(aspects, k=min(n, len(aspects)))
    polarity_odds = {5: {"pos": 1.0}, 4: {"pos": 0.75, "neu": 0.15, "neg": 0.10},
                     3: {"neu": 0.45, "pos": 0.3, "neg": 0.25}, 2: {"neg": 0.75, "neu": 0.15, "pos": 0.10},
                     1: {"neg": 1.0}}[rating]
    out = []
    for aspect in chosen:
        polarity = rng.choices(list(polarity_odds), weights=list(polarity_odds.values()))[0]
        out.append(rng.choice(ASPECTS[aspect][polarity]))
    return out


def compose(rng: random.Random, product: str, rating: int, day: dt.date) -> str:
    category, aspects, _ = PRODUCTS[product]
    p = short_name(product)
    length = rng.choices(["short", "medium", "long"], weights=[0.25, 0.5, 0.25])[0]
    if length == "short":
        pool = OPENERS[rating] + (NEGATED["pos"] if rating >= 4 else NEGATED["neg"] if rating <= 2 else [])
        return rng.choice(pool).format(p=p)
    n_aspects = 1 if length == "medium" else rng.randint(2, 3)
    parts = [rng.choice(OPENERS[rating]).format(p=p)]
    parts += aspect_sentences(rng, aspects, rating, n_aspects)
    if rating != 3 and rng.random() < 0.45:
        parts.append(rng.choice(NEGATED["pos" if rating >= 4 else "neg"]))
    if product == DECLINE_PRODUCT and day >= DECLINE_FROM and rating <= 3:
        parts.insert(1, rng.choice(DECLINE_SENTENCES))
    if product == IMPROVE_PRODUCT:
        if day < IMPROVE_FROM and rating <= 3:
            parts.insert(1, rng.choice(EARLY_FAULT))
        elif day >= IMPROVE_FROM and rating >= 4 and rng.random() < 0.4:
            parts.append(rng.choice(LATE_FIX))
    if length == "long":
        parts[1:1] = rng.sample(STORIES, k=rng.randint(1, 2))
        parts.append(f"I have used it for {rng.choice(['two weeks', 'a month', 'three months', 'half a year'])}"
                     f" {rng.choice(['at home', 'at work', 'on trips', 'every day'])}.")
        parts.append(rng.choice(CLOSERS[rating]))
    elif rng.random() < 0.5:
        parts.append(rng.choice(CLOSERS[rating]))
    return " ".join(parts)


def roughen(rng: random.Random, text: str) -> str:
    """Add what real exports carry: typos, lowercase, shouting, HTML line breaks and entities."""
    if rng.random() < 0.12:
        text = " ".join(TYPOS.get(w, w) if rng.random() < 0.5 else w for w in text.split(" "))
    if rng.random() < 0.05:
        text = text.lower()
    if rng.random() < 0.03:
        text = text.upper()
    if rng.random() < 0.06:
        text = text.replace(". ", ".<br /><br />", 1)
    if rng.random() < 0.04:
        text = text.replace("'", "&#039;").replace(" and ", " &amp; ", 1)
    if rng.random() < 0.05:
        text = text.replace(".", "!!", 1)
    return text


def generate(seed: int = SEED, n: int = N_REVIEWS) -> list[dict]:
    rng = random.Random(seed)
    names = list(PRODUCTS)
    weights = [PRODUCTS[p][2] for p in names]
    span = (END - START).days
    rows = []
    for _ in range(n):
        product = rng.choices(names, weights=weights)[0]
        day = START + dt.timedelta(days=rng.randint(0, span))
        rating = pick_rating(rng, product, day)
        text = roughen(rng, compose(rng, product, text_rating(rng, rating), day))
        rows.append({"date": day.isoformat(), "product": product, "category": PRODUCTS[product][0],
                     "rating": rating, "review": text})
    rows.sort(key=lambda r: r["date"])
    for i, row in enumerate(rows, start=1):
        row["review_id"] = f"R{i:05d}"
    return rows


def to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["review_id", "date", "product", "category", "rating", "review"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only check that --output is up to date")
    args = parser.parse_args()
    text = to_csv(generate())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python scripts/generate_sample_reviews.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} reviews to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
