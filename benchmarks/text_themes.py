"""Theme benchmark: fitting themes on many comments, assigning a new quarter, and the two methods compared.

``python benchmarks/text_themes.py [--n-comments 1000000] [--new-quarter 100000] [--recovery]``

1. Writes ``--n-comments`` comments with the demo world's comment generator
   (:mod:`cxlab.synth_comments`: English 90%, Russian 7%, German 3%; themes drawn from random
   touchpoints and sentiments) and times :func:`cxlab.text.find_themes` on them (fit on a
   sample per language, every comment assigned) with the peak resident memory of the process.
2. Times :meth:`cxlab.text.ThemeModel.assign` on a new quarter of ``--new-quarter`` comments.
3. With ``--recovery``: fits both methods (``kmeans`` and ``nmf``) on the demo world's comments
   and reports, for each true theme and language, the F1 of the best-matching found theme
   (a comment "mentions" a theme when :meth:`~cxlab.text.ThemeModel.mentions` says so; the truth
   counts primary and second themes), with each method's fitting time.

Results are printed and written to ``benchmarks/results/text_themes.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import synth, synth_comments
from cxlab.text import find_themes

RESULTS = Path(__file__).resolve().parent / "results" / "text_themes.json"


def comments(n: int, seed: int) -> pd.DataFrame:
    """``n`` generated comments with their language and true themes."""
    rng = np.random.default_rng(seed)
    language = rng.choice(3, size=n, p=[0.90, 0.07, 0.03])
    touchpoint = rng.integers(0, 7, n)
    sentiment = rng.choice(3, size=n, p=[0.25, 0.25, 0.5])
    emerging = rng.random(n) < 0.2
    theme = synth_comments.primary_theme(rng.random(n), touchpoint, sentiment, emerging)
    out = synth_comments.comment_texts(rng, language, theme)
    out["language"] = np.array(synth_comments.LANGUAGE_CODES)[language]
    return out


def peak_memory_gb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def recovery(method: str) -> dict:
    """F1 of the best-matching found theme for each true theme and language on the demo world."""
    world = synth.simulate()
    answered = world.surveys[world.surveys["comment"].notna()][["invitation_id", "comment"]]
    truth = answered.merge(world.comment_themes, on="invitation_id")
    start = time.perf_counter()
    model = find_themes(truth["comment"], method=method, seed=0)
    seconds = time.perf_counter() - start
    scores = {}
    for language in ("en", "ru"):
        rows = (truth["language"] == language).to_numpy()
        found = model.mentions_.to_numpy(dtype=bool)[rows]
        for theme in synth_comments.THEMES:
            true = ((truth["theme"] == theme) | (truth["second_theme"] == theme)).to_numpy()[rows]
            hits = (found & true[:, None]).sum(axis=0)
            f1 = 2 * hits / (found.sum(axis=0) + true.sum())
            scores[f"{language}/{theme}"] = round(float(f1.max()), 3)
    return {"method": method, "fit_seconds": round(seconds, 1), "themes_found": len(model.themes_), "f1": scores,
            "min_f1": {lang: min(v for k, v in scores.items() if k.startswith(lang)) for lang in ("en", "ru")}}


def main(argv=None) -> dict:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-comments", type=int, default=1_000_000)
    parser.add_argument("--new-quarter", type=int, default=100_000)
    parser.add_argument("--recovery", action="store_true")
    args = parser.parse_args(argv)
    result = {}
    if args.recovery:
        result["recovery"] = [recovery("kmeans"), recovery("nmf")]
    if args.n_comments:
        corpus = comments(args.n_comments, seed=1)
        start = time.perf_counter()
        model = find_themes(corpus["comment"], seed=0)
        fit = time.perf_counter() - start
        quarter = comments(args.new_quarter, seed=2)
        start = time.perf_counter()
        model.assign(quarter["comment"])
        assign = time.perf_counter() - start
        result["scale"] = {"comments": args.n_comments, "fit_and_assign_seconds": round(fit, 1),
                           "peak_memory_gb": round(peak_memory_gb(), 2), "themes_found": len(model.themes_),
                           "new_quarter_comments": args.new_quarter, "assign_seconds": round(assign, 1),
                           "assigned_per_second": round(args.new_quarter / assign)}
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
