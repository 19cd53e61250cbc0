"""`kr.addons`: TF Addons names mapped to working Keras 3 objects.

`tensorflow-addons` does not import with Keras 3. Replace
`import tensorflow_addons as tfa` with `from keras_recipes import addons as
tfa`, or import a submodule::

    from keras_recipes.addons import losses as tfa_losses
    loss = tfa_losses.SigmoidFocalCrossEntropy()

Each name resolves to native Keras where it exists (`AdamW`,
`GroupNormalization`, `SpectralNormalization`, `F1Score`, ...), to a
keras_recipes object otherwise (`Lookahead`, `CohenKappa`,
`WeightNormalization`, ...), through a shim accepting TF Addons' argument
names where they differ. Names not carried over raise
`NotCarriedOverError` naming the replacement. The full table is in
`docs/addons.md` (`markdown_table()` generates it).

Example:

>>> from keras_recipes.addons import optimizers as tfa_optimizers
>>> type(tfa_optimizers.AdamW(weight_decay=1e-4)).__name__
'AdamW'
>>> from keras_recipes.addons import layers as tfa_layers
>>> tfa_layers.Maxout
Traceback (most recent call last):
...
keras_recipes.addons.NotCarriedOverError: tfa.layers.Maxout is not carried over to Keras 3 by keras_recipes.addons. Use instead: keras.layers.Dense + keras.ops.max over a reshape.
"""  # noqa: E501

from keras_recipes.addons import activations
from keras_recipes.addons import callbacks
from keras_recipes.addons import layers
from keras_recipes.addons import losses
from keras_recipes.addons import metrics
from keras_recipes.addons import optimizers
from keras_recipes.addons._mapping import ENTRIES
from keras_recipes.addons._mapping import NotCarriedOverError
from keras_recipes.addons._mapping import markdown_table

__all__ = [
    "ENTRIES",
    "NotCarriedOverError",
    "activations",
    "callbacks",
    "layers",
    "losses",
    "markdown_table",
    "metrics",
    "optimizers",
]
