"""`kr.load_model`: safe loading of `.keras` files."""

import os
import warnings

import keras


def load_model(filepath, compile=True):
    """Loads a `.keras` file into its task class, with `safe_mode=True`.

    Every keras_recipes object is registered, so no `custom_objects` are
    needed. Loading never executes code from the file: `.keras` files that
    carry Lambda layers (arbitrary Python bytecode) are refused, and legacy
    `.h5` files are refused because they cannot be loaded safely.

    Args:
        filepath: path to a `.keras` file.
        compile: restore the training configuration as well.

    Returns:
        The model, an instance of the class it was saved from.
    """
    import keras_recipes

    keras_recipes._load_all()  # registers every serializable object

    filepath = os.fspath(filepath)
    if filepath.endswith((".h5", ".hdf5")):
        raise ValueError(
            "`filepath` is a legacy HDF5 file; keras_recipes loads only `.keras` "
            "files, which can be loaded without running code from the file. "
            f"Re-save the model with `model.save('model.keras')`. "
            f"Received: filepath={filepath!r}"
        )
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"`filepath` must be a `.keras` file. Received: filepath={filepath!r}"
        )
    if not os.path.isfile(filepath):
        raise ValueError(f"`filepath` does not exist. Received: filepath={filepath!r}")
    try:
        with warnings.catch_warnings():
            # A model saved before any training step has an unbuilt optimizer
            # (2 variables: iterations, learning rate); its slots are rebuilt
            # at zero on load, which is exactly the saved state. Nothing is
            # lost, so Keras' "Skipping variable loading" warning is noise.
            warnings.filterwarnings(
                "ignore",
                message=r"Skipping variable loading for optimizer .* the saved "
                r"optimizer has 2 variables",
            )
            return keras.saving.load_model(filepath, compile=compile, safe_mode=True)
    except ValueError as error:
        if "Lambda" in str(error) or "safe_mode" in str(error):
            raise ValueError(
                "Refusing to load a model that contains a Lambda layer: its "
                "Python bytecode would run on load (unsafe). Load it only if you "
                "trust its source, with keras.saving.load_model(..., "
                f"safe_mode=False). Received: filepath={filepath!r}"
            ) from None
        raise
