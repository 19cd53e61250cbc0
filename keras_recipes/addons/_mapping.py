"""The TF Addons -> Keras 3 mapping behind `keras_recipes.addons`.

Each entry maps a `tensorflow_addons.<module>.<Name>` to a Keras 3 object
(`native`), a keras_recipes object (`ours`), a small shim that accepts TF
Addons' argument names and returns one of those (`shim`), or to nothing
(`removed`), in which case using the name raises `NotCarriedOverError` that
names the replacement. The shims and rows of each TF Addons submodule live
in `keras_recipes/addons/_tables/<module>.py`; this module joins them.
"""

from keras_recipes.addons._base import NotCarriedOverError
from keras_recipes.addons._tables import activations
from keras_recipes.addons._tables import callbacks
from keras_recipes.addons._tables import layers
from keras_recipes.addons._tables import losses
from keras_recipes.addons._tables import metrics
from keras_recipes.addons._tables import optimizers

MODULES = ("losses", "metrics", "layers", "optimizers", "callbacks", "activations")

# (module, TFA name) -> (kind, target shown in the docs, loader or None)
ENTRIES = {
    **losses.ENTRIES,
    **metrics.ENTRIES,
    **layers.ENTRIES,
    **optimizers.ENTRIES,
    **callbacks.ENTRIES,
    **activations.ENTRIES,
}


def resolve(module, name):
    """Returns the object for `tfa.<module>.<name>` or raises with the fix."""
    kind, target, load = ENTRIES[(module, name)]
    if kind == "removed":
        raise NotCarriedOverError(
            f"tfa.{module}.{name} is not carried over to Keras 3 by "
            f"keras_recipes.addons. Use instead: {target}."
        )
    return load()


def module_getattr(module):
    """Builds the module-level `__getattr__` of `keras_recipes.addons.<module>`."""

    def __getattr__(name):
        if (module, name) in ENTRIES:
            return resolve(module, name)
        raise AttributeError(
            f"module 'keras_recipes.addons.{module}' has no attribute {name!r}"
        )

    return __getattr__


def module_names(module):
    return sorted(n for (m, n) in ENTRIES if m == module)


def markdown_table():
    """The mapping as the Markdown table of `docs/addons.md`."""
    lines = [
        "| TF Addons name | Status | Use in Keras 3 |",
        "| --- | --- | --- |",
    ]
    labels = {
        "native": "native Keras",
        "ours": "keras_recipes",
        "shim": "shim (TFA argument names)",
        "removed": "not carried over",
    }
    for module in MODULES:
        for name in module_names(module):
            kind, target, _ = ENTRIES[(module, name)]
            lines.append(f"| `tfa.{module}.{name}` | {labels[kind]} | `{target}` |")
    return "\n".join(lines) + "\n"
