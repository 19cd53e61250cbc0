"""Crafted `.keras` files: a real saved model with its archive edited.

Shared by tests/test_saving_safety.py and the bad-input corpus. Each helper
takes the path of a real `.keras` file and writes a new file at `dst`.
"""

import json
import os
import zipfile

import keras

ENTRIES = ("metadata.json", "config.json", "model.weights.h5")


def read_entries(src):
    with zipfile.ZipFile(src) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_entries(dst, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(dst, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return dst


def config_of(src):
    return json.loads(read_entries(src)["config.json"])


def with_config(src, dst, edit):
    """A copy of `src` whose config.json is `edit(config)` (or edited in place)."""
    entries = read_entries(src)
    config = json.loads(entries["config.json"])
    edited = edit(config)
    config = config if edited is None else edited
    text = config if isinstance(config, str | bytes) else json.dumps(config)
    entries["config.json"] = text
    return write_entries(dst, entries)


def with_model_args(src, dst, **changes):
    """A copy of a template's file with constructor arguments changed."""
    return with_config(src, dst, lambda c: c["config"].update(changes))


def without(src, dst, name):
    entries = read_entries(src)
    del entries[name]
    return write_entries(dst, entries)


def with_extra_entry(src, dst, name, data=b"x"):
    entries = read_entries(src)
    entries[name] = data
    return write_entries(dst, entries)


def truncated(src, dst, keep):
    data = open(src, "rb").read()
    with open(dst, "wb") as file:
        file.write(data[:keep])  # keep < 0: drop the last -keep bytes
    return dst


def bit_flipped(src, dst, entry):
    """Flips one bit inside an entry's stored bytes (its CRC no longer holds)."""
    data = bytearray(open(src, "rb").read())
    with zipfile.ZipFile(src) as archive:
        info = archive.getinfo(entry)
    # Local header: 30 bytes + name + extra, then the stored data.
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x10
    with open(dst, "wb") as file:
        file.write(bytes(data))
    return dst


def bomb(src, dst, entry, size, fill=b" "):
    """`entry` replaced by `size` bytes of `fill`, deflated (a few KB on disk).

    For config.json the fill is valid JSON padding around the real config.
    """
    entries = read_entries(src)
    chunk = fill * 2**20
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            if name != entry:
                archive.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as out:
                if name == "config.json":
                    out.write(data)  # valid JSON, then whitespace
                written = 0
                while written < size:
                    out.write(chunk)
                    written += len(chunk)
    return dst


def deep_config(src, dst, depth):
    """config.json holding a list nested `depth` deep under the model's config."""
    config = json.loads(read_entries(src)["config.json"])
    marker = '"__DEEP__"'
    config["config"]["name"] = "__DEEP__"
    text = json.dumps(config).replace(marker, "[" * depth + "]" * depth)
    return with_config(src, dst, lambda c: text)


def function_ref(module, name):
    return {
        "module": module,
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def lambda_layer(function, arguments=None, name="evil"):
    """The config of a Lambda layer, as Keras writes it, naming `function`."""
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "function": function,
            "arguments": arguments or {},
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, 3]},
        "inbound_nodes": [],
    }


BYTECODE = {
    "class_name": "__lambda__",
    "config": {"value": "4wEAAAAAAAAAAAAAAAEAAAADAAAA8wgAAACXAHwAZAF6BQAAUwApAk7p"},
}


def functional_model_file(path):
    """A small plain Keras model (Dense) saved at `path`."""
    inputs = keras.Input((3,), name="x")
    outputs = keras.layers.Dense(2, name="dense")(inputs)
    keras.Model(inputs, outputs).save(path)
    return path


def with_layer(src, dst, layer):
    """A copy of a functional model's file with `layer` added to its layers."""
    return with_config(src, dst, lambda c: c["config"]["layers"].append(layer))


def global_state():
    """What a refused load must leave alone."""
    return (
        keras.config.floatx(),
        keras.config.dtype_policy().name,
        keras.config.image_data_format(),
        keras.config.backend(),
        keras.config.epsilon(),
    )


def files_under(folder):
    return sorted(
        os.path.relpath(os.path.join(d, f), folder)
        for d, _, files in os.walk(folder)
        for f in files
    )


# ---------------------------------------------- for the bad-input corpus
def beside(out, name):
    """A path next to a corpus case's output folder (not inside it)."""
    return os.path.join(out, "..", f"{os.path.basename(out)}-{name}")


def empty(dst):
    open(dst, "wb").close()
    return dst


def folder(dst):
    os.makedirs(dst)
    return dst


def fifo(dst):
    os.mkfifo(dst)
    return dst


def saved(c, kind):
    """The corpus' shared models, each saved once next to `c.model_path`."""
    path = os.path.join(os.path.dirname(c.model_path), f"corpus-{kind}.keras")
    if not os.path.exists(path):
        if kind == "functional":
            functional_model_file(path)
        else:
            models = {"image": c.image, "text": c.text, "tabular": c.tabular}
            models["seq2seq"] = c.s2s
            models[kind].save(path)
    return path


def lambda_file(c, out, module, name, arguments=None):
    layer = lambda_layer(function_ref(module, name), arguments)
    return with_layer(saved(c, "functional"), beside(out, "m.keras"), layer)


def layer_file(c, out, module, class_name, registered=None, config=None):
    layer = {
        "module": module,
        "class_name": class_name,
        "config": config or {"name": "x"},
        "registered_name": registered,
    }
    return with_layer(saved(c, "functional"), beside(out, "m.keras"), layer)


def args_file(c, out, kind, **changes):
    return with_model_args(saved(c, kind), beside(out, "m.keras"), **changes)


def edited(c, out, edit, kind="image"):
    return with_config(saved(c, kind), beside(out, "m.keras"), edit)


def loss_is(function):
    def edit(config):
        config["compile_config"]["loss"] = function

    return edit
