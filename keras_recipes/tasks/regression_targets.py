"""What the regressor factories read from their targets: statistics, names."""

from keras_recipes.tasks.regressor import encode_targets
from keras_recipes.tasks.regressor import fit_target_transform


def resolve_targets(y, target_transform, target_names, num_targets, name="data.y"):
    """The target statistics and count a regressor factory builds with.

    Checks the raw targets `y` (numbers, finite) and computes
    `fit_target_transform(y, target_transform)`, unless `target_transform`
    already is such a statistics dict.

    Returns:
        `(stats, num_targets)`.

    Example:

    >>> stats, k = resolve_targets([[1.0, 10.0], [3.0, 30.0]], "none", None, None)
    >>> stats["mean"], k
    ([2.0, 20.0], 2)
    """
    values = encode_targets(name, y, num_targets)
    if isinstance(target_transform, dict):
        stats = target_transform
    else:
        names = None if target_names is None else list(target_names)
        stats = fit_target_transform(values, target_transform, names)
    return stats, int(values.shape[1])


def target_names_of(y):
    """Target names a Series or DataFrame carries (`None` otherwise).

    Example:

    >>> import pandas as pd
    >>> target_names_of(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    ['a', 'b']
    """
    columns = getattr(y, "columns", None)
    if columns is not None:
        return [str(c) for c in columns]
    series_name = getattr(y, "name", None)
    if series_name is not None and hasattr(y, "to_numpy"):
        return [str(series_name)]
    return None
