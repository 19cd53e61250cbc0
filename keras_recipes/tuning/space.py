"""Search spaces for `kr.tune`: task defaults, user overrides, validation."""

import inspect
import numbers

from keras_recipes import validation

# Factory arguments that kr.tune sets itself and that are never tuned.
RESERVED = ("data", "strategy", "seed")
HP_METHODS = ("Boolean", "Choice", "Fixed", "Float", "Int")


def _hp_classes():
    from keras_tuner.engine import hyperparameters as hp_module

    return hp_module.HyperParameter


class _SkippingHyperParameters:
    """Proxy of a KerasTuner `HyperParameters` that ignores some names.

    The default space of a task (`Task.search_space(hp, fixed)`) declares the
    hyperparameters it knows. Names the user overrides or pins must not be
    registered (they would show up in the search space and the HParams
    domain), so the proxy answers `None` for them without registering. A
    hyperparameter with another name than the argument it feeds (the tabular
    template's `width` and `depth` give `hidden_units`) is the template's to
    leave out, using `fixed`; `SearchSpace.check` catches one left in.
    """

    def __init__(self, hp, skip):
        self._hp = hp
        self._skip = set(skip)

    def __getattr__(self, attr):
        target = getattr(self._hp, attr)
        if attr not in HP_METHODS:
            return target

        def method(name, *args, **kwargs):
            if name in self._skip:
                return None
            return target(name, *args, **kwargs)

        return method


def allowed_names(task_class, factory):
    """Constructor/factory argument names that a search space may set."""
    names = set()
    for fn in (getattr(task_class, "__init__", None), factory):
        if fn is None:
            continue
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        for param in params:
            if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                continue
            if param.name in ("self", *RESERVED):
                continue
            names.add(param.name)
    return names


def check_names(arg_name, names, allowed, task_class):
    """Raises a did-you-mean `ValueError` for names the task does not take."""
    for name in names:
        if name not in allowed:
            owner = getattr(task_class, "__name__", "the task")
            raise ValueError(
                f"`{arg_name}` names an argument that {owner} does not take: "
                f"{name!r}.{validation.did_you_mean(name, allowed)} Valid names: "
                f"{sorted(allowed)}. Received: {arg_name} key {name!r}"
            )


def register(hp, name, spec):
    """Registers one user spec on `hp` and returns the drawn value.

    Args:
        hp: a KerasTuner `HyperParameters`.
        name: the constructor argument name (used as the hyperparameter name).
        spec: a list (`hp.Choice`), a `(low, high)` tuple (`hp.Int` when both
            are integers, else `hp.Float`, log-sampled when `0 < low` and
            `high / low >= 100`), a dict `{"min": .., "max": .., "step": ..,
            "sampling": ..}` (same rule, the YAML form of a tuple), a
            KerasTuner hyperparameter object (`keras_tuner.engine.
            hyperparameters.Int(...)`, registered under its own name), or a
            plain scalar (`hp.Fixed`).
    """
    hp_base = _hp_classes()
    if isinstance(spec, hp_base):
        config = spec.get_config()
        config.pop("conditions", None)
        config["name"] = config.get("name") or name
        return getattr(hp, type(spec).__name__)(**config)
    if isinstance(spec, list):
        if not spec:
            raise ValueError(
                f"`search_space[{name!r}]` must list at least one value. "
                f"Received: search_space[{name!r}]=[]"
            )
        values = [_plain(v) for v in spec]
        bad = [v for v in values if not isinstance(v, bool | int | float | str)]
        if bad:
            raise ValueError(
                f"`search_space[{name!r}]` choices must be int, float, str or bool "
                "(KerasTuner's hp.Choice). For structured values such as layer "
                "lists, pass a `build(hp)` function as `search_space` that maps "
                "a choice to the value. "
                f"Received: search_space[{name!r}]={spec!r}"
            )
        if len(values) == 1:
            return hp.Fixed(name, values[0])
        return hp.Choice(name, values)
    if isinstance(spec, dict):
        unknown = set(spec) - {"min", "max", "step", "sampling", "default"}
        if unknown or "min" not in spec or "max" not in spec:
            raise ValueError(
                f"`search_space[{name!r}]` as a dict must have 'min' and 'max' "
                "(and optionally 'step', 'sampling', 'default'). "
                f"Received: search_space[{name!r}]={spec!r}"
            )
        return _range(
            hp,
            name,
            spec["min"],
            spec["max"],
            spec.get("step"),
            spec.get("sampling"),
            spec.get("default"),
        )
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise ValueError(
                f"`search_space[{name!r}]` as a tuple must be (low, high). "
                f"Received: search_space[{name!r}]={spec!r}"
            )
        return _range(hp, name, spec[0], spec[1])
    if spec is None or isinstance(spec, str | bool | numbers.Number):
        return hp.Fixed(name, _plain(spec))
    raise TypeError(
        f"`search_space[{name!r}]` must be a list (choice), a (low, high) tuple, "
        "a {'min', 'max'} dict, a KerasTuner hyperparameter or a fixed value. "
        f"Received: search_space[{name!r}] of type {type(spec).__name__}"
    )


def _takes_fixed(fn):
    try:
        return "fixed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _probe_values(param):
    """Values of a hyperparameter that `SearchSpace.check` tries."""
    kind = type(param).__name__
    if kind == "Boolean":
        return [False, True]
    if kind == "Choice":
        return list(param.values)
    if kind in ("Int", "Float"):
        return [param.min_value, param.max_value]
    return []


def _plain(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _range(hp, name, low, high, step=None, sampling=None, default=None):
    for label, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, numbers.Number):
            raise TypeError(
                f"`search_space[{name!r}]` bounds must be numbers. "
                f"Received: {label}={value!r}"
            )
    if not low < high:
        raise ValueError(
            f"`search_space[{name!r}]` needs low < high. Received: ({low!r}, {high!r})"
        )
    if sampling is None:
        sampling = "log" if low > 0 and high / low >= 100 else "linear"
    validation.check_choice(
        f"search_space[{name!r}] sampling",
        sampling,
        ("linear", "log", "reverse_log"),
    )
    is_int = all(isinstance(v, numbers.Integral) for v in (low, high)) and (
        step is None or isinstance(step, numbers.Integral)
    )
    if is_int:
        return hp.Int(
            name,
            int(low),
            int(high),
            step=None if step is None else int(step),
            sampling=sampling,
            default=default,
        )
    return hp.Float(
        name,
        float(low),
        float(high),
        step=None if step is None else float(step),
        sampling=sampling,
        default=default,
    )


class SearchSpace:
    """The search space of one `kr.tune` call: task default + user overrides.

    Args:
        task_class: the task class (its `search_space(hp)` classmethod gives
            the default space; may be `None`).
        factory: the factory function (its argument names are valid keys).
        search_space: `None` (task default), a dict of overrides/extensions
            (see `register`), or a callable `fn(hp) -> dict` of constructor
            kwargs that replaces the default space.
        model_kwargs: fixed constructor kwargs; their names are removed from
            the default space.
    """

    def __init__(self, task_class, factory, search_space=None, model_kwargs=None):
        self.task_class = task_class
        self.factory = factory
        self.search_space = search_space
        self.model_kwargs = dict(model_kwargs or {})
        self.allowed = allowed_names(task_class, factory)
        check_names("model_kwargs", self.model_kwargs, self.allowed, task_class)
        for name in RESERVED:
            if name in self.model_kwargs:
                raise ValueError(
                    f"`model_kwargs` may not set {name!r}: pass it to kr.tune. "
                    f"Received: model_kwargs[{name!r}]"
                )
        if isinstance(search_space, dict):
            check_names("search_space", search_space, self.allowed, task_class)
            both = sorted(set(search_space) & set(self.model_kwargs))
            if both:
                raise ValueError(
                    f"{both} appear both in `search_space` (tuned) and "
                    "`model_kwargs` (fixed); keep each name in one of them. "
                    f"Received: search_space keys {sorted(search_space)}"
                )
        elif search_space is not None and not callable(search_space):
            raise TypeError(
                "`search_space` must be None, a dict or a function `fn(hp)` "
                "returning a dict of constructor arguments. "
                f"Received: search_space of type {type(search_space).__name__}"
            )

    def default_space(self, hp):
        """The task's default space drawn from `hp`, told the fixed values.

        A task's `search_space(hp, fixed=None)` classmethod gets the fixed
        constructor arguments (`model_kwargs`) as `fixed`, so it leaves out
        the hyperparameters they override (`hidden_units` pinned: no `width`
        or `depth`) or make unused (an application `backbone`: no `width`).
        A `search_space(hp)` without `fixed` is called with `hp` alone.
        """
        fn = getattr(self.task_class, "search_space", None)
        if fn is None:
            return {}
        if _takes_fixed(fn):
            return fn(hp, fixed=dict(self.model_kwargs)) or {}
        return fn(hp) or {}

    def check(self):
        """Raises a `ValueError` unless every searched hyperparameter is used.

        Draws the space once on a scratch `HyperParameters`, then each
        hyperparameter at the ends of its range (every value of a choice):
        one that changes no constructor argument of a trial (it feeds an
        argument that `model_kwargs` pins, or nothing) would be searched
        and reported while every trial trains the same model. Also rejects
        a `search_space` function that returns an argument `model_kwargs`
        fixes (the fixed value would silently win). Builds no model.
        """
        # keras_tuner is optional and heavy: loaded when a search is set up.
        import keras_tuner as kt

        def searched(hp):
            # The fixed values are the same objects in every draw.
            return {k: v for k, v in self(hp).items() if k not in self.model_kwargs}

        hp = kt.HyperParameters()
        base = searched(hp)
        for param in list(hp.space):
            if not hp.is_active(param) or type(param).__name__ == "Fixed":
                continue
            values = _probe_values(param)
            if len(set(values)) < 2:
                continue  # one value: nothing is searched
            drawn = []
            for value in values:
                probe = hp.copy()
                probe.values[param.name] = value
                drawn.append(searched(probe))
            if all(kwargs == base for kwargs in drawn):
                raise ValueError(
                    f"The search space declares the hyperparameter "
                    f"{param.name!r}, but no value of it changes the model's "
                    "constructor arguments: every trial would train the same "
                    "model while the search reports different values. Fixed "
                    f"arguments: {sorted(self.model_kwargs)}. Leave it out of "
                    "the space, or do not fix the argument it sets. "
                    f"Received: hyperparameter {param.name!r}"
                )

    def __call__(self, hp):
        """Draws constructor kwargs (tuned + fixed) from `hp`."""
        if callable(self.search_space) and not isinstance(self.search_space, dict):
            tuned = self.search_space(hp)
            if not isinstance(tuned, dict):
                raise TypeError(
                    "A `search_space` function must return a dict of "
                    "constructor arguments drawn from `hp`. Received: "
                    f"{type(tuned).__name__}"
                )
            check_names("search_space", tuned, self.allowed, self.task_class)
            both = sorted(set(tuned) & set(self.model_kwargs))
            if both:
                raise ValueError(
                    f"The `search_space` function returns {both}, which "
                    "`model_kwargs` fixes: the fixed value would win in every "
                    "trial. Keep each name in one of them. "
                    f"Received: search_space keys {sorted(tuned)}"
                )
        else:
            overrides = dict(self.search_space or {})
            skip = set(overrides) | set(self.model_kwargs)
            tuned = {
                k: v
                for k, v in self.default_space(
                    _SkippingHyperParameters(hp, skip)
                ).items()
                if k not in skip
            }
            for name, spec in overrides.items():
                tuned[name] = register(hp, name, spec)
        kwargs = {k: _plain(v) for k, v in tuned.items()}
        kwargs.update(self.model_kwargs)
        return kwargs
