"""Text analytics of customer comments in English and Russian (and corpora mixing both), offline on CPU.

- :mod:`cxlab.text.normalise`: cleaning, language detection, lemmas with negation marked;
- :mod:`cxlab.text.pii`: personal data replaced before anything is quoted;
- :mod:`cxlab.text.themes`: themes found from the data, plus dictionary themes;
- :mod:`cxlab.text.polarity`: positive/negative polarity learned from the survey's own scores;
- :mod:`cxlab.text.scores`: what themes mean for scores (shares, impact on NPS, trends).
"""

from cxlab.text.normalise import clean, detect_language, lemmatise
from cxlab.text.pii import scrub_pii
from cxlab.text.polarity import PolarityModel, fit_polarity
from cxlab.text.themes import ThemeModel, find_themes, load_theme_dictionary

__all__ = ["clean", "detect_language", "lemmatise", "scrub_pii", "ThemeModel", "find_themes",
           "load_theme_dictionary", "PolarityModel", "fit_polarity"]
