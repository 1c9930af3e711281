"""Themes: recovery of the demo world's true themes per language, assignment without refitting, dictionaries."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from cxlab import synth, synth_comments
from cxlab.text import ThemeModel, find_themes, load_theme_dictionary
from cxlab.text.themes import widest_gap_cut


@pytest.fixture(scope="module")
def demo():
    world = synth.simulate()
    answered = world.surveys[world.surveys["comment"].notna()][["invitation_id", "comment", "customer_id",
                                                                "touchpoint", "responded_at", "nps"]]
    truth = answered.merge(world.comment_themes, on="invitation_id")
    model = find_themes(truth["comment"], seed=0)
    return world, truth, model


def _f1(model, truth, language):
    rows = (truth["language"] == language).to_numpy()
    found = model.mentions_.to_numpy(dtype=bool)[rows]
    out = {}
    for theme in synth_comments.THEMES:
        true = ((truth["theme"] == theme) | (truth["second_theme"] == theme)).to_numpy()[rows]
        f1 = 2 * (found & true[:, None]).sum(axis=0) / (found.sum(axis=0) + true.sum())
        out[theme] = float(f1.max())
    return out


def test_every_true_english_theme_is_found(demo):
    _, truth, model = demo
    f1 = _f1(model, truth, "en")
    assert min(f1.values()) >= 0.8, f1


def test_every_true_russian_theme_is_found(demo):
    _, truth, model = demo
    f1 = _f1(model, truth, "ru")
    assert min(f1.values()) >= 0.8, f1


def test_the_merge_cut_is_chosen_by_the_data_between_theme_and_cross_theme_merges(demo):
    # groups of one demo theme merge at similarities of 0.24 and above, different themes below 0.06
    _, _, model = demo
    assert 0.06 < model.merge_similarity_["en"] < 0.24
    assert 0.06 < model.merge_similarity_["ru"] < 0.24


def test_widest_gap_cut_by_hand():
    # merges at 0.5, 0.45, 0.4 (one theme) and 0.1 (two themes): the widest log-gap is 0.4 -> 0.1,
    # cut at their geometric mean sqrt(0.04) = 0.2; merges outside the bounds (0.05, 0.6) do not count
    assert widest_gap_cut([0.9, 0.5, 0.45, 0.4, 0.1, 0.08]) == pytest.approx(0.2)
    # the upper bound counts as a merge; the lower one (0.05) too when a merge happens below it
    assert widest_gap_cut([0.59, 0.58, 0.01]) == pytest.approx((0.58 * 0.05) ** 0.5, abs=1e-4)
    assert widest_gap_cut([0.3, 0.2, 0.19]) == pytest.approx((0.6 * 0.3) ** 0.5, abs=1e-4)


def test_off_topic_comments_stay_unassigned(demo):
    _, truth, model = demo
    off = (truth["theme"].isna() & (truth["language"] == "en")).to_numpy()
    assert np.mean(model.labels_[off] == -1) >= 0.9


def test_themes_table_is_labelled_with_terms_and_three_scrubbed_quotes(demo):
    _, _, model = demo
    themes = model.themes_
    assert list(themes.columns) == ["theme", "label", "language", "source", "top_terms", "key_phrases", "size",
                                    "share", "quotes"]
    assert set(themes["language"]) >= {"en", "ru"}
    english = themes[themes["language"] == "en"]
    assert english["quotes"].map(len).eq(3).mean() >= 0.9
    quotes = [q for qs in themes["quotes"] for q in qs]
    assert not any("@example" in q or "7946 0958" in q for q in quotes)
    assert all(len(q) <= 300 for q in quotes)


def test_new_comments_are_assigned_like_the_fitted_ones_and_faster_than_refitting(demo):
    _, truth, model = demo
    sample = truth["comment"]
    start = time.perf_counter()
    assigned = model.assign(sample)
    seconds = time.perf_counter() - start
    assert (assigned.to_numpy() == model.labels_).mean() > 0.999
    start = time.perf_counter()
    find_themes(sample, seed=1)
    assert seconds < time.perf_counter() - start


def test_comments_are_lemmatised_once_for_the_models_life(demo, monkeypatch):
    from cxlab.text import themes

    _, truth, model = demo
    lemmatised = []
    original = themes._lemmatise_sentences
    monkeypatch.setattr(themes, "_lemmatise_sentences",
                        lambda texts, languages: lemmatised.append(len(texts)) or original(texts, languages))
    pd.testing.assert_frame_equal(model.mentions(truth["comment"]), model.mentions_)
    assert lemmatised == []  # the fitted comments were all prepared by the fit
    new = pd.Series(["Delivery was late again.", "Delivery was late again.", truth["comment"].iloc[0]])
    fresh = model.mentions(new)
    assert lemmatised == [1]  # the one new distinct comment
    assert fresh.iloc[2].equals(model.mentions_.iloc[0].rename(2))


def test_a_fit_on_distinct_sentences_with_weights_is_the_fit_on_every_sentence():
    # the weighted fit must choose the vocabulary (min_df, max_df, max_features) and the inverse
    # document frequencies as sklearn does on the repeated sentences, and give the same rows
    from cxlab.text.themes import _fit_weighted

    rng = np.random.default_rng(4)
    words = "good service slow delivery support waited days invoice wrong price friendly staff".split()
    distinct = list(dict.fromkeys(" ".join(rng.choice(words, rng.integers(1, 6))) for _ in range(300)))
    weight = rng.integers(1, 30, len(distinct)).astype(float)
    repeated = pd.Series(np.repeat(np.array(distinct, dtype=object), weight.astype(int)))
    model = ThemeModel()
    for which in (0, 1):  # word n-grams (min_df, max_df), character n-grams (max_features too)
        reference, weighted = model._vectorisers(len(repeated))[which], model._vectorisers(len(repeated))[which]
        if which == 1:  # a limit between two different totals (sklearn breaks ties at the limit arbitrarily)
            totals = np.sort(CountVectorizer(analyzer=reference.build_analyzer()).fit_transform(repeated)
                             .sum(axis=0).A1)[::-1]
            limit = 100 + int(np.flatnonzero(totals[99:-1] > totals[100:])[0])
            reference.set_params(max_features=limit)
            weighted.set_params(max_features=limit)
        reference.fit(repeated)
        rows = _fit_weighted(weighted, pd.Series(distinct, dtype=object), weight)
        assert list(weighted.get_feature_names_out()) == list(reference.get_feature_names_out())
        assert len(reference.vocabulary_) > 100
        np.testing.assert_allclose(rows.toarray(), reference.transform(pd.Series(distinct)).toarray(), atol=1e-6)


def test_n_themes_given_and_reproducible():
    rng = np.random.default_rng(0)
    theme = rng.integers(0, 8, 3000)
    texts = synth_comments.comment_texts(rng, np.zeros(3000, dtype=int), theme)["comment"]
    a = find_themes(texts, n_themes=8, seed=3)
    b = find_themes(texts, n_themes=8, seed=3)
    assert (a.labels_ == b.labels_).all()
    assert (a.themes_["language"] == "en").sum() <= 8


def test_dictionary_themes_combine_with_found_ones():
    dictionary = load_theme_dictionary("""
invoices:
  en: [invoice, billing]
  ru: [счёт]
price: [price increase, цена]
""")
    assert dictionary["price"] == {"*": ["price increase", "цена"]}
    texts = pd.Series(["The invoices are wrong", "В счетах ошибки", "The price increase is too much",
                       "Цены выросли", "Late delivery again"] * 30)
    model = ThemeModel(dictionary=dictionary, min_comments=10).fit(texts)
    defined = model.themes_[model.themes_["source"] == "dictionary"].set_index("label")
    flags = model.mentions_
    assert flags[defined.loc["invoices", "theme"]].tolist()[:5] == [True, True, False, False, False]
    assert flags[defined.loc["price", "theme"]].tolist()[:5] == [False, False, True, True, False]
    assert defined.loc["invoices", "size"] == 60


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="n_themes"):
        ThemeModel(n_themes="many")
    with pytest.raises(ValueError, match="merge_similarity"):
        ThemeModel(merge_similarity=1.5)
    with pytest.raises(ValueError, match="keywords per language"):
        load_theme_dictionary("- just a list")
    with pytest.raises(ValueError, match="not fitted"):
        ThemeModel().assign(["x"])
    empty = find_themes(["", None, "ok", "👍"])
    assert empty.themes_.empty and (empty.labels_ == -1).all()
