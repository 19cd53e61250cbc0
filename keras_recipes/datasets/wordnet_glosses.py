"""WordNet noun definitions labelled with their semantic category (offline)."""

import csv
import os

import numpy as np

FILE = os.path.join(os.path.dirname(__file__), "files", "wordnet_glosses.tsv")
CLASS_NAMES = ("animal", "artifact", "food", "person", "plant")


def load_wordnet_glosses(test_size=0.2, seed=0):
    """Loads 4,500 WordNet 3.0 noun definitions with 5 topic labels.

    Each sample is a dictionary definition written by WordNet's
    lexicographers (e.g. "a ship used to train students as sailors") and its
    label is the lexicographer file of the synset: `"animal"`, `"artifact"`,
    `"food"`, `"person"` or `"plant"` (900 definitions each). The file ships
    in the package (`datasets/files/wordnet_glosses.tsv`, 341 kB), so this
    never touches the network. WordNet 3.0 Copyright 2006 by Princeton
    University, under the WordNet 3.0 license (see
    `datasets/files/LICENSE-wordnet.txt`, which also says how the sample was
    drawn). The split is stratified and seeded.

    Args:
        test_size: fraction of samples in the test split.
        seed: split seed.

    Returns:
        `(train_texts, train_labels), (test_texts, test_labels)`: numpy object
        arrays of Python strings; labels are the class names.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = load_wordnet_glosses()
    >>> len(x_train), len(x_test), sorted(set(y_test))
    (3600, 900, ['animal', 'artifact', 'food', 'person', 'plant'])
    """
    from sklearn.model_selection import train_test_split

    with open(FILE, encoding="utf-8", newline="") as file:
        reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header != ["label", "text"]:
            raise ValueError(f"Unexpected header in {FILE}: {header}")
        rows = list(reader)
    labels = np.array([row[0] for row in rows], dtype=object)
    texts = np.array([row[1] for row in rows], dtype=object)
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    return (x_train, y_train), (x_test, y_test)
