"""Palmer penguins: a small mixed-type tabular dataset (PyPI `palmerpenguins`)."""

from keras_recipes import validation


def load_penguins(test_size=0.2, seed=0, target="species"):
    """Loads the Palmer penguins as `(train_df, test_df)` DataFrames.

    344 penguins of 3 species (Adelie, Chinstrap, Gentoo) measured on 3
    islands of the Palmer Archipelago, 2007-2009: `island` and `sex`
    (strings), four body measurements (floats) and `year` (integer), with a
    few missing values kept as they are. Data by Dr. Kristen Gorman and Palmer
    Station LTER, released under CC0 and shipped inside the `palmerpenguins`
    package, so this never touches the network. The split is stratified by
    `species` and seeded; both frames carry `attrs["target"] = "species"`, so
    `kr.tabular_classifier(data=train_df)` finds the label column.

    With `target="body_mass_g"` (or another numeric column) it is a
    regression table instead: rows whose target is missing are dropped, the
    split is not stratified and `attrs["target"]` names that column.

    Args:
        test_size: fraction of rows in the test split.
        seed: split seed.
        target: the label column: `"species"` (classification) or a
            numeric measurement such as `"body_mass_g"` (regression).

    Returns:
        `(train_df, test_df)`, each with the `target` column.

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
    columns = [str(c) for c in frame.columns]
    if target not in columns:
        raise ValueError(
            f"`target` must be a column of the penguins table. Received: "
            f"target={target!r}; columns are {columns}"
        )
    stratify = None
    if target == "species":
        stratify = frame["species"]
    else:
        frame = frame[frame[target].notna()].reset_index(drop=True)
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=stratify
    )
    train = train.reset_index(drop=True)
    test = test.reset_index(drop=True)
    for part in (train, test):
        part.attrs["target"] = target
    return train, test


def load_penguins_body_mass(test_size=0.2, seed=0):
    """The penguins as a regression table: `body_mass_g` from the rest.

    `load_penguins(target="body_mass_g")`: 342 penguins with a measured
    mass (grams), species, island, sex, bill and flipper sizes and year.

    Example:

    >>> train_df, test_df = load_penguins_body_mass()
    >>> len(train_df), len(test_df), train_df.attrs["target"]
    (273, 69, 'body_mass_g')
    """
    return load_penguins(test_size=test_size, seed=seed, target="body_mass_g")
