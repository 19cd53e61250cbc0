"""The package's layers, read from its imports: no module imports upwards.

The layers, lowest first (`docs/architecture.md` draws them). A module may
import from its own layer and the ones below, never from a layer above, at
the top of the module or inside a function. That keeps the import graph free
of cycles across layers; within a layer the graph must be acyclic too.

    0 base        validation, utils, protocol, quiet
    1 data        data, datasets
    2 components  layers, losses, metrics, regularizers, schedules,
                  optimizers, samplers
    3 machinery   callbacks, export, plots, interpret, predictions,
                  distribute
    4 tasks       tasks, addons
    5 workflows   tuning, serving, registry (task and dataset names; it
                  imports a template by its string name when asked)
    6 recipes     recipe, recipe_schema
    7 entry       cli, saving (and saving_allow_list), the package itself,
                  and the subcommands that live beside the code they drive
                  (export.cli, distribute.launch)

Function-local imports are kept for optional or heavy third-party packages
(`LAZY_THIRD_PARTY`: what `import keras_recipes` must not pay for), for our
modules that import one of those at their top, and in the few modules
`LAZY_MODULES` names, each with its reason.
"""

import ast
import pathlib
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_recipes"

LAYERS = [
    ("validation", "utils", "protocol", "quiet"),
    ("data", "datasets"),
    (
        "layers",
        "losses",
        "metrics",
        "regularizers",
        "schedules",
        "optimizers",
        "samplers",
    ),
    ("callbacks", "export", "plots", "interpret", "predictions", "distribute"),
    ("tasks", "addons"),
    ("tuning", "serving", "registry"),
    ("recipe", "recipe_schema"),
    ("cli", "saving", "saving_allow_list", "export.cli", "distribute.launch"),
]

# Modules whose imports inside functions are all deliberate, and why.
LAZY_MODULES = {
    # Registers every serializable class before loading; a top-level import
    # would import the package from inside its own __init__.
    "keras_recipes.saving": "registers the package's classes at load time",
    "keras_recipes.cli": "--help and argument errors must not wait for TensorFlow",
}

# Third-party packages that may be imported inside functions: optional or
# heavy ones that `import keras_recipes` must not pay for.
LAZY_THIRD_PARTY = {
    "babel",
    "grpc",
    "keras_tuner",
    "matplotlib",
    "onnx",
    "onnxruntime",
    "palmerpenguins",
    "pandas",
    "PIL",
    "rich",
    "sacrebleu",
    "sklearn",
    "tensorboard",
    "tf2onnx",
    "yaml",
}


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module):
    """The layer of `keras_recipes.x.y`: that of its longest listed prefix."""
    name = module.removeprefix("keras_recipes").removeprefix(".")
    if not name:  # the package's __init__: the public surface, on top
        return len(LAYERS) - 1
    best, best_length = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if len(prefix) > best_length:
                    best, best_length = index, len(prefix)
    return best


def imports(tree, module):
    """`(lineno, imported name, is_top_level)` of every import in `tree`."""
    top = set()
    for node in tree.body:
        nodes = [node]
        if isinstance(node, ast.If | ast.Try):
            nodes = list(ast.walk(node))
        top.update(id(n) for n in nodes)
    package = module if is_package(module) else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            names = [resolve(base, alias.name) for alias in node.names]
        else:
            continue
        for name in names:
            found.append((node.lineno, name, id(node) in top))
    return found


def is_package(module):
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.is_dir()


def resolve(base, name):
    """`from base import name`: the submodule if `name` is one, else `base`."""
    candidate = f"{base}.{name}"
    path = PACKAGE.parent.joinpath(*candidate.split("."))
    if path.is_dir() or path.with_suffix(".py").exists():
        return candidate
    return base


def own(name):
    return name == "keras_recipes" or name.startswith("keras_recipes.")


def package_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        yield module, ast.parse(path.read_text(), str(path))


MODULES = dict(package_modules())


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if layer_of(m) is None]
    assert not missing, f"add these modules to LAYERS: {missing}"


def upward_imports(modules):
    found = []
    for module, tree in modules.items():
        for lineno, name, _ in imports(tree, module):
            if own(name) and layer_of(name) > layer_of(module):
                found.append(
                    f"{module}:{lineno} imports {name} (layer {layer_of(name)} "
                    f"above its own {layer_of(module)})"
                )
    return found


def test_no_module_imports_from_a_layer_above():
    assert upward_imports(MODULES) == []


def import_graph(modules):
    graph = {module: set() for module in modules}
    for module, tree in modules.items():
        for _, name, _ in imports(tree, module):
            # `import keras_recipes` (saving's lazy registration) reaches the
            # public surface, not a module that could be half-imported.
            if own(name) and name in graph and name not in (module, "keras_recipes"):
                graph[module].add(name)
    return graph


def find_cycle(graph):
    """One cycle of `graph` as a list of nodes, or `None`."""
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target, stack)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def test_the_import_graph_has_no_cycle():
    # A package's __init__ importing its own submodules is its job; a
    # submodule importing its package's __init__ back would close a cycle.
    assert find_cycle(import_graph(MODULES)) is None


def heavy_modules(modules):
    """Our modules that import a `LAZY_THIRD_PARTY` package at their top."""
    return {
        module
        for module, tree in modules.items()
        if any(
            top_level and name.split(".")[0] in LAZY_THIRD_PARTY
            for _, name, top_level in imports(tree, module)
        )
    }


def test_function_local_imports_are_for_heavy_or_optional_packages():
    # A heavy package may also be reached through one of our modules that
    # imports it at its top (`tuning.tuners` and KerasTuner).
    heavy = heavy_modules(MODULES)
    found = []
    for module, tree in MODULES.items():
        for lineno, name, top_level in imports(tree, module):
            if top_level:
                continue
            if module in LAZY_MODULES or name in heavy:
                continue
            if own(name) or name.split(".")[0] not in LAZY_THIRD_PARTY:
                found.append(f"{module}:{lineno} imports {name} in a function")
    assert found == []


def test_the_checks_catch_an_upward_import_and_a_cycle():
    # The layering test itself: a data module importing a task, and two
    # modules importing each other, are both reported.
    modules = dict(MODULES)
    modules["keras_recipes.data.pipeline"] = ast.parse(
        "from keras_recipes.tasks.task import Task\n"
    )
    assert any("data.pipeline:1 imports" in line for line in upward_imports(modules))
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    modules = {
        "keras_recipes.export.onnx": ast.parse("import keras_recipes.export.seq\n"),
        "keras_recipes.export.seq": ast.parse(
            "def f():\n    from keras_recipes.export import onnx\n"
        ),
    }
    assert find_cycle(import_graph(modules)) is not None


@pytest.mark.parametrize(
    "module, layer",
    [
        ("keras_recipes", 7),
        ("keras_recipes.validation", 0),
        ("keras_recipes.data.pipeline", 1),
        ("keras_recipes.export.onnx", 3),
        ("keras_recipes.export.cli", 7),
        ("keras_recipes.tasks.task", 4),
    ],
)
def test_layer_of(module, layer):
    assert layer_of(module) == layer
