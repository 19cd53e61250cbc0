"""Handwritten digits as 8x8 grayscale images (scikit-learn's bundled copy)."""

import numpy as np


def load_digits(test_size=0.2, seed=0):
    """Loads the UCI handwritten digits as uint8 images, split train/test.

    The data (1,797 8x8 images of the digits 0-9, from the UCI ML repository)
    ships inside scikit-learn, so this never touches the network. Pixels are
    rescaled from `[0, 16]` to `[0, 255]` and returned as `uint8` of shape
    `(n, 8, 8, 1)`. The split is stratified and seeded.

    Args:
        test_size: fraction of samples in the test split.
        seed: split seed.

    Returns:
        `(x_train, y_train), (x_test, y_test)`.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = load_digits()
    >>> x_train.shape, x_train.dtype.name, len(x_test)
    ((1437, 8, 8, 1), 'uint8', 360)
    """
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    digits = datasets.load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype("uint8")[..., None]
    labels = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    return (x_train, y_train), (x_test, y_test)
