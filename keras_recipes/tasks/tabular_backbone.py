"""The network shared by `TabularClassifier` and `TabularRegressor`.

Raw column inputs -> the preprocessor's feature layers (normalization,
lookups) -> embeddings -> a body -> a head. Two architectures:

- `"tabm"` (default): TabM-mini (Gorishniy et al. 2024): numeric columns
  also go through a piecewise-linear embedding over quantile bins of their
  training values (`PiecewiseLinearEmbedding`), the concatenated features
  are copied to `k` members, each scaled by its own vector
  (`EnsembleScale`), through one shared MLP (Dense, ReLU, Dropout), each
  member's own output layer (`EnsembleDense`), and averaged
  (`EnsembleMean`). Every member is trained with its own loss
  (`EnsembleLossMixin`).
- `"mlp"`: the kit's first network: an MLP with batch normalization and
  dropout and one head. Models saved before `architecture` existed load as
  this one.
"""

import math

import keras

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.layers.numeric_embeddings import PiecewiseLinearEmbedding
from keras_recipes.layers.tabular_ensemble import EnsembleDense
from keras_recipes.layers.tabular_ensemble import EnsembleMean
from keras_recipes.layers.tabular_ensemble import EnsembleScale
from keras_recipes.layers.tabular_features import CategoryCross
from keras_recipes.tasks.tabular_columns import NUMERIC

MAX_CROSS_BINS = 100_000
ARCHITECTURES = ("tabm", "mlp")
# Per-architecture defaults of the arguments left at `None`.
# Chosen on benchmarks/tabular_vs_gbdt.py (RESULTS.md, "Tabular template vs
# HistGradientBoosting"): k=16 and 256-wide layers (TabM's own defaults are
# k=32, 3x512) were as accurate as k=8, 2x128, and 2-3x slower on CPU; batch
# 128 (TabM uses 256) keeps a step's cost near the former MLP's at batch 32.
DEFAULTS = {
    "tabm": {
        "hidden_units": [128, 128],
        "batch_norm": False,
        "ensemble_size": 8,
        "batch_size": 128,
    },
    "mlp": {
        "hidden_units": [128, 64],
        "batch_norm": True,
        "ensemble_size": None,
        "batch_size": 32,
    },
}
NUMERIC_EMBEDDING_DIM = 8


def resolve(architecture, hidden_units, batch_norm, ensemble_size):
    """Checks the body's arguments; `None`s become the architecture's defaults.

    Returns:
        `(hidden_units, batch_norm, ensemble_size)` as used.
    """
    validation.check_choice("architecture", architecture, ARCHITECTURES)
    defaults = DEFAULTS[architecture]
    if hidden_units is None:
        hidden_units = defaults["hidden_units"]
    units = check_units(hidden_units)
    if batch_norm is None:
        batch_norm = defaults["batch_norm"]
    if architecture == "mlp":
        if ensemble_size not in (None, 1):
            raise ValueError(
                "`ensemble_size` needs `architecture='tabm'`. Received: "
                f"ensemble_size={ensemble_size!r}, architecture='mlp'"
            )
        return units, bool(batch_norm), None
    if ensemble_size is None:
        ensemble_size = defaults["ensemble_size"]
    ensemble_size = validation.check_size("ensemble_size", ensemble_size, 256)
    return units, bool(batch_norm), ensemble_size


def build(
    preprocessor,
    *,
    architecture,
    units,
    dropout,
    batch_norm,
    embedding_dim,
    cross_pairs,
    ensemble_size,
    numeric_embedding_dim,
    outputs,
    activation=None,
    output_layers=(),
):
    """Builds the graph: `(inputs, outputs)` for `keras.Model`.

    Args:
        preprocessor: the task's `TabularPreprocessor`.
        architecture: `"tabm"` or `"mlp"`.
        units: hidden layer sizes.
        dropout: dropout rate after each hidden layer.
        batch_norm: batch normalization after each hidden `Dense`.
        embedding_dim: categorical embedding size (`None`: by vocabulary).
        cross_pairs: checked `(column_a, column_b)` pairs to cross.
        ensemble_size: members `k` (`"tabm"` only).
        numeric_embedding_dim: piecewise-linear embedding size per numeric
            column with bins (`"tabm"` only; `0` turns them off).
        outputs: size of the head's output.
        activation: the head's activation (`"softmax"`, or `None`).
        output_layers: layers applied, in order, to the head's output
            before the members are averaged (e.g. a target scaling).
    """
    # The creation order matters: an initializer draws its seed when it is
    # created, so a seeded build gives the same weights only while the
    # order (embeddings, MLP, head, crosses) stays the same.
    layer_names = preprocessor.layer_names
    feature_layers = preprocessor.feature_layers()
    embeddings = {}
    for name in preprocessor.feature_names:
        if preprocessor.is_categorical(name):
            size = preprocessor.num_indices(name)
            embeddings[name] = keras.layers.Embedding(
                size,
                embedding_size(size, embedding_dim),
                name=f"embed_{layer_names[name]}",
            )
    concat = keras.layers.Concatenate(axis=-1, name="features")
    blocks = mlp_blocks(units, batch_norm, dropout)
    tabm = architecture == "tabm"
    if tabm:
        head = EnsembleDense(ensemble_size, outputs, dtype="float32", name="head")
    else:
        head = keras.layers.Dense(
            outputs, activation=activation, dtype="float32", name="predictions"
        )
    cross_layers = []
    for a, b in cross_pairs:
        size = preprocessor.num_indices(a) * preprocessor.num_indices(b)
        cross_name = f"{layer_names[a]}_x_{layer_names[b]}"
        cross = CategoryCross(preprocessor.num_indices(b), name=f"cross_{cross_name}")
        embedding = keras.layers.Embedding(
            size,
            embedding_size(size, embedding_dim),
            name=f"embed_cross_{cross_name}",
        )
        cross_layers.append((a, b, cross, embedding))

    # === Functional graph ===
    inputs = preprocessor.inputs()
    encoded, indices, numeric, edges, width = [], {}, [], [], 0
    for name, layer in feature_layers.items():
        x = layer(inputs[name])
        if name in embeddings:
            indices[name] = x
            x = embeddings[name](x)
        else:
            spec = preprocessor.specs[name]
            if spec["kind"] == NUMERIC and spec.get("bins"):
                # Bin edges in the normalized units the layer receives.
                scale = math.sqrt(float(spec["variance"])) or 1.0
                mean = float(spec["mean"])
                edges.append([(float(e) - mean) / scale for e in spec["bins"]])
                numeric.append(width)
            width += 2 if spec["missing_indicator"] else 1
        encoded.append(x)
    for a, b, cross, embedding in cross_layers:
        encoded.append(embedding(cross([indices[a], indices[b]])))
    x = concat(encoded) if len(encoded) > 1 else encoded[0]
    if tabm and edges and numeric_embedding_dim:
        scalars = [
            e
            for name, e in zip(feature_layers, encoded[: len(feature_layers)])
            if name not in embeddings
        ]
        scalar = (
            keras.layers.Concatenate(axis=-1, name="numeric_features")(scalars)
            if len(scalars) > 1
            else scalars[0]
        )
        piecewise = PiecewiseLinearEmbedding(
            edges,
            units=int(numeric_embedding_dim),
            columns=numeric,
            name="numeric_embeddings",
        )(scalar)
        x = keras.layers.Concatenate(axis=-1, name="all_features")([x, piecewise])
    if tabm:
        x = EnsembleScale(ensemble_size, name="ensemble_scale")(x)
    for block in blocks:
        for layer in block:
            x = layer(x)
    x = head(x)
    if tabm and activation is not None:
        x = keras.layers.Activation(activation, dtype="float32", name="member_probs")(x)
    for layer in output_layers:
        x = layer(x)
    if tabm:
        x = EnsembleMean(dtype="float32", name="predictions")(x)
    return inputs, x


class EnsembleLossMixin:
    """Gives each TabM member its own loss during training.

    The model's output is the members' mean; in a training step its
    `EnsembleMean` layer keeps the `(batch, k, ...)` member outputs, and
    `compute_loss` applies the compiled loss to them as `batch * k` rows
    (labels and sample weights repeated), as TabM trains. Evaluation and
    metrics use the mean prediction.
    """

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        layer = self._ensemble_mean_layer()
        members = None if layer is None else layer.member_outputs
        if training and members is not None and y is not None:
            k = int(members.shape[1])
            y_pred = keras.ops.reshape(members, (-1, *members.shape[2:]))
            y = keras.ops.repeat(y, k, axis=0)
            if sample_weight is not None:
                sample_weight = keras.ops.repeat(sample_weight, k, axis=0)
            layer.member_outputs = None
        return super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def _ensemble_mean_layer(self):
        for layer in reversed(self.layers):
            if isinstance(layer, EnsembleMean):
                return layer
        return None


# --------------------------------------------------------------- helpers
def search_space(hp, fixed=None):
    """The tabular templates' KerasTuner space (see `TabularClassifier`'s)."""
    space, fixed = {}, fixed or {}
    tabm = fixed.get("architecture", "tabm") == "tabm"
    if "hidden_units" not in fixed:
        width = int(hp.Choice("width", [32, 64, 128, 256]))
        depth = int(hp.Int("depth", 1, 3))
        if tabm:
            space["hidden_units"] = [width] * depth
        else:
            space["hidden_units"] = [width // (2**i) or 1 for i in range(depth)]
    if tabm and "ensemble_size" not in fixed:
        space["ensemble_size"] = hp.Choice("ensemble_size", [4, 8, 16])
    if tabm and "numeric_embedding_dim" not in fixed:
        space["numeric_embedding_dim"] = hp.Choice("numeric_embedding_dim", [0, 8, 16])
    space["dropout"] = hp.Float("dropout", 0.0, 0.5, step=0.1)
    space["embedding_dim"] = hp.Choice("embedding_dim", [4, 8, 16])
    space["learning_rate"] = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    return space


def upgrade_config(config):
    """A config saved before `architecture` existed describes the MLP.

    Example:

    >>> upgrade_config({"hidden_units": [8]})["architecture"]
    'mlp'
    """
    config = dict(config)
    if "architecture" not in config:
        config["architecture"] = "mlp"
        config.setdefault("hidden_units", DEFAULTS["mlp"]["hidden_units"])
        config.setdefault("batch_norm", True)
    return config


def check_units(hidden_units):
    if not isinstance(hidden_units, list | tuple) or not hidden_units:
        raise ValueError(
            "`hidden_units` must be a non-empty list of layer sizes. "
            f"Received: hidden_units={hidden_units!r}"
        )
    validation.check_size("len(hidden_units)", len(hidden_units), validation.MAX_LAYERS)
    return [
        validation.check_size("hidden_units", u, validation.MAX_UNITS)
        for u in hidden_units
    ]


def check_crosses(crosses, preprocessor):
    if crosses is None:
        return []
    if not isinstance(crosses, list | tuple):
        raise TypeError(
            "`crosses` must be a list of [column_a, column_b] pairs. "
            f"Received: crosses={crosses!r}"
        )
    specs = preprocessor.specs
    pairs = []
    for pair in crosses:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(c, str) for c in pair)
            or pair[0] == pair[1]
        ):
            raise ValueError(
                "`crosses` must hold pairs of two different column names. "
                f"Received: {pair!r}"
            )
        for column in pair:
            if column not in specs:
                raise ValueError(
                    f"`crosses` names an unknown column."
                    f"{validation.did_you_mean(column, specs)} Received: "
                    f"{column!r}; feature columns are {list(specs)}"
                )
            if not preprocessor.is_categorical(column):
                raise ValueError(
                    "`crosses` columns must be categorical. Received: "
                    f"{column!r} ({specs[column]['kind']})"
                )
        size = preprocessor.num_indices(pair[0]) * preprocessor.num_indices(pair[1])
        if size > MAX_CROSS_BINS:
            raise ValueError(
                f"`crosses` pair {list(pair)} has {size} combinations, more than "
                f"{MAX_CROSS_BINS}. Cross columns with smaller vocabularies."
            )
        pairs.append(tuple(pair))
    return pairs


def mlp_blocks(units, batch_norm, dropout):
    """The hidden layers: per width, Dense (+ BatchNorm), ReLU (+ Dropout)."""
    blocks = []
    for i, width in enumerate(units):
        block = [keras.layers.Dense(width, use_bias=not batch_norm, name=f"dense_{i}")]
        if batch_norm:
            block.append(
                keras.layers.BatchNormalization(
                    momentum=utils.BN_MOMENTUM, name=f"bn_{i}"
                )
            )
        block.append(keras.layers.Activation("relu", name=f"relu_{i}"))
        if dropout:
            block.append(keras.layers.Dropout(float(dropout), name=f"drop_{i}"))
        blocks.append(block)
    return blocks


def embedding_size(size, embedding_dim):
    if embedding_dim is not None:
        return int(embedding_dim)
    return int(min(16, max(2, round(1.6 * size**0.56))))
