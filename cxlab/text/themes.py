"""Themes in comments: found from the data per language, combined with a team's theme dictionary.

:func:`find_themes` fits a :class:`ThemeModel`. Comments are split into sentences and
lemmatised (:mod:`cxlab.text.normalise`, personal data removed first): a comment that mixes two
themes usually does so in two sentences, so themes are found on sentences and a comment's
similarity to a theme is that of its closest sentence. Sentences are described by TF-IDF on
lemma unigrams and bigrams plus character 3-5-grams of the lemmas (which tie typos such as
"frindly" to "friendly"). Each distinct sentence is vectorised and clustered once, weighted by
how many times it is written, which is the fit on every sentence at the cost of the distinct
ones. Each language with enough comments gets its own themes:

``method="kmeans"`` (default)
    Spherical k-means cuts the sentences into many small groups (``over_clusters``); groups
    whose word profiles (the share of their sentences using each word) point the same way are
    merged (average linkage on cosine distance), so that different phrasings of one theme
    ("support needs days", "waited for a support reply") join. With ``merge_similarity="auto"``
    the dendrogram is cut in its widest gap on a log scale (:func:`widest_gap_cut`): on the demo
    world the groups of one theme merge at similarities of 0.24 and more and different themes
    below 0.05, and the cut falls between (0.08 in English, 0.10 in Russian); a float fixes the
    cut. Groups smaller than ``min_theme_share`` of the sentences are dropped; the number of
    themes is what remains (or ``n_themes`` when given).
``method="nmf"``
    Non-negative matrix factorisation; with ``n_themes="auto"`` the number of themes is the
    largest whose topics reproduce on two random 80% subsamples (every matched pair of topic
    vectors with cosine >= 0.9; Greene, O'Callaghan & Cunningham 2014).

A comment belongs to the theme whose centre is most similar (cosine) when that similarity
is at least ``min_similarity``; otherwise it stays unassigned (-1). A comment that mixes two
themes mentions both (:meth:`ThemeModel.mentions`). New comments are assigned to the fitted
themes without refitting (:meth:`ThemeModel.assign`), each distinct text once.

Dictionary themes (:func:`load_theme_dictionary`) are keywords per theme and language; their
lemmas are matched as whole words or phrases and they are added to the found themes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from cxlab.patterns import first_rows, identical_rows
from cxlab.text.normalise import MAX_MODEL_CHARS, detect_language, lemmatise
from cxlab.text.pii import scrub_pii

__all__ = ["ThemeModel", "find_themes", "load_theme_dictionary", "widest_gap_cut"]

CHAR_WEIGHT = 0.7
QUOTE_CHARS = 300
N_QUOTES = 3
N_TOP_TERMS = 8
NMF_CANDIDATES = tuple(range(4, 31, 2))
NMF_STABLE = 0.9
SENTENCE_SEPARATOR = "\n"
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
MERGE_RANGE = (0.05, 0.6)


def load_theme_dictionary(source) -> dict[str, dict[str, list[str]]]:
    """Read a theme dictionary: theme -> language -> keywords (words or phrases).

    Parameters
    ----------
    source : str, pathlib.Path or dict
        A YAML file, YAML text, or the mapping itself, shaped ``{theme: {en: [...], ru: [...]}}``
        (a plain list of keywords applies to every language).

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        When the shape is not a mapping of themes to keyword lists.

    Examples
    --------
    >>> load_theme_dictionary("invoices:\\n  en: [invoice, billing]\\n  ru: [счёт]")
    {'invoices': {'en': ['invoice', 'billing'], 'ru': ['счёт']}}
    """
    if isinstance(source, dict):
        raw = source
    else:
        text = str(source)
        path = Path(text) if "\n" not in text and len(text) < 4096 else None
        raw = yaml.safe_load(path.read_text(encoding="utf-8") if path is not None and path.is_file() else text)
    if not isinstance(raw, dict):
        raise ValueError("a theme dictionary maps each theme to keywords per language, e.g. "
                         "{'invoices': {'en': ['invoice'], 'ru': ['счёт']}}")
    out = {}
    for theme, words in raw.items():
        per_language = words if isinstance(words, dict) else {"*": words}
        if not all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in per_language.values()):
            raise ValueError(f"theme {theme!r}: keywords must be lists of words or phrases per language")
        out[str(theme)] = {str(lang): list(v) for lang, v in per_language.items()}
    return out


@dataclass
class _LanguageThemes:
    """The themes of one language: vectorisers and theme centres."""

    language: str
    words: TfidfVectorizer
    chars: TfidfVectorizer
    centres: np.ndarray
    ids: np.ndarray
    top_terms: list = field(default_factory=list)

    def features(self, sentences: pd.Series) -> sp.csr_matrix:
        return _features(self.words, self.chars, sentences)

    def similarity(self, lemmas: pd.Series) -> np.ndarray:
        """Cosine similarity of each comment to each theme: that of its closest sentence."""
        sentences, owner = _sentences(lemmas)
        if not len(sentences):
            return np.zeros((len(lemmas), len(self.ids)))
        codes, distinct = pd.factorize(sentences)  # a sentence many comments share is vectorised once
        per_sentence = np.asarray(self.features(pd.Series(distinct, dtype=object)) @ self.centres.T)[codes]
        out = np.zeros((len(lemmas), len(self.ids)), dtype=per_sentence.dtype)
        np.maximum.at(out, owner, per_sentence)
        return out


def _features(words: TfidfVectorizer, chars: TfidfVectorizer, sentences: pd.Series) -> sp.csr_matrix:
    return normalize(sp.hstack([words.transform(sentences), CHAR_WEIGHT * chars.transform(sentences)]).tocsr())


def _sentences(lemmas: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The non-empty sentences of each comment's lemmas and the position of the comment of each."""
    parts = pd.Series(lemmas.to_numpy(), dtype=object).str.split(SENTENCE_SEPARATOR).explode()
    parts = parts[parts.notna() & (parts != "")]
    return parts.reset_index(drop=True), parts.index.to_numpy()


def _fit_weighted(vectoriser: TfidfVectorizer, docs: pd.Series, weight: np.ndarray) -> sp.csr_matrix:
    """Fit ``vectoriser`` on distinct documents as if each were written ``weight`` times; their TF-IDF rows.

    The vocabulary (``min_df``, ``max_df``, ``max_features``) and the inverse document frequencies
    count every repetition, as a fit on the repeated documents would.

    Raises
    ------
    ValueError
        When no term is frequent enough.
    """
    counter = CountVectorizer(analyzer=vectoriser.build_analyzer())
    counts = counter.fit_transform(docs)
    n_docs = weight.sum()
    frequency = (counts > 0).T.astype(np.float64) @ weight  # documents with each term, repetitions counted
    total = counts.T.astype(np.float64) @ weight  # uses of each term
    low, high = vectoriser.min_df, vectoriser.max_df
    low = low if isinstance(low, int) else low * n_docs
    high = high if isinstance(high, int) else high * n_docs
    keep = np.flatnonzero((frequency >= low) & (frequency <= high))
    if vectoriser.max_features is not None:
        keep = keep[np.argsort(-total[keep], kind="stable")[: vectoriser.max_features]]
    if keep.size == 0:
        raise ValueError("no term is frequent enough")
    terms = counter.get_feature_names_out()
    keep = keep[np.argsort(terms[keep], kind="stable")]  # alphabetical, as a fitted vectoriser orders them
    vectoriser.set_params(vocabulary=terms[keep].tolist()).fit(docs)
    vectoriser.idf_ = (np.log((1 + n_docs) / (1 + frequency[keep])) + 1).astype(vectoriser.dtype)
    return vectoriser.transform(docs)


class ThemeModel:
    """Themes found in comments, plus dictionary themes; assigns new comments without refitting.

    Parameters
    ----------
    n_themes : "auto" or int
        Themes per language ("auto": chosen by the data, see the module docstring).
    method : {"kmeans", "nmf"}
    seed : int
    dictionary : dict, str or pathlib.Path, optional
        Team-defined themes (:func:`load_theme_dictionary`).
    min_comments : int
        Languages with fewer comments with content words get no found themes.
    max_fit_comments : int
        Comments per language sampled for fitting (assignment uses all).
    over_clusters : int
        Groups cut before merging (``method="kmeans"``).
    merge_similarity : "auto" or float
        Cosine above which groups merge (``method="kmeans"``); "auto" cuts the dendrogram in its
        widest gap (:func:`widest_gap_cut`), chosen per language.
    min_theme_share : float
        Smallest theme, as a share of the language's fitted sentences.
    min_similarity : float
        Least cosine similarity to a theme's centre for a comment to belong to it.

    Attributes
    ----------
    labels_ : numpy.ndarray
        Theme id of each fitted comment, -1 when none.
    mentions_ : pandas.DataFrame
        One boolean column per theme id: the comment mentions the theme.
    themes_ : pandas.DataFrame
        ``theme`` (id), ``label``, ``language``, ``source`` ("found" or "dictionary"),
        ``top_terms``, ``key_phrases``, ``size`` (comments mentioning it), ``share`` (of the
        comments), ``quotes`` (three representative comments, personal data removed).
    languages_ : pandas.Series
        Detected language of each fitted comment.
    merge_similarity_ : dict
        The merge cut used per language (``method="kmeans"`` with ``n_themes="auto"``).
    """

    def __init__(self, n_themes="auto", *, method: str = "kmeans", seed: int = 0, dictionary=None,
                 min_comments: int = 50, max_fit_comments: int = 50_000, over_clusters: int = 60,
                 merge_similarity="auto", min_theme_share: float = 0.003, min_similarity: float = 0.2):
        if method not in ("kmeans", "nmf"):
            raise ValueError(f"method must be 'kmeans' or 'nmf', not {method!r}")
        if n_themes != "auto" and (not isinstance(n_themes, int) or n_themes < 1):
            raise ValueError(f"n_themes must be 'auto' or a positive whole number, not {n_themes!r}")
        if merge_similarity != "auto" and not (isinstance(merge_similarity, int | float) and 0 < merge_similarity < 1):
            raise ValueError(f"merge_similarity must be 'auto' or a number between 0 and 1, not {merge_similarity!r}")
        self.n_themes = n_themes
        self.method = method
        self.seed = seed
        self.dictionary = load_theme_dictionary(dictionary) if dictionary is not None else {}
        self.min_comments = min_comments
        self.max_fit_comments = max_fit_comments
        self.over_clusters = over_clusters
        self.merge_similarity = merge_similarity
        self.min_theme_share = min_theme_share
        self.min_similarity = min_similarity
        self._prepared: dict[str, tuple[str, str]] = {}  # text (and language) -> (language, lemmas)

    # ------------------------------------------------------------------ fitting
    def fit(self, texts, languages=None) -> ThemeModel:
        """Find the themes of a corpus.

        Parameters
        ----------
        texts : sequence of str or pandas.Series
            Comments (missing or empty allowed; they stay unassigned).
        languages : sequence of str, optional
            Language of each comment (default :func:`cxlab.text.detect_language`).

        Returns
        -------
        ThemeModel
            ``self``, fitted.
        """
        texts = _series(texts)
        langs, lemmas = self._prepare(texts, languages)
        rng = np.random.default_rng(self.seed)
        self._models: list[_LanguageThemes] = []
        self.merge_similarity_: dict[str, float] = {}
        next_id = 0
        for language in ("en", "ru", "de"):
            docs = lemmas[(langs == language).to_numpy() & (lemmas != "").to_numpy()]
            if len(docs) < self.min_comments:
                continue
            sample = docs.iloc[rng.permutation(len(docs))[: self.max_fit_comments]]
            model = self._fit_language(language, sample, next_id)
            if model is not None:
                self._models.append(model)
                next_id += len(model.ids)
        self._dictionary_patterns = self._compile_dictionary(next_id)
        scores = self._scores(lemmas, langs)
        self.labels_, self.mentions_ = scores
        self.languages_ = langs
        self.themes_ = self._describe(texts, lemmas, langs)
        return self

    def _prepare(self, texts: pd.Series, languages) -> tuple[pd.Series, pd.Series]:
        """Language and lemmas of each comment, computed once per distinct text (and language) for the model's life.

        Assigning comments the model was fitted on (the usual next step) finds them all prepared.
        """
        given = pd.Series(list(languages), index=texts.index, dtype=object) if languages is not None else None
        keys = texts if given is None else texts + "\x00" + given.astype(str)
        codes, uniques = pd.factorize(keys)
        new = np.flatnonzero([key not in self._prepared for key in uniques])
        if new.size:
            first = first_rows(codes)[new]
            scrubbed = scrub_pii(texts.iloc[first].reset_index(drop=True))
            langs = detect_language(scrubbed) if given is None else given.iloc[first].reset_index(drop=True)
            lemmas = _lemmatise_sentences(scrubbed, langs)
            self._prepared.update(zip(uniques[new], zip(langs.astype(str), lemmas, strict=True), strict=True))
        prepared = [self._prepared[key] for key in uniques]
        langs = np.array([language for language, _ in prepared], dtype=object)
        lemmas = np.array([lemma for _, lemma in prepared], dtype=object)
        return pd.Series(langs[codes], index=texts.index), pd.Series(lemmas[codes], index=texts.index)

    def _vectorisers(self, n_docs: int) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        min_df = max(3, int(0.0005 * n_docs))
        words = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), min_df=min_df, max_df=0.8,
                                sublinear_tf=True, dtype=np.float32)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=min_df, max_features=20_000,
                                sublinear_tf=True, dtype=np.float32)
        return words, chars

    def _fit_language(self, language: str, docs: pd.Series, first_id: int) -> _LanguageThemes | None:
        # each distinct sentence once, weighted by how often it is written: the fit is that on every
        # sentence, at the cost of the distinct ones (short comments repeat a lot)
        codes, distinct = pd.factorize(_sentences(docs)[0])
        weight = np.bincount(codes).astype(np.float64)
        distinct = pd.Series(distinct, dtype=object)
        words, chars = self._vectorisers(len(codes))
        try:
            x_words = _fit_weighted(words, distinct, weight)
            x = normalize(sp.hstack([x_words, CHAR_WEIGHT * _fit_weighted(chars, distinct, weight)]).tocsr())
        except ValueError:  # no term frequent enough
            return None
        present = x.getnnz(axis=1) > 0
        x, x_words, weight = x[present], x_words[present], weight[present]
        if weight.sum() < self.min_comments:
            return None
        unigrams = np.flatnonzero([" " not in term for term in words.get_feature_names_out()])
        centres = (self._kmeans_centres(language, x, x_words[:, unigrams], weight) if self.method == "kmeans"
                   else self._nmf_centres(x[np.repeat(np.arange(x.shape[0]), weight.astype(np.int64))]))
        if len(centres) == 0:
            return None
        similarity = np.asarray(x @ centres.T)
        near = similarity.max(axis=1) >= self.min_similarity
        size = np.bincount(similarity.argmax(axis=1)[near], weights=weight[near], minlength=len(centres))
        centres = centres[np.argsort(-size, kind="stable")]
        model = _LanguageThemes(language, words, chars, centres, first_id + np.arange(len(centres)))
        vocabulary = words.get_feature_names_out()
        word_part = centres[:, : len(vocabulary)]
        model.top_terms = [vocabulary[np.argsort(-row, kind="stable")[:N_TOP_TERMS]].tolist() for row in word_part]
        return model

    def _kmeans_centres(self, language: str, x: sp.csr_matrix, x_words: sp.csr_matrix,
                        weight: np.ndarray) -> np.ndarray:
        """Theme centres from distinct sentences ``x``, each written ``weight`` times."""
        n_sentences = weight.sum()
        n_groups = min(self.over_clusters, max(2, int(n_sentences) // 20), x.shape[0])
        km = MiniBatchKMeans(n_groups, random_state=self.seed, n_init=3, batch_size=4096).fit(x, sample_weight=weight)
        labels = np.unique(km.labels_, return_inverse=True)[1]  # occupied groups only
        n_groups = int(labels.max()) + 1
        # groups merge on the words most of their sentences use (share of sentences with each word),
        # so "support needs days" and "waited for a support reply" join while their spellings differ
        member = sp.csr_matrix((weight, (labels, np.arange(x.shape[0]))), shape=(n_groups, x.shape[0]))
        profile = np.asarray((member @ (x_words > 0).astype(np.float32)).todense()) / np.asarray(member.sum(axis=1))
        profiles = normalize(profile + 1e-6)  # a group whose sentences have no frequent word stays apart
        if n_groups == 1:
            group = np.zeros(1, dtype=np.int64)
        else:
            tree = linkage(profiles, method="average", metric="cosine")
            if self.n_themes != "auto":
                group = fcluster(tree, min(self.n_themes, n_groups), criterion="maxclust") - 1
            else:
                cut = self.merge_similarity if self.merge_similarity != "auto" else widest_gap_cut(1 - tree[:, 2])
                self.merge_similarity_[language] = cut
                group = fcluster(tree, 1 - cut, criterion="distance") - 1
        group = group[labels]
        sizes = np.bincount(group, weights=weight)
        # a theme is said in more than one way ("asdf" repeated is not one): two distinct sentences at least
        distinct = np.bincount(group, minlength=sizes.size)
        keep = np.flatnonzero((sizes >= max(5, self.min_theme_share * n_sentences)) & (distinct >= 2))
        indicator = sp.csr_matrix((weight, (group, np.arange(x.shape[0]))), shape=(sizes.size, x.shape[0]))
        if keep.size == 0:
            return np.zeros((0, x.shape[1]))
        return normalize(np.asarray((indicator @ x)[keep].todense()))

    def _nmf_centres(self, x: sp.csr_matrix) -> np.ndarray:
        k = self.n_themes if self.n_themes != "auto" else self._stable_k(x)
        model = NMF(min(k, min(x.shape) - 1), init="nndsvda", random_state=self.seed, max_iter=400, tol=1e-4)
        return normalize(model.fit(x).components_)

    def _stable_k(self, x: sp.csr_matrix) -> int:
        rng = np.random.default_rng(self.seed)
        parts = [rng.random(x.shape[0]) < 0.8 for _ in range(2)]
        best = NMF_CANDIDATES[0]
        for k in NMF_CANDIDATES:
            if k >= min(x.shape) // 2:
                break
            tops = [normalize(NMF(k, init="nndsvda", random_state=self.seed, max_iter=300, tol=1e-4)
                              .fit(x[part]).components_) for part in parts]
            similarity = tops[0] @ tops[1].T
            rows, cols = linear_sum_assignment(-similarity)
            if similarity[rows, cols].min() >= NMF_STABLE:
                best = k
        return best

    def _compile_dictionary(self, first_id: int) -> list[tuple[int, str, re.Pattern]]:
        patterns = []
        for i, (theme, per_language) in enumerate(self.dictionary.items()):
            phrases = set()
            for language, keywords in per_language.items():
                langs = ["en", "ru", "de"] if language == "*" else [language]
                for lang in langs:
                    phrases |= {p for p in lemmatise(keywords, [lang] * len(keywords), max_chars=None) if p}
            if phrases:
                alternation = "|".join(sorted((re.escape(p) for p in phrases), key=len, reverse=True))
                patterns.append((first_id + i, theme, re.compile(rf"(?:^|\s)(?:{alternation})(?:\s|$)")))
        return patterns

    # ------------------------------------------------------------------ assignment
    def _scores(self, lemmas: pd.Series, langs: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
        """Labels and mention flags, computed once per distinct (lemmas, language)."""
        lemma_values, lang_values = lemmas.to_numpy(), langs.to_numpy()
        codes = identical_rows([lemma_values, lang_values], len(lemma_values))  # 8x faster than pairs of text
        first = first_rows(codes)
        u_lemmas = pd.Series(lemma_values[first], dtype=object)
        u_langs = lang_values[first]
        n_found = sum(len(m.ids) for m in self._models)
        similarity = np.zeros((len(first), n_found), dtype=np.float32)
        for model in self._models:
            rows = np.flatnonzero(((u_langs == model.language) | (u_langs == "mixed")) & (u_lemmas != "").to_numpy())
            if rows.size:
                similarity[np.ix_(rows, model.ids)] = model.similarity(u_lemmas.iloc[rows])
        best = similarity.max(axis=1) if n_found else np.zeros(len(first))
        label = np.where(best >= self.min_similarity, similarity.argmax(axis=1) if n_found else -1, -1)
        mentions = similarity >= np.maximum(self.min_similarity, 0.6 * best)[:, None]
        columns = {int(i): mentions[:, i] for i in range(n_found)}
        for theme_id, _, pattern in self._dictionary_patterns:
            hit = u_lemmas.str.contains(pattern).to_numpy()
            columns[theme_id] = hit
            label = np.where((label < 0) & hit, theme_id, label)
        flags = pd.DataFrame(columns, index=range(len(first)), dtype=bool)
        out = flags.iloc[codes].reset_index(drop=True)
        out.index = lemmas.index
        return label[codes], out

    def _check_fitted(self) -> None:
        if not hasattr(self, "themes_"):
            raise ValueError("this ThemeModel is not fitted yet; call fit(texts) first")

    def assign(self, texts, languages=None) -> pd.Series:
        """The theme of each new comment (-1: none), using the fitted themes.

        Parameters
        ----------
        texts : sequence of str or pandas.Series
        languages : sequence of str, optional

        Returns
        -------
        pandas.Series of int
            Aligned with ``texts``.
        """
        self._check_fitted()
        texts = _series(texts)
        langs, lemmas = self._prepare(texts, languages)
        return pd.Series(self._scores(lemmas, langs)[0], index=texts.index, name="theme")

    def mentions(self, texts, languages=None) -> pd.DataFrame:
        """Which fitted themes each new comment mentions (one boolean column per theme id).

        Parameters
        ----------
        texts : sequence of str or pandas.Series
        languages : sequence of str, optional

        Returns
        -------
        pandas.DataFrame
        """
        self._check_fitted()
        texts = _series(texts)
        langs, lemmas = self._prepare(texts, languages)
        return self._scores(lemmas, langs)[1]

    # ------------------------------------------------------------------ description
    def _describe(self, texts: pd.Series, lemmas: pd.Series, langs: pd.Series) -> pd.DataFrame:
        rows = []
        n = max(len(texts), 1)
        lengths = texts.str.len().to_numpy(dtype=float)  # once: each theme's quotes rank on them
        for model in self._models:
            similarity = np.zeros(len(texts))
            rows_lang = np.flatnonzero((langs == model.language).to_numpy())
            codes, uniques = pd.factorize(lemmas.iloc[rows_lang])  # each distinct comment once
            sims = model.similarity(pd.Series(uniques, dtype=object))[codes] if rows_lang.size else np.zeros(
                (0, len(model.ids)))
            for j, theme_id in enumerate(model.ids):
                similarity[:] = -1.0
                similarity[rows_lang] = sims[:, j]
                members = self.mentions_[theme_id].to_numpy()
                terms = model.top_terms[j]
                rows.append({"theme": int(theme_id), "label": ", ".join(terms[:3]), "language": model.language,
                             "source": "found", "top_terms": terms,
                             "key_phrases": [t for t in terms if " " in t][:3],
                             "size": int(members.sum()), "share": members.sum() / n,
                             "quotes": _quotes(texts, lengths, np.where(members, similarity, -np.inf))})
        for theme_id, theme, _ in self._dictionary_patterns:
            members = self.mentions_[theme_id].to_numpy()
            order = np.where(members, -np.abs(lengths - 80.0), -np.inf)
            rows.append({"theme": int(theme_id), "label": theme, "language": "any", "source": "dictionary",
                         "top_terms": [], "key_phrases": [], "size": int(members.sum()), "share": members.sum() / n,
                         "quotes": _quotes(texts, lengths, order)})
        return pd.DataFrame(rows, columns=["theme", "label", "language", "source", "top_terms", "key_phrases",
                                           "size", "share", "quotes"])


def _lemmatise_sentences(texts: pd.Series, languages: pd.Series) -> pd.Series:
    """Lemmas of each sentence of each comment (its first ``MAX_MODEL_CHARS`` characters), sentences
    joined by :data:`SENTENCE_SEPARATOR`: a comment that mixes two themes usually does so in two
    sentences, and themes are found and scored sentence by sentence."""
    sentences = texts.str.slice(0, MAX_MODEL_CHARS).str.split(_SENTENCE_END).explode()
    sentences = sentences[sentences.notna()]
    lemmas = lemmatise(sentences.reset_index(drop=True), languages.to_numpy()[sentences.index.to_numpy()],
                       max_chars=None)
    kept = np.flatnonzero((lemmas != "").to_numpy())
    owner, parts = sentences.index.to_numpy()[kept], lemmas.to_numpy()[kept]
    # a comment's sentences are adjacent: join each run (a Python join per comment, no group objects)
    first = np.flatnonzero(np.append(True, owner[1:] != owner[:-1])) if len(owner) else np.zeros(0, dtype=np.int64)
    joined = pd.Series([SENTENCE_SEPARATOR.join(run) for run in np.split(parts, first[1:])] if len(owner) else [],
                       index=owner[first], dtype=object)
    return joined.reindex(texts.index, fill_value="").astype(object)


def widest_gap_cut(merge_similarities, bounds=MERGE_RANGE) -> float:
    """The merge similarity where a dendrogram is cut: the middle of its widest gap on a log scale.

    Groups of one theme merge at similarities above the gap, different themes below it; the
    widest gap between successive merge similarities (inside ``bounds``; the upper end counts
    as a merge, the lower end too when merges happen below it) is where the number of themes is
    most stable, the classic "longest branches" cut of a hierarchical clustering. Gaps are
    ratios (a gap from 0.1 to 0.05 counts as much as one from 0.4 to 0.2), so the few weak merges
    of stray groups near zero do not hide the gap, and the cut is their geometric middle. A
    dendrogram without a gap (real comments whose merges form a continuum) gets a cut anyway:
    compare its themes with those of a fixed ``merge_similarity``.

    Parameters
    ----------
    merge_similarities : array-like
        Similarity (1 - cosine distance) at which each merge of the dendrogram happens.
    bounds : tuple of float
        Least and greatest similarity considered.

    Returns
    -------
    float

    Examples
    --------
    >>> widest_gap_cut([0.9, 0.55, 0.5, 0.45, 0.4, 0.1, 0.08])
    0.2
    """
    low, high = bounds
    heights = np.sort(np.asarray(merge_similarities, dtype=float))[::-1]
    below = [low] if (heights <= low).any() else []  # the low end stands for merges below it, if any
    points = np.log(np.concatenate([[high], heights[(heights > low) & (heights < high)], below]))
    i = int(np.argmax(points[:-1] - points[1:]))
    return float(round(math.exp((points[i] + points[i + 1]) / 2), 4))


def _series(texts) -> pd.Series:
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    return series.astype(object).where(series.notna(), "").astype(str)


def _quotes(texts: pd.Series, lengths: np.ndarray, score: np.ndarray) -> list[str]:
    """The best-scoring distinct comments (``lengths``: their lengths), shortened for quoting, personal data removed."""
    long = lengths > QUOTE_CHARS
    order = np.argsort(-np.where(long, score - 10.0, score), kind="stable")  # short comments quote best
    chosen: list[str] = []
    seen: set[str] = set()
    for i in order[: 50 * N_QUOTES]:
        if not np.isfinite(score[i]):
            break
        text = texts.iloc[i].strip()
        key = re.sub(r"\W+", " ", text.lower()).strip()
        if not key or key in seen:
            continue
        seen.add(key)
        chosen.append(text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…")
        if len(chosen) == N_QUOTES:
            break
    return scrub_pii(chosen).tolist() if chosen else []


def find_themes(texts, *, n_themes="auto", seed: int = 0, languages=None, dictionary=None,
                method: str = "kmeans", **options) -> ThemeModel:
    """Find the themes of comments (and add dictionary themes).

    Parameters
    ----------
    texts : sequence of str or pandas.Series
        Comments in any mix of English, Russian and German.
    n_themes : "auto" or int, default "auto"
        Themes per language; "auto" lets the data choose.
    seed : int, default 0
    languages : sequence of str, optional
        Language of each comment (default detected).
    dictionary : dict, str or pathlib.Path, optional
        Team-defined themes (:func:`load_theme_dictionary`).
    method : {"kmeans", "nmf"}
    **options
        Further :class:`ThemeModel` options.

    Returns
    -------
    ThemeModel
        Fitted: ``labels_``, ``mentions_``, ``themes_``; ``assign`` for new comments.

    Examples
    --------
    >>> from cxlab.datasets import load_demo
    >>> comments = load_demo().surveys["comment"].dropna().head(5000)
    >>> model = find_themes(comments, seed=0)
    >>> len(model.labels_) == len(comments), int(model.themes_["size"].max()) > 0
    (True, True)
    """
    return ThemeModel(n_themes, method=method, seed=seed, dictionary=dictionary, **options).fit(texts, languages)
