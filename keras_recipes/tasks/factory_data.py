"""The check every template factory runs on its `data=` once the model is built."""


def check_factory_data(model, data):
    """Runs on `data` the checks `model.fit(data)` would, then returns `model`.

    A factory reads what it needs from `data=` (classes, image shape,
    vocabularies, column statistics), which alone would accept data that
    `fit` rejects (a NaN pixel, a string image, a label beyond
    `num_classes`). Passing it through the model's own `to_data`, the path
    of every `fit`, `evaluate` and `predict`, gives the same errors and
    warnings, with the same messages, as `fit`: the inputs are named `data`
    (the factory's argument), the labels `y`, as in `fit`.

    It costs one pass of the model's conversion over the data (the image
    template's float32 copy, the tabular one's column conversion), dropped
    when it returns; a factory passes what it already read (a CSV is not
    read twice). A `tf.data.Dataset`, which cannot be inspected, and files
    not yet decoded pass through as they do in `fit`.

    Args:
        model: the task the factory built.
        data: the factory's data, as `model.to_data` accepts it: an
            `(inputs, labels)` pair or a labelled `kr.data.Data`.

    Returns:
        `model`.

    Example:

    >>> import numpy as np
    >>> import keras_recipes as kr
    >>> images = np.zeros((2, 8, 8, 1))
    >>> images[0, 0, 0, 0] = np.nan
    >>> kr.image_classifier(data=(images, [0, 1]))
    Traceback (most recent call last):
    ...
    ValueError: `data` must not contain NaN or infinite values; found 1 (first at index (0, 0, 0, 0)). Received: data[(0, 0, 0, 0)]=np.float64(nan)
    """  # noqa: E501
    model.to_data(data, None, "data")
    return model
