"""What every image task accepts as input: arrays of any size, files, PIL images.

`ImageInputs` is a mixin for a `kr.tasks.Task` whose graph comes from
`kr.tasks.image_backbone.image_features` and that stores `image_shape` and
`image_size` (the image classifier; other image tasks reuse it): `fit`,
`evaluate` and `predict` then take batches of any height and width when the
model resizes, lists of arrays of different sizes, PIL images, image file
paths and folders (decoded in tf.data, upright by EXIF, see
`kr.data.images`).
"""

import numpy as np

from keras_recipes import validation
from keras_recipes.data import images
from keras_recipes.data.pipeline import Data


class ImageInputs:
    """Mixin: the image tasks' input checks and conversions (see the module)."""

    def input_size(self):
        """`(height, width)` the model computes at (`image_size` or the input's)."""
        return tuple(self.image_size or self.image_shape[:2])

    def check_x(self, x, name="x"):
        x = validation.as_array(name, x)
        validation.check_not_empty(name, x)
        channels = self.image_shape[-1]
        if x.ndim == 3 and channels == 1:
            x = x[..., None]
        validation.check_rank(name, x, (4,), "batch of images (N, H, W, C)")
        if channels == 3 and x.shape[-1] == 1:  # grayscale photos, RGB model
            x = np.repeat(x, 3, axis=-1)
        # With `image_size` the model resizes: any height and width.
        expected = (None, None, channels) if self.image_size else self.image_shape
        got = x.shape[1:]
        if any(e is not None and e != g for e, g in zip(expected, got)):
            hint = (
                ""
                if self.image_size or got[-1] != channels
                else " (this model was built without `image_size=`, so it does "
                "not resize; pass image files or resize the arrays first)"
            )
            raise ValueError(
                f"`{name}` must hold images of shape {expected}{hint}. "
                f"Received: {name} with shape {x.shape}"
            )
        if x.dtype.kind not in "uifb":
            raise TypeError(
                f"`{name}` must hold numeric pixel values. "
                f"Received: {name} of dtype {x.dtype}"
            )
        validation.check_finite(name, x)
        return x.astype("float32", copy=False)

    def _frame_to_inputs(self, x, name):
        """PIL images, and lists of images of different sizes, to one batch.

        PIL images are turned upright (`ImageOps.exif_transpose`) and resized
        to the model's size as image files are; a list of arrays of
        different sizes is resized when the model resizes (`image_size`).
        """
        if images.is_pil_input(x):  # decoded files: resized as files are
            arrays = images.pil_to_arrays(x, self.image_shape[-1])
            x = images.stack_images(arrays, self.input_size(), always=True)
        elif (
            self.image_size  # the model resizes: so may its input
            and isinstance(x, list | tuple)
            and x
            and all(np.ndim(i) == 3 for i in x)
        ):
            x = images.stack_images(x, self.input_size())
        return super()._frame_to_inputs(x, name)

    def to_data(self, x, y=None, name="x", with_labels=True):
        """`Task.to_data`, plus image files: a path, a list or a folder.

        Files are decoded in the tf.data pipeline (upright by their EXIF
        orientation, resized to the model's size like its `Resizing` layer).
        """
        if isinstance(x, tuple) and y is None and with_labels and len(x) == 2:
            if images.is_file_input(x[0]):
                x, y = x
        if not images.is_file_input(x):
            return super().to_data(x, y, name, with_labels)
        data = self._file_data(*images.list_image_files(x, name))
        if not with_labels:
            return data
        if y is None:
            raise ValueError(
                f"Labels are missing: pass `(x, y)` or `x=..., y=...`. "
                f"Received: {name} as image files without labels"
            )
        y = validation.as_array("y", y)
        validation.check_same_length(name, data.x, "y", y)
        return Data(x=data.x, y=self.encode_y(y, "y"), loader=data.loader)

    def _file_data(self, paths, headers):
        orientations = {p: h.orientation for p, h in zip(paths, headers)}
        loader = images.image_loader(
            self.input_size(),
            self.image_shape[-1],
            {p: o for p, o in orientations.items() if o != 1},
            dtype="float32",
        )
        return Data(x=np.asarray(paths), loader=loader)
