"""Palmer penguins: a small mixed-type tabular dataset (PyPI `palmerpenguins`)."""

from keras_recipes import validation


def load_penguins(test_size=0.2, seed=0):
    """Loads the Palmer penguins as `(train_df, test_df)` DataFrames.

    344 penguins of 3 species (Adelie, Chinstrap, Gentoo) measured on 3
    islands of the Palmer Archipelago, 2007-2009: `island` and `sex`
    (strings), four body measurements (floats) and `year` (integer), with a
    few missing values kept as they are. Data by Dr. Kristen Gorman and Palmer
    Station LTER, released under CC0 and shipped inside the `palmerpenguins`
    package, so this never touches the network. The split is stratified by
    `species` and seeded; both frames carry `attrs["target"] = "species"`, so
    `kr.tabular_classifier(data=train_df)` finds the label column.

    Args:
        test_size: fraction of rows in the test split.
        seed: split seed.

    Returns:
        `(train_df, test_df)`, each with the `species` column.

    Example:

    >>> train_df, test_df = load_penguins()
    >>> len(train_df), len(test_df), train_df.attrs["target"]
    (275, 69, 'species')
    """
    from palmerpenguins import load_penguins as _load
    from sklearn.model_selection import train_test_split

    validation.check_float(
        "test_size", test_size, minimum=0.0, maximum=1.0, include_max=False
    )
    frame = _load()
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame["species"]
    )
    train = train.reset_index(drop=True)
    test = test.reset_index(drop=True)
    for part in (train, test):
        part.attrs["target"] = "species"
    return train, test
