"""Tate artworks (1990-2012): title and medium -> year made (offline)."""

import csv
import os

import numpy as np

FILE = os.path.join(os.path.dirname(__file__), "files", "tate_titles.tsv")


def load_tate_titles(test_size=0.2, seed=0):
    """Loads 4,284 Tate artworks' titles and media with the year each was made.

    A real text regression set: each sample is an artwork's title and medium
    as Tate catalogues them (e.g. `"Michael. Etching on paper"`), the target
    the year it was made (1990 to 2012; mean 1998.7, standard deviation
    5.6). Words carry part of the answer (media such as "digital" or
    "video", series titles); a TF-IDF ridge model reaches R² 0.33. The file
    ships in the package (`datasets/files/tate_titles.tsv`, 254 kB): Tate's
    collection metadata (CC0), as the R package modeldata ships it; see
    `datasets/files/LICENSE-tate.txt`. The split is seeded.

    Args:
        test_size: fraction of samples in the test split.
        seed: split seed.

    Returns:
        `(train_texts, train_years), (test_texts, test_years)`: numpy object
        arrays of strings and float32 arrays of years.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = load_tate_titles()
    >>> len(x_train), len(x_test), int(y_train.min()), int(y_train.max())
    (3427, 857, 1990, 2012)
    """
    from sklearn.model_selection import train_test_split

    with open(FILE, encoding="utf-8", newline="") as file:
        reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header != ["year", "title", "medium"]:
            raise ValueError(f"Unexpected header in {FILE}: {header}")
        rows = list(reader)
    years = np.array([float(row[0]) for row in rows], dtype="float32")
    texts = np.array(
        [f"{row[1]}. {row[2]}" if row[2] else row[1] for row in rows], dtype=object
    )
    x_train, x_test, y_train, y_test = train_test_split(
        texts, years, test_size=test_size, random_state=seed
    )
    return (x_train, y_train), (x_test, y_test)
