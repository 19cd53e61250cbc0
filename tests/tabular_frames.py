"""Small tables shared by the tabular tests."""

import numpy as np
import pandas as pd


def tiny_frame(n=40, seed=0):
    """A small learnable frame with every column kind and some gaps."""
    rng = np.random.default_rng(seed)
    label = np.where(np.arange(n) % 2 == 0, "yes", "no")
    size = np.where(label == "yes", 5.0, 1.0) + rng.normal(0, 0.3, n)
    size[3] = np.nan
    return pd.DataFrame(
        {
            "size": size,
            "color": np.where(label == "yes", "red", "blue").astype(object),
            "count": (np.arange(n) % 3).astype("int64"),
            "flag": [True, False, None, True] * (n // 4),
            "label": label,
        }
    )
