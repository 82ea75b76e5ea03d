"""End to end: an IMDB-style classifier trained from raw strings.

``TextVectorization -> Embedding -> LSTM -> Dense`` in a ``Sequential``
model, fed numpy arrays (and pandas Series, and lists) of Python strings by
``fit``/``evaluate``/``predict``: the strings stay on the host, are shuffled
and batched with the labels, and become ids inside the model.
"""

import pathlib

import numpy as np
import pandas as pd
import pytest

import layerwise
from layerwise import layers

SENTIMENT_FILE = (pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "data"
                  / "sentiment_labelled_sentences" / "imdb_labelled.txt")

POSITIVE = ["great", "wonderful", "brilliant", "moving", "superb", "loved", "excellent", "charming", "fun", "best"]
NEGATIVE = ["awful", "boring", "terrible", "dull", "worst", "hated", "waste", "poor", "mess", "stupid"]
NEUTRAL = ["the", "movie", "film", "plot", "acting", "was", "a", "and", "it", "story", "cast", "really", "this",
           "director", "scenes", "music", "ending", "i", "of", "characters"]


def make_reviews(count, seed):
    """Short reviews: neutral filler with two or three words of the review's sentiment."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(count):
        label = int(rng.integers(2))
        words = list(rng.choice(NEUTRAL, size=int(rng.integers(5, 12))))
        cue = POSITIVE if label else NEGATIVE
        for word in rng.choice(cue, size=int(rng.integers(2, 4))):
            words.insert(int(rng.integers(len(words) + 1)), word)
        text = " ".join(words).capitalize() + rng.choice([".", "!", "..."])
        texts.append(text)
        labels.append(label)
    return np.array(texts, dtype=object), np.array(labels)


def classifier(vectorizer, units=16):
    return layerwise.Sequential([
        vectorizer,
        layers.Embedding(vectorizer.vocabulary_size(), units),
        layers.LSTM(units),
        layers.Dense(1, activation="sigmoid"),
    ])


def test_classifier_trains_from_raw_strings():
    layerwise.utils.set_random_seed(0)
    texts, labels = make_reviews(320, seed=0)
    test_texts, test_labels = make_reviews(200, seed=1)
    vectorizer = layers.TextVectorization(max_tokens=1000, output_sequence_length=16)
    vectorizer.adapt(texts)
    model = classifier(vectorizer)
    model.compile(optimizer=layerwise.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(texts, labels, batch_size=32, epochs=3, validation_split=0.2, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.8
    _, accuracy = model.evaluate(test_texts, test_labels, verbose=0)
    assert accuracy > 0.8  # half the reviews are positive: chance is 0.5
    # a list of new reviews, as course notebooks predict
    scores = model.predict(["A wonderful and moving film!", "What a boring, awful mess."], verbose=0)
    assert scores.shape == (2, 1)
    assert scores[0, 0] > 0.5 > scores[1, 0]
    assert model.layers[0].output.shape == (32, 16)  # built by the first batch of 32, as Keras records it
    vocabulary = vectorizer.vocabulary_size()
    assert model.count_params() == vocabulary * 16 + 4 * (16 * 16 + 16 * 16 + 16) + 17


def test_bag_of_words_model_on_real_reviews_from_a_pandas_frame():
    layerwise.utils.set_random_seed(0)
    lines = [line for line in SENTIMENT_FILE.read_text(encoding="utf-8").split("\n") if line.strip()]
    frame = pd.DataFrame([line.rsplit("\t", 1) for line in lines], columns=["review", "label"])
    frame["label"] = frame["label"].astype(int)
    assert len(frame) == 1000 and frame["label"].mean() == 0.5
    train, test = frame.iloc[:800], frame.iloc[800:]
    vectorizer = layers.TextVectorization(max_tokens=2000, output_mode="multi_hot")
    vectorizer.adapt(train["review"])
    model = layerwise.Sequential([vectorizer, layers.Dense(16, activation="relu"),
                                  layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=layerwise.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(train["review"], train["label"], batch_size=32, epochs=3, verbose=0)
    _, accuracy = model.evaluate(test["review"], test["label"], verbose=0)
    assert accuracy > 0.68  # half the reviews are positive: clearly above chance


def test_text_data_errors_at_the_model_boundary():
    texts, labels = make_reviews(64, seed=2)
    vectorizer = layers.TextVectorization(output_mode="multi_hot")
    vectorizer.adapt(texts)
    model = layerwise.Sequential([vectorizer, layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(texts, labels, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"input holds a missing value \(None\) at index \(1,\)"):
        model.predict(np.array(["great", None], dtype=object), verbose=0)
    with pytest.raises(ValueError, match=r"^y holds <U3 values; layerwise needs numbers"):
        model.fit(texts[:2], np.array(["pos", "neg"]), verbose=0)
