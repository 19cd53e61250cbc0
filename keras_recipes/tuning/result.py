"""`TuneResult`: what `kr.tune` returns (trials, best hyperparameters, model)."""


class TuneResult:
    """What `kr.tune` returns.

    Attributes:
        tuner: the KerasTuner tuner (full KerasTuner API: `oracle`,
            `get_best_models(n)`, `results_summary()`, ...).
        best_hyperparameters: KerasTuner `HyperParameters` of the best trial
            (`.values` is a plain dict), or `None` when no trial finished.
            Of trials with equal scores, the first started is the best (also
            when a finished search is loaded again).
        best_score: the best objective value, or `None`.
        best_model_kwargs: constructor kwargs (tuned + fixed) of the best
            trial: `factory(data=..., **best_model_kwargs)` rebuilds it.
        objective: the objective name.
        trials: list of dicts (`trial_id`, `status`, `score`, `values`) in
            start order.
        stopped_by_budget: whether the time budget ended the search.
        trials_run: trials that finished in this call (0 on a re-run of a
            finished search).
        elapsed: seconds spent in this call.
        trial_ids_run: ids of the trials that finished in this call (in
            this process).
        role: `"chief"` or `"worker"` in a distributed search, else `None`.
    """

    def __init__(self, tuner, space, elapsed, role=None):
        self.tuner = tuner
        self.objective = tuner.oracle.objective.name
        self.stopped_by_budget = tuner.stopped_by_budget
        self.trials_run = tuner.trials_run
        self.trial_ids_run = list(tuner.trial_ids_run)
        self.role = role
        self.elapsed = elapsed
        oracle = tuner.oracle
        self.trials = []
        for trial_id in oracle.start_order:
            trial = oracle.trials[trial_id]
            self.trials.append(
                {
                    "trial_id": trial.trial_id,
                    "status": str(trial.status),
                    "score": None if trial.score is None else float(trial.score),
                    "values": dict(trial.hyperparameters.values),
                }
            )
        # `tuners` imports keras_tuner, which `import keras_recipes` must
        # not load; a result only exists after a search has loaded it.
        from keras_recipes.tuning.tuners import best_trial

        self._best_trial = best_trial(oracle)
        if self._best_trial is None:
            self.best_hyperparameters = None
            self.best_score = None
            self.best_model_kwargs = None
        else:
            self.best_hyperparameters = self._best_trial.hyperparameters
            self.best_score = float(self._best_trial.score)
            self.best_model_kwargs = space(self.best_hyperparameters.copy())
        self._best_model = None

    @property
    def best_model(self):
        """The best finished trial's model, with its best-epoch weights."""
        if self._best_trial is None:
            return None
        if self._best_model is None:
            self._best_model = self.tuner.load_model(self._best_trial)
        return self._best_model

    @property
    def completed_trials(self):
        return sum(t["status"] == "COMPLETED" for t in self.trials)

    def summary(self, print_fn=None):
        """Prints a table of the trials, best first.

        Args:
            print_fn: function taking one string (default `print`).
        """
        print_fn = print_fn or print
        direction = self.tuner.oracle.objective.direction
        rows = sorted(
            self.trials,
            key=lambda t: (
                t["score"] is None,
                (-t["score"] if direction == "max" else t["score"])
                if t["score"] is not None
                else 0,
            ),
        )
        lines = [
            f"kr.tune: {len(self.trials)} trials ({self.completed_trials} "
            f"completed), objective {self.objective} ({direction})"
            + (", stopped by time budget" if self.stopped_by_budget else ""),
            f"{'trial':>6}  {'status':<9}  {self.objective:>12}  hyperparameters",
        ]
        for t in rows:
            score = "-" if t["score"] is None else f"{t['score']:.4f}"
            values = " ".join(
                f"{k}={_fmt(v)}"
                for k, v in t["values"].items()
                if not k.startswith("tuner/")
            )
            lines.append(f"{t['trial_id']:>6}  {t['status']:<9}  {score:>12}  {values}")
        print_fn("\n".join(lines))

    def __repr__(self):
        return (
            f"<TuneResult trials={len(self.trials)} best "
            f"{self.objective}={self.best_score}>"
        )


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


__all__ = ["TuneResult"]
