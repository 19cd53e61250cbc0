"""The image templates' shared graph: raw pixels in, pooled features out.

`image_features` builds the input side of every image task (the
classifier's head, or another task's, goes on top): a raw-pixel input,
rescaling to [0, 1], resizing to the model's size, augmentation (active in
training only) and a backbone ending in global average pooling.

When `image_size` is given the input's height and width are `None`: the
`keras.layers.Resizing` layer is part of the graph, so the model (saved,
loaded, exported to SavedModel or ONNX) takes images of any size.
"""

import keras

from keras_recipes import utils
from keras_recipes.layers.conv_blocks import ResidualBlock

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


def image_features(
    image_shape,
    image_size=None,
    backbone="resnet_se",
    width=32,
    depth=3,
    blocks=1,
    se_ratio=0.25,
    augmentation=(),
):
    """Builds `(inputs, pooled_features)`: the image templates' shared graph.

    Arguments are checked by the template (`ImageClassifier.__init__`).

    Args:
        image_shape: `(height, width, channels)` of the raw input.
        image_size: `(height, width)` to resize to inside the model, or
            `None` (the input then has the fixed `image_shape`). With a size,
            the input takes any height and width: `(None, None, channels)`.
        backbone: `"resnet_se"` or a `keras.applications` name.
        width, depth, blocks, se_ratio: the `"resnet_se"` backbone's shape.
        augmentation: names from `AUGMENTATIONS` (checked).

    Returns:
        `(inputs, features)`: the `keras.Input` and the pooled feature
        tensor `(batch, features)`.

    Example:

    >>> inputs, features = image_features((None, None, 3), (16, 16), width=4)
    >>> inputs.shape, features.shape
    ((None, None, None, 3), (None, 16))
    """
    channels = image_shape[-1]
    size = image_size or image_shape[:2]
    shape = (None, None, channels) if image_size is not None else image_shape
    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    if image_size is not None:
        x = keras.layers.Resizing(*[int(s) for s in image_size], name="resize")(x)
    for layer in _augmentation_layers(augmentation, channels):
        x = layer(x)
    if backbone == "resnet_se":
        x = keras.layers.Conv2D(
            int(width), 3, padding="same", use_bias=False, name="stem_conv"
        )(x)
        x = keras.layers.BatchNormalization(momentum=utils.BN_MOMENTUM, name="stem_bn")(
            x
        )
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
    return inputs, x


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
