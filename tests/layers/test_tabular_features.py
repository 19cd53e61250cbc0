import keras
import numpy as np

from keras_recipes.layers.tabular_features import CategoryCross
from keras_recipes.layers.tabular_features import ImputedNormalization


def test_layers_config_and_keras_save_load(tmp_path):
    norm = ImputedNormalization(
        mean=1.0, variance=4.0, fill_value=0.0, missing_indicator=True
    )
    assert ImputedNormalization.from_config(norm.get_config()).get_config() == (
        norm.get_config()
    )
    cross = CategoryCross(num_b=4)
    assert CategoryCross.from_config(cross.get_config()).num_b == 4
    a = keras.Input(shape=(), name="a")
    i = keras.Input(shape=(), dtype="int64", name="i")
    j = keras.Input(shape=(), dtype="int64", name="j")
    out = keras.layers.Concatenate()(
        [norm(a), keras.ops.cast(keras.ops.expand_dims(cross([i, j]), -1), "float32")]
    )
    model = keras.Model({"a": a, "i": i, "j": j}, out)
    feed = {
        "a": np.array([3.0, np.nan], "float32"),
        "i": np.array([1, 2]),
        "j": np.array([3, 0]),
    }
    expected = np.array([[1.0, 0.0, 7.0], [-0.5, 1.0, 8.0]], "float32")
    np.testing.assert_allclose(model.predict(feed, verbose=0), expected)
    path = str(tmp_path / "layers.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(feed, verbose=0), expected)
