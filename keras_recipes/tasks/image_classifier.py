"""`kr.image_classifier` / `kr.tasks.ImageClassifier`."""

import keras
import numpy as np
import tensorflow as tf

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.layers.conv_blocks import ResidualBlock
from keras_recipes.tasks.classifier import Classifier
from keras_recipes.tasks.classifier import check_classes
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.utils import set_seed

# keras.applications backbones, built with weights=None (no download ever),
# with the input range each expects: "raw" = [0, 255], "unit" = [0, 1],
# "symmetric" = [-1, 1].
APPLICATION_BACKBONES = {
    "efficientnet_b0": ("EfficientNetB0", "raw"),
    "efficientnet_b1": ("EfficientNetB1", "raw"),
    "efficientnetv2_b0": ("EfficientNetV2B0", "raw"),
    "mobilenet_v2": ("MobileNetV2", "symmetric"),
    "mobilenet_v3_small": ("MobileNetV3Small", "raw"),
    "resnet50": ("ResNet50", "unit"),
    "convnext_tiny": ("ConvNeXtTiny", "raw"),
}
BACKBONES = ("resnet_se", *APPLICATION_BACKBONES)
AUGMENTATIONS = ("flip", "rotation", "zoom", "contrast", "translation", "randaugment")
DEFAULT_AUGMENTATION = ("translation", "rotation", "zoom")
MIN_APPLICATION_SIZE = 32


@keras.saving.register_keras_serializable(package="keras_recipes")
class ImageClassifier(Classifier):
    """Image classifier: raw pixels in, class probabilities out.

    The default backbone (`"resnet_se"`) is a residual CNN with
    squeeze-excitation: a 3x3 stem, then `depth` stages of `blocks` residual
    blocks, doubling the width and halving the resolution at each stage after
    the first; its convolutions are `kr.layers.FastConv2D` (Keras' `Conv2D`
    with a faster CPU training gradient). Rescaling (and resizing, when
    `image_size` is set) are layers of the model, so a saved model takes raw
    `[0, 255]` pixels. Augmentation layers are part of the model too and are
    only active in training.

    Args:
        num_classes: number of classes (>= 2).
        image_shape: `(height, width, channels)` of the raw input, channels 1
            (grayscale) or 3 (RGB). Height/width may be `None` when
            `image_size` is set.
        image_size: optional `(height, width)` the model resizes inputs to.
        backbone: `"resnet_se"` or a `keras.applications` name (always built
            with `weights=None`): one of `BACKBONES`.
        width: channels of the first stage (`"resnet_se"` only).
        depth: number of stages (`"resnet_se"` only).
        blocks: residual blocks per stage (`"resnet_se"` only).
        se_ratio: squeeze-excitation ratio, 0 to disable.
        dropout: dropout rate before the classification head.
        augmentation: `"default"` (translation, rotation, zoom), `None`, or a
            list drawn from `AUGMENTATIONS`.
        mixup: MixUp alpha; 0 disables it. Applied in tf.data in training.
        label_smoothing: label smoothing of the cross-entropy loss.
        learning_rate: AdamW learning rate used by `compile("auto")`.
        class_names: optional class names.
        **kwargs: `keras.Model` keyword arguments (`name`, ...).

    Example:

    >>> model = ImageClassifier(num_classes=3, image_shape=(8, 8, 1), width=8)
    >>> model.predict(np.zeros((2, 8, 8, 1)), verbose=0).shape
    (2, 3)
    """

    task_name = "image_classifier"
    # 16 steps per call from fits of 300 steps (break-even ~290, up to 355;
    # later fits 0.85x the time: benchmarks/overhead.py --section steps).
    auto_min_steps = 300

    def __init__(
        self,
        num_classes,
        image_shape,
        image_size=None,
        backbone="resnet_se",
        width=32,
        depth=3,
        blocks=1,
        se_ratio=0.25,
        dropout=0.1,
        augmentation="default",
        mixup=0.0,
        label_smoothing=0.0,
        learning_rate=2e-3,
        class_names=None,
        **kwargs,
    ):
        num_classes = check_classes(num_classes, class_names)
        image_shape = _check_image_shape(image_shape, image_size)
        validation.check_choice("backbone", backbone, BACKBONES)
        validation.check_int("depth", depth, minimum=1, maximum=6)
        # The last stage has width * 2**(depth - 1) channels.
        validation.check_size(
            "width", width, validation.MAX_UNITS // 2 ** (int(depth) - 1)
        )
        validation.check_size("blocks", blocks, validation.MAX_LAYERS)
        validation.check_float("se_ratio", se_ratio, minimum=0.0, maximum=1.0)
        validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=1.0, include_max=False
        )
        validation.check_float("mixup", mixup, minimum=0.0)
        validation.check_float(
            "label_smoothing",
            label_smoothing,
            minimum=0.0,
            maximum=1.0,
            include_max=False,
        )
        validation.check_float("learning_rate", learning_rate, minimum=0.0)
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
        channels = image_shape[-1]

        # === Layers ===
        rescale = keras.layers.Rescaling(1.0 / 255.0, name="rescale")
        resize = (
            keras.layers.Resizing(*[int(s) for s in image_size], name="resize")
            if image_size is not None
            else None
        )
        augmenters = _augmentation_layers(augmentation_list, channels)
        head_dropout = keras.layers.Dropout(float(dropout), name="head_dropout")
        head = keras.layers.Dense(
            num_classes, activation="softmax", dtype="float32", name="predictions"
        )

        # === Functional Model ===
        inputs = keras.Input(shape=image_shape, name="image")
        x = rescale(inputs)
        if resize is not None:
            x = resize(x)
        for layer in augmenters:
            x = layer(x)
        if backbone == "resnet_se":
            x = keras.layers.Conv2D(
                int(width), 3, padding="same", use_bias=False, name="stem_conv"
            )(x)
            x = keras.layers.BatchNormalization(
                momentum=utils.BN_MOMENTUM, name="stem_bn"
            )(x)
            x = keras.layers.Activation("relu", name="stem_act")(x)
            for stage in range(int(depth)):
                filters = int(width) * 2**stage
                for block in range(int(blocks)):
                    strides = 2 if stage > 0 and block == 0 else 1
                    x = ResidualBlock(
                        filters,
                        strides=strides,
                        se_ratio=float(se_ratio) or None,
                        name=f"stage{stage}_block{block}",
                    )(x)
            x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        else:
            x = _application_backbone(backbone, x, channels, size)
        outputs = head(head_dropout(x))
        super().__init__(
            inputs=inputs, outputs=outputs, class_names=class_names, **kwargs
        )

        # === Config ===
        self.num_classes = num_classes
        self.image_shape = tuple(image_shape)
        self.image_size = None if image_size is None else tuple(image_size)
        self.backbone = backbone
        self.width = width
        self.depth = depth
        self.blocks = blocks
        self.se_ratio = se_ratio
        self.dropout = dropout
        self.augmentation = augmentation
        self.mixup = mixup
        self.label_smoothing = label_smoothing
        self.learning_rate = learning_rate
        self.compile()

    # Soft targets (label smoothing, MixUp) need one-hot labels in the pipeline.
    def _one_hot(self):
        return bool(self.label_smoothing) or bool(self.mixup)

    def default_loss(self):
        if self._one_hot():
            return keras.losses.CategoricalCrossentropy(
                label_smoothing=float(self.label_smoothing)
            )
        return keras.losses.SparseCategoricalCrossentropy()

    def default_metrics(self):
        if self._one_hot():
            return [keras.metrics.CategoricalAccuracy(name="accuracy")]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def preprocess_batch(self, x, y=None):
        if y is None or not self._one_hot():
            return x if y is None else (x, y)

        return x, tf.one_hot(tf.cast(y, "int32"), self.num_classes)

    def _needs_batch_map(self):
        return self._one_hot()

    def make_dataset(
        self, data, batch_size=None, training=False, seed=None, first_pass=0
    ):
        ds = super().make_dataset(
            data, batch_size, training=training, seed=seed, first_pass=first_pass
        )
        if training and self.mixup:
            mix = keras.layers.MixUp(alpha=float(self.mixup), seed=seed)

            def apply(x, y):
                out = mix({"images": x, "labels": y}, training=True)
                return out["images"], out["labels"]

            ds = ds.map(apply, num_parallel_calls=tf.data.AUTOTUNE)
        return ds

    def check_x(self, x, name="x"):
        x = validation.as_array(name, x)
        validation.check_not_empty(name, x)
        if x.ndim == 3 and self.image_shape[-1] == 1:
            x = x[..., None]
        validation.check_rank(name, x, (4,), "batch of images (N, H, W, C)")
        expected = self.image_shape
        got = x.shape[1:]
        if any(e is not None and e != g for e, g in zip(expected, got)):
            raise ValueError(
                f"`{name}` must hold images of shape {expected}. "
                f"Received: {name} with shape {x.shape}"
            )
        if x.dtype.kind not in "uifb":
            raise TypeError(
                f"`{name}` must hold numeric pixel values. "
                f"Received: {name} of dtype {x.dtype}"
            )
        validation.check_finite(name, x)
        return x.astype("float32", copy=False)

    def onnx_core(self):
        """ONNX export protocol (see `keras_recipes.export.onnx`).

        Rescaling and resizing are ONNX ops and augmentation is off at
        inference, so the whole model is the core: raw pixels in, no sidecar.
        """
        return self, None, None

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "image_shape": self.image_shape,
                "image_size": self.image_size,
                "backbone": self.backbone,
                "width": self.width,
                "depth": self.depth,
                "blocks": self.blocks,
                "se_ratio": self.se_ratio,
                "dropout": self.dropout,
                "augmentation": self.augmentation,
                "mixup": self.mixup,
                "label_smoothing": self.label_smoothing,
                "learning_rate": self.learning_rate,
            }
        )
        return config

    @classmethod
    def search_space(cls, hp, fixed=None):
        """Default KerasTuner search space for `kr.tune`.

        `width` and `depth` shape the `"resnet_se"` backbone only: with an
        application `backbone` among the `fixed` arguments they are not
        declared (they would change nothing).

        Args:
            hp: a KerasTuner `HyperParameters`.
            fixed: constructor arguments every trial pins (`model_kwargs`).

        Returns:
            A dict of constructor arguments drawn from `hp`.
        """
        space = {}
        if (fixed or {}).get("backbone", "resnet_se") == "resnet_se":
            space["width"] = hp.Choice("width", [16, 32, 64])
            space["depth"] = hp.Int("depth", 2, 4)
        space["dropout"] = hp.Float("dropout", 0.0, 0.5, step=0.1)
        space["learning_rate"] = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        return space


def _check_image_shape(image_shape, image_size):
    if image_shape is None or not isinstance(image_shape, tuple | list):
        raise ValueError(
            "`image_shape` must be a (height, width, channels) tuple. "
            f"Received: image_shape={image_shape!r}"
        )
    shape = tuple(None if s is None else s for s in image_shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    ok = (
        len(shape) == 3
        and shape[-1] in (1, 3)
        and all(
            s is None or (isinstance(s, int | np.integer) and s > 0) for s in shape[:2]
        )
    )
    for side in (*shape[:2], *(image_size or ())):
        if ok and side is not None and isinstance(side, int | np.integer):
            if side > validation.MAX_IMAGE_SIDE:
                raise ValueError(
                    f"`image_shape` and `image_size` sides must be <= "
                    f"{validation.MAX_IMAGE_SIDE} pixels (a "
                    "sanity bound on model size). Received: "
                    f"image_shape={image_shape!r}, image_size={image_size!r}"
                )
    if not ok:
        raise ValueError(
            "`image_shape` must be (height, width, channels) with positive sizes "
            f"and 1 or 3 channels. Received: image_shape={image_shape!r}"
        )
    if None in shape[:2] and image_size is None:
        raise ValueError(
            "`image_shape` with unknown height/width needs `image_size=` to resize "
            f"to. Received: image_shape={image_shape!r}, image_size=None"
        )
    if image_size is not None and (
        len(image_size) != 2
        or not all(isinstance(s, int | np.integer) and s > 0 for s in image_size)
    ):
        raise ValueError(
            "`image_size` must be a (height, width) pair of positive integers. "
            f"Received: image_size={image_size!r}"
        )
    return tuple(None if s is None else int(s) for s in shape)


def _check_augmentation(augmentation):
    if augmentation is None or augmentation is False:
        return ()
    if augmentation == "default":
        return DEFAULT_AUGMENTATION
    if isinstance(augmentation, str):
        augmentation = [augmentation]
    if not isinstance(augmentation, list | tuple):
        raise TypeError(
            "`augmentation` must be 'default', None or a list of names from "
            f"{list(AUGMENTATIONS)}. Received: augmentation={augmentation!r}"
        )
    for name in augmentation:
        validation.check_choice("augmentation", name, AUGMENTATIONS)
    return tuple(augmentation)


def _augmentation_layers(names, channels):
    factories = {
        "flip": lambda: keras.layers.RandomFlip("horizontal", name="aug_flip"),
        "rotation": lambda: keras.layers.RandomRotation(0.05, name="aug_rotation"),
        "zoom": lambda: keras.layers.RandomZoom(0.1, name="aug_zoom"),
        "contrast": lambda: keras.layers.RandomContrast(
            0.2, value_range=(0, 1), name="aug_contrast"
        ),
        "translation": lambda: keras.layers.RandomTranslation(
            0.1, 0.1, name="aug_translation"
        ),
        "randaugment": lambda: keras.layers.RandAugment(
            value_range=(0, 1), name="aug_randaugment"
        ),
    }
    if "randaugment" in names and channels != 3:
        raise ValueError(
            "`augmentation='randaugment'` needs RGB images (3 channels). "
            f"Received: images with {channels} channel(s)"
        )
    return [factories[name]() for name in names]


def _application_backbone(name, x, channels, size):
    class_name, scale = APPLICATION_BACKBONES[name]
    if channels == 1:
        x = keras.layers.Concatenate(name="gray_to_rgb")([x, x, x])
    if scale == "raw":
        x = keras.layers.Rescaling(255.0, name="to_raw_range")(x)
    elif scale == "symmetric":
        x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_symmetric_range")(x)
    constructor = getattr(keras.applications, class_name)
    net = constructor(
        include_top=False,
        weights=None,
        input_shape=(int(size[0]), int(size[1]), 3),
        pooling="avg",
    )
    return net(x)


def image_classifier(
    num_classes=None,
    image_shape=None,
    data=None,
    class_names=None,
    strategy=None,
    seed=None,
    **kwargs,
):
    """Builds a compiled `ImageClassifier`, inferring what it can from `data`.

    Args:
        num_classes: number of classes; inferred from `data` when omitted.
        image_shape: `(height, width, channels)`; inferred from `data`.
        data: `(images, labels)`, or a `kr.data.Data` such as
            `kr.data.image_folder("photos/")`. Checked as `fit` checks it,
            with `fit`'s messages naming `data` (a NaN pixel fails here).
        class_names: class names; inferred from string labels or folders.
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`; the model is built and compiled in
            its scope.
        seed: optional seed for weight initialisation (`kr.set_seed`).
        **kwargs: any `ImageClassifier` argument (`width`, `depth`, ...).

    Returns:
        A compiled `kr.tasks.ImageClassifier`.

    Example:

    >>> import keras_recipes as kr
    >>> model = kr.image_classifier(num_classes=10, image_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 10)
    """

    if data is not None:
        data, inferred_shape, inferred_classes, inferred_names = _infer_from_data(data)
        image_shape = image_shape or inferred_shape
        class_names = class_names or inferred_names
        num_classes = num_classes or inferred_classes
    if num_classes is None and class_names is not None:
        num_classes = len(class_names)
    if num_classes is None:
        raise ValueError(
            "`num_classes` is required when it cannot be inferred from `data`. "
            "Received: num_classes=None, data=None"
        )
    if seed is not None:
        set_seed(seed)
    with get_strategy(strategy).scope():
        model = ImageClassifier(
            num_classes=num_classes,
            image_shape=image_shape,
            class_names=class_names,
            **kwargs,
        )
    if data is not None:
        check_factory_data(model, data)
    return model


def _infer_from_data(data):
    """`(data, image_shape, num_classes, class_names)`; a pair as arrays."""
    if isinstance(data, Data):
        if data.x is None:
            raise ValueError(
                "`data` as a tf.data.Dataset cannot be inspected; pass "
                "`num_classes=` and `image_shape=`. Received: data=tf.data.Dataset"
            )
        shape = data.info.get("image_shape") or tuple(np.shape(data.x)[1:])
        names = data.class_names
        if names is not None:
            return data, shape, len(names), names
        num_classes, names = validation.infer_classes(
            "data.y", data.y, regressor="kr.image_regressor"
        )
        return data, shape, num_classes, names
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(
            "`data` must be an (images, labels) pair or a kr.data.Data. "
            f"Received: data of type {type(data).__name__}"
        )
    x, y = data
    x = validation.as_array("data[0]", x)
    validation.check_not_empty("data[0]", x)
    validation.check_rank("data[0]", x, (3, 4), "batch of images (N, H, W[, C])")
    y = validation.as_array("data[1]", y)
    validation.check_same_length("data[0]", x, "data[1]", y)
    num_classes, names = validation.infer_classes(
        "data[1]", y, regressor="kr.image_regressor"
    )
    shape = tuple(int(s) for s in x.shape[1:])
    if len(shape) == 2:
        shape = (*shape, 1)
    return (x, y), shape, num_classes, names
