"""`kr.image_regressor` / `kr.tasks.ImageRegressor`."""

import keras
import numpy as np

from keras_recipes import validation
from keras_recipes.data import images
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.image_backbone import BACKBONES
from keras_recipes.tasks.image_backbone import MIN_APPLICATION_SIZE
from keras_recipes.tasks.image_backbone import image_features
from keras_recipes.tasks.image_classifier import ImageClassifier
from keras_recipes.tasks.image_classifier import _check_augmentation
from keras_recipes.tasks.image_classifier import _check_image_shape
from keras_recipes.tasks.image_inputs import ImageInputs
from keras_recipes.tasks.regression_targets import resolve_targets
from keras_recipes.tasks.regression_targets import target_names_of
from keras_recipes.tasks.regressor import Regressor
from keras_recipes.tasks.regressor import check_target_transform
from keras_recipes.tasks.regressor import regression_head
from keras_recipes.utils import set_seed


@keras.saving.register_keras_serializable(package="keras_recipes")
class ImageRegressor(ImageInputs, Regressor):
    """Image regressor: raw pixels in, one or several numbers out.

    The trunk is `ImageClassifier`'s (`image_features`: rescaling, optional
    resizing, augmentation active in training only, and the `"resnet_se"`
    or a `keras.applications` backbone, pooled); the head is a
    `Dense(num_targets)` predicting standardized targets and a
    `kr.layers.TargetScale` that maps them back to the target's units
    (`target_transform`, computed by `kr.image_regressor` from the training
    targets). So `predict`, a saved `.keras` file, a SavedModel and an ONNX
    export all take raw `[0, 255]` pixels and return values in the target's
    units. The loss is MSE (or Huber) on the standardized scale; the metrics
    are RMSE, MAE and R² in the target's units.

    Args:
        image_shape: `(height, width, channels)` of the raw input, channels 1
            or 3. Height/width may be `None` when `image_size` is set.
        num_targets: number of numeric targets predicted per image.
        image_size: optional `(height, width)` the model resizes inputs to.
        backbone: `"resnet_se"` or a `keras.applications` name (built with
            `weights=None`), as in `ImageClassifier`.
        width: channels of the first stage (`"resnet_se"` only).
        depth: number of stages (`"resnet_se"` only).
        blocks: residual blocks per stage (`"resnet_se"` only).
        se_ratio: squeeze-excitation ratio, 0 to disable.
        dropout: dropout rate before the regression head.
        augmentation: `"default"` (translation, rotation, zoom), `None`, or a
            list drawn from `kr.tasks.image_classifier.AUGMENTATIONS`. Use
            `None` when such a change alters the target (a size or a
            position measured on the image).
        learning_rate: AdamW learning rate used by `compile("auto")`.
        target_names: names of the targets (`"target"` by default).
        target_transform: the statistics dict of
            `kr.tasks.regressor.fit_target_transform` (`None`: identity).
        regression_loss: `"mse"` (default) or `"huber"`.
        **kwargs: `keras.Model` keyword arguments (`name`, ...).

    Example:

    >>> model = ImageRegressor(image_shape=(8, 8, 1), width=8, depth=2)
    >>> model.predict(np.zeros((2, 8, 8, 1)), verbose=0).shape
    (2, 1)
    """

    task_name = "image_regressor"
    # As the image classifier (same trunk, same step cost).
    auto_min_steps = ImageClassifier.auto_min_steps

    def __init__(
        self,
        image_shape,
        num_targets=1,
        image_size=None,
        backbone="resnet_se",
        width=32,
        depth=3,
        blocks=1,
        se_ratio=0.25,
        dropout=0.1,
        augmentation="default",
        learning_rate=2e-3,
        target_names=None,
        target_transform=None,
        regression_loss="mse",
        **kwargs,
    ):
        num_targets = validation.check_size(
            "num_targets", num_targets, validation.MAX_CLASSES
        )
        stats = check_target_transform(target_transform, num_targets)
        image_shape, augmentation_list = _check_trunk(
            image_shape,
            image_size,
            backbone,
            width,
            depth,
            blocks,
            se_ratio,
            augmentation,
        )
        validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=1.0, include_max=False
        )
        validation.check_float("learning_rate", learning_rate, minimum=0.0)

        # === Layers and functional model ===
        inputs, x = image_features(
            image_shape,
            image_size,
            backbone=backbone,
            width=width,
            depth=depth,
            blocks=blocks,
            se_ratio=se_ratio,
            augmentation=augmentation_list,
        )
        x = keras.layers.Dropout(float(dropout), name="head_dropout")(x)
        outputs = regression_head(num_targets, stats)(x)
        super().__init__(
            inputs=inputs,
            outputs=outputs,
            target_names=target_names,
            target_transform=stats,
            regression_loss=regression_loss,
            **kwargs,
        )

        # === Config ===
        self.image_shape = tuple(image_shape)
        self.image_size = None if image_size is None else tuple(image_size)
        self.backbone = backbone
        self.width = width
        self.depth = depth
        self.blocks = blocks
        self.se_ratio = se_ratio
        self.dropout = dropout
        self.augmentation = augmentation
        self.learning_rate = learning_rate
        self.compile()

    # The classifier's export hook and search space: same inputs, same trunk.
    onnx_core = ImageClassifier.onnx_core
    search_space = classmethod(ImageClassifier.search_space.__func__)

    def predict_files(self, files, batch_size=None, verbose=0):
        """Predicts image files: each file with its values.

        Args:
            files: an image file path, a list of them, or a folder (its image
                files, subfolders too, sorted by path). Files that are not
                readable images are left out with a warning naming them.
            batch_size: prediction batch size.
            verbose: as in `predict`.

        Returns:
            A pandas DataFrame, one row per file in order: `file` (the path)
            and one column per target, in the target's units.

        Example:

        >>> import os, tempfile
        >>> from PIL import Image
        >>> folder = tempfile.mkdtemp()
        >>> Image.new("L", (8, 8)).save(os.path.join(folder, "a.png"))
        >>> model = ImageRegressor(image_shape=(8, 8, 1), width=4, depth=1)
        >>> list(model.predict_files(folder).columns)
        ['file', 'target']
        """
        data = self._file_data(*images.list_image_files(files, "files", skip_bad=True))
        table = self.predict_values(data, batch_size=batch_size, verbose=verbose)
        table.insert(0, "file", list(data.x))
        return table

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": self.image_shape,
                "num_targets": self.num_targets,
                "image_size": self.image_size,
                "backbone": self.backbone,
                "width": self.width,
                "depth": self.depth,
                "blocks": self.blocks,
                "se_ratio": self.se_ratio,
                "dropout": self.dropout,
                "augmentation": self.augmentation,
                "learning_rate": self.learning_rate,
            }
        )
        return config


def _check_trunk(
    image_shape, image_size, backbone, width, depth, blocks, se_ratio, augmentation
):
    """Checks the trunk's arguments as `ImageClassifier` does.

    Returns:
        `(image_shape, augmentation names)`.
    """
    image_shape = _check_image_shape(image_shape, image_size)
    validation.check_choice("backbone", backbone, BACKBONES)
    validation.check_int("depth", depth, minimum=1, maximum=6)
    # The last stage has width * 2**(depth - 1) channels.
    validation.check_size("width", width, validation.MAX_UNITS // 2 ** (int(depth) - 1))
    validation.check_size("blocks", blocks, validation.MAX_LAYERS)
    validation.check_float("se_ratio", se_ratio, minimum=0.0, maximum=1.0)
    augmentation_list = _check_augmentation(augmentation)
    size = image_size or image_shape[:2]
    min_size = MIN_APPLICATION_SIZE if backbone != "resnet_se" else 2 ** (depth - 1)
    if min(size) < min_size:
        hint = (
            f"depth={depth} needs at least {min_size}x{min_size}"
            if backbone == "resnet_se"
            else f"backbone={backbone!r} needs at least {min_size}x{min_size}"
        )
        raise ValueError(
            f"`image_shape` is too small for the backbone ({hint}); pass "
            f"`image_size=` to resize or use a smaller `depth`. "
            f"Received: image_shape={tuple(image_shape)}"
        )
    return image_shape, augmentation_list


def image_regressor(
    image_shape=None,
    data=None,
    num_targets=None,
    target_names=None,
    target_transform="auto",
    strategy=None,
    seed=None,
    **kwargs,
):
    """Builds a compiled `ImageRegressor`, inferring what it can from `data`.

    Args:
        image_shape: `(height, width, channels)`; inferred from `data`.
        data: `(images, targets)` with targets of shape `(n,)` or `(n, k)`
            (a pandas Series or DataFrame names them), or a `kr.data.Data`
            such as `kr.data.image_folder("photos/", targets="targets.csv")`
            (a CSV of `filename,target` beside the images). The targets give
            `num_targets` and the statistics of `target_transform`. Checked
            as `fit` checks it, with `fit`'s messages naming `data`.
        num_targets: number of targets; inferred from `data`.
        target_names: names of the targets; inferred from a Series/DataFrame
            or a targets CSV, else `"target"` (`"target_0"`, ... for
            several).
        target_transform: how the model standardizes the targets:
            `"auto"` (default) standardizes each target with the training
            mean and standard deviation, after `log1p` for a non-negative,
            skewed target (skewness above 1, made more symmetric by the log:
            prices, counts); `"log"` always takes `log1p` first; `"none"`
            never does. `model.summary()` and `model.describe_targets()`
            say what was chosen. Without `data` the model is left unscaled.
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`; the model is built and compiled in
            its scope.
        seed: optional seed for weight initialisation (`kr.set_seed`).
        **kwargs: any other `ImageRegressor` argument (`width`, `depth`,
            `regression_loss`, ...).

    Returns:
        A compiled `kr.tasks.ImageRegressor`.

    Example:

    >>> import numpy as np
    >>> import keras_recipes as kr
    >>> images = np.zeros((4, 8, 8, 1), "uint8")
    >>> model = kr.image_regressor(data=(images, [1.0, 2.0, 3.0, 4.0]),
    ...                            width=8, depth=2)
    >>> model.output_shape, model.target_transform["mean"]
    ((None, 1), [2.5])
    """
    stats = None
    if data is not None:
        data, inferred_shape, y, names = _infer_from_data(data)
        if isinstance(data, Data) and "image_size" in data.info:
            # A folder: the model resizes inside its graph (any photo size).
            kwargs.setdefault("image_size", tuple(data.info["image_size"]))
            inferred_shape = (None, None, inferred_shape[-1])
        image_shape = image_shape or inferred_shape
        target_names = target_names or names
        stats, num_targets = resolve_targets(
            y,
            target_transform,
            target_names,
            num_targets,
            name="data.y" if isinstance(data, Data) else "data[1]",
        )
    elif isinstance(target_transform, dict):
        stats = target_transform
    if num_targets is None:
        num_targets = 1 if target_names is None else len(list(target_names))
    if seed is not None:
        set_seed(seed)
    with get_strategy(strategy).scope():
        model = ImageRegressor(
            image_shape=image_shape,
            num_targets=num_targets,
            target_names=target_names,
            target_transform=stats,
            **kwargs,
        )
    if data is not None:
        check_factory_data(model, data)
    return model


def _infer_from_data(data):
    """`(data, image_shape, targets, target_names)` from factory `data`."""
    if isinstance(data, Data):
        if data.x is None:
            raise ValueError(
                "`data` as a tf.data.Dataset cannot be inspected; pass "
                "`image_shape=`, `num_targets=` and `target_transform=` (a "
                "statistics dict) instead. Received: data=tf.data.Dataset"
            )
        if data.y is None:
            raise ValueError(
                "`data` must carry targets to fit the target scaling. "
                f"Received: {data!r} without targets"
            )
        shape = data.info.get("image_shape") or tuple(np.shape(data.x)[1:])
        names = data.info.get("target_names")
        return data, shape, data.y, names
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(
            "`data` must be an (images, targets) pair or a kr.data.Data. "
            f"Received: data of type {type(data).__name__}"
        )
    x, y = data
    names = target_names_of(y)
    x = validation.as_array("data[0]", x)
    validation.check_not_empty("data[0]", x)
    validation.check_rank("data[0]", x, (3, 4), "batch of images (N, H, W[, C])")
    y = validation.as_array("data[1]", y)
    validation.check_same_length("data[0]", x, "data[1]", y)
    shape = tuple(int(s) for s in x.shape[1:])
    if len(shape) == 2:
        shape = (*shape, 1)
    return (x, y), shape, y, names
