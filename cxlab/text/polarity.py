"""Polarity of comments learned from the survey's own scores, validated on held-out answers.

Answers whose score is clearly positive (NPS 9-10, CSAT or 5-point recommend 4-5) or clearly
negative (NPS 0-6, CSAT or recommend 1-2) label their comments; a logistic regression on
TF-IDF of lemma unigrams and bigrams (negation kept: "not fast" is its own feature) and of
character 2-4-grams learns which words go with which. A random ``test_share`` of the labelled
comments is held out: accuracy and the area under the ROC curve (AUC) on them say how far the
polarity can be trusted. No pretrained model is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from cxlab.text.normalise import detect_language, lemmatise

__all__ = ["PolarityModel", "fit_polarity", "polarity_labels"]

SCALES = {"nps": (6, 9), "csat": (2, 4), "recommend5": (2, 4)}


def polarity_labels(scores, scale: str) -> pd.Series:
    """1 for a clearly positive score, 0 for a clearly negative one, missing otherwise.

    Parameters
    ----------
    scores : sequence of float
    scale : {"nps", "csat", "recommend5"}

    Returns
    -------
    pandas.Series of float

    Examples
    --------
    >>> polarity_labels([0, 6, 7, 8, 9, 10], "nps").tolist()
    [0.0, 0.0, nan, nan, 1.0, 1.0]
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, not {scale!r}")
    low, high = SCALES[scale]
    s = pd.Series(scores, dtype=float)
    return pd.Series(np.where(s >= high, 1.0, np.where(s <= low, 0.0, np.nan)), index=s.index)


@dataclass
class PolarityModel:
    """A fitted polarity model and its held-out accuracy.

    Attributes
    ----------
    accuracy_ : float
        Share of held-out comments whose polarity is predicted right (threshold 0.5).
    auc_ : float
        Area under the ROC curve on the held-out comments.
    n_train_, n_test_ : int
        Labelled comments used to fit and to test.
    """

    words: TfidfVectorizer
    chars: TfidfVectorizer
    classifier: LogisticRegression
    accuracy_: float
    auc_: float
    n_train_: int
    n_test_: int

    def _features(self, lemmas: pd.Series):
        return sp.hstack([self.words.transform(lemmas), self.chars.transform(lemmas)]).tocsr()

    def predict_proba(self, texts, languages=None) -> pd.Series:
        """Probability that each comment is positive.

        Parameters
        ----------
        texts : sequence of str or pandas.Series
        languages : sequence of str, optional

        Returns
        -------
        pandas.Series of float
        """
        series = pd.Series(texts) if not isinstance(texts, pd.Series) else texts
        lemmas = lemmatise(series, detect_language(series) if languages is None else languages)
        codes, uniques = pd.factorize(lemmas)
        proba = self.classifier.predict_proba(self._features(pd.Series(uniques)))[:, 1]
        return pd.Series(proba[codes], index=series.index, name="positive_probability")


def fit_polarity(texts, scores, *, scale: str = "nps", test_share: float = 0.2, seed: int = 0,
                 languages=None, max_fit_comments: int = 100_000) -> PolarityModel:
    """Learn comment polarity from the scores given with the comments.

    Parameters
    ----------
    texts : sequence of str or pandas.Series
        Comments.
    scores : sequence of float
        The score answered with each comment.
    scale : {"nps", "csat", "recommend5"}
    test_share : float, default 0.2
        Labelled comments held out to validate.
    seed : int
    languages : sequence of str, optional
    max_fit_comments : int, default 100,000
        Labelled comments used at most (a seeded random sample of them beyond that): the accuracy
        of a bag-of-words model stops growing long before, its fitting time does not.

    Returns
    -------
    PolarityModel

    Raises
    ------
    ValueError
        When fewer than 20 comments of each polarity carry a score.
    """
    series = pd.Series(list(texts), dtype=object)
    label = polarity_labels(list(scores), scale)
    keep = label.notna().to_numpy() & series.notna().to_numpy() & series.astype(str).str.strip().ne("").to_numpy()
    if keep.sum() > max_fit_comments:
        sampled = np.random.default_rng(seed).choice(np.flatnonzero(keep), max_fit_comments, replace=False)
        keep = np.zeros(len(keep), dtype=bool)
        keep[sampled] = True
    y = label[keep].to_numpy(dtype=int)
    if min(np.sum(y == 1), np.sum(y == 0)) < 20:
        raise ValueError("polarity needs at least 20 comments with a clearly positive and 20 with a clearly "
                         f"negative score; found {int(np.sum(y == 1))} and {int(np.sum(y == 0))}")
    text = series[keep].astype(str).reset_index(drop=True)
    langs = detect_language(text) if languages is None else pd.Series(np.asarray(list(languages))[keep])
    lemmas = lemmatise(text, langs)
    test = np.random.default_rng(seed).random(len(y)) < test_share
    words = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                            dtype=np.float32)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, max_features=50_000, sublinear_tf=True,
                            dtype=np.float32)
    train_x = sp.hstack([words.fit_transform(lemmas[~test]), chars.fit_transform(lemmas[~test])]).tocsr()
    classifier = LogisticRegression(C=4.0, max_iter=1000, class_weight="balanced").fit(train_x, y[~test])
    model = PolarityModel(words, chars, classifier, float("nan"), float("nan"), int((~test).sum()), int(test.sum()))
    if test.sum() and len(np.unique(y[test])) == 2:
        proba = classifier.predict_proba(model._features(lemmas[test]))[:, 1]
        model.accuracy_ = float(np.mean((proba >= 0.5) == y[test]))
        model.auc_ = float(roc_auc_score(y[test], proba))
    return model
