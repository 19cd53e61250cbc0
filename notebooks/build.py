"""Writes the Colab notebooks of this folder: the one source of truth for them.

Edit the cells here, then run

    python notebooks/build.py          # rewrites notebooks/*.ipynb
    python notebooks/build.py --check  # exit 1 if a notebook differs from this file

The notebooks are written without outputs or execution counts, with stable cell
ids, so a rebuild of unchanged cells gives byte-identical files.
`tests/test_notebooks.py` checks that the committed notebooks are exactly what
this script writes, and executes each of them with `KR_NOTEBOOK_TINY=1` (tiny
epochs and sizes) in a temporary folder.

Conventions every notebook follows:

- a Colab-only install cell (`IN_COLAB`), then a parameters cell: `TINY` (from
  `KR_NOTEBOOK_TINY`) shrinks epochs and data; `WORKDIR` (from
  `KR_NOTEBOOK_WORKDIR`, default `kr_outputs/<notebook>`) receives every file
  the notebook writes, TensorBoard logs included;
- `%load_ext tensorboard`, and a `%tensorboard` cell that is skipped when `TINY`
  (it starts a server);
- the bundled offline datasets only (`kr.datasets`): nothing is downloaded.
"""

import argparse
import os
import sys
import textwrap

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))
# Placeholder: the GitHub repository ("owner/name") the notebooks install from
# and the Colab badges point at. Change it here and rebuild.
GITHUB = "keras-recipes/keras_recipes"
REPO_URL = f"https://github.com/{GITHUB}"
BRANCH = "main"


def colab_url(filename):
    return (
        f"https://colab.research.google.com/github/{GITHUB}/blob/{BRANCH}/"
        f"notebooks/{filename}"
    )


def _source(text):
    return textwrap.dedent(text).strip("\n")


def md(text):
    return ("markdown", _source(text))


def code(text):
    return ("code", _source(text))


# ------------------------------------------------------------ shared cells
def header(filename, title, intro, learn):
    badge = (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(filename)})"
    )
    items = "\n".join(f"- {item}" for item in learn)
    return [
        md(f"# {title}\n\n{badge}\n\n{_source(intro)}\n\n"
           f"**What you will learn**\n\n{items}"),
    ]


def setup(name, parameters, accelerator=None):
    """Install cell (Colab only), parameters cell, TensorBoard cells."""
    runtime = (
        f"In Colab, pick a **{accelerator}** runtime (*Runtime > Change runtime "
        "type*) before running. "
        if accelerator
        else "A CPU runtime is enough. "
    )
    install = _source(f'''
        # Colab only: install keras-recipes (TensorFlow 2.21, Keras 3.15, KerasTuner,
        # tf2onnx, ...) from GitHub. Anywhere else, install it first: `pip install -e .`
        # in a clone of the repository.
        import sys

        IN_COLAB = "google.colab" in sys.modules
        REPO = "{REPO_URL}"  # placeholder: point it at your fork
        if IN_COLAB:
            get_ipython().run_line_magic(
                "pip", f'install -q "keras-recipes @ git+{{REPO}}"')
    ''')
    params = _source(f'''
        import os

        # KR_NOTEBOOK_TINY=1 (the test suite sets it) shrinks epochs and data so the
        # whole notebook runs in seconds. Leave it unset for the real run.
        TINY = os.environ.get("KR_NOTEBOOK_TINY") == "1"
        # Every file this notebook writes (models, plots, TensorBoard logs) goes here.
        WORKDIR = os.path.abspath(
            os.environ.get("KR_NOTEBOOK_WORKDIR", "kr_outputs/{name}"))
        TB_DIR = os.path.join(WORKDIR, "tb_logs")
        os.makedirs(WORKDIR, exist_ok=True)
        os.environ["KERAS_RECIPES_TB_DIR"] = TB_DIR  # keras_recipes logs runs here
    ''')
    return [
        md(f"""
            ## Setup

            {runtime}The first cell installs the package when the notebook runs in
            Colab and does nothing elsewhere. Colab ships its own TensorFlow; if
            the install replaces it and Colab asks you to **restart the
            session**, do so and run the notebook again from the top (the install
            is then instant).
        """),
        code(install),
        code(params + "\n\n" + _source(parameters)),
        md("""
            TensorBoard: `fit` logs every run under `TB_DIR` (scalars, learning
            rate, and a confusion-matrix image per epoch for classifiers). The
            next cell shows TensorBoard inside the notebook; it refreshes while
            the model trains. It is skipped in the tiny test run, since it starts
            a server.
        """),
        code("%load_ext tensorboard"),
        code("""
            if not TINY:
                get_ipython().run_line_magic(
                    "tensorboard", f"--logdir {TB_DIR} --host 127.0.0.1")
        """),
    ]


IMPORTS = code("""
    import numpy as np
    from IPython.display import Image, display

    import keras_recipes as kr


    def show(png_path):
        \"\"\"Shows a PNG written by kr.plots (or any other) inline.\"\"\"
        display(Image(filename=png_path))


    kr.set_seed(0)
""")


def save_and_load(model_var, filename, data_expr, note=""):
    return [
        md(f"""
            ## Save and load

            `save` writes a `.keras` file atomically (a crash never leaves half a
            file). `kr.load_model` gives the same class back, with its
            preprocessing and class names, and no `custom_objects=`. It loads
            with `safe_mode=True`: a `.keras` file never runs code when loaded.
            {note}
        """),
        code(f"""
            path = os.path.join(WORKDIR, "{filename}")
            {model_var}.save(path)
            restored = kr.load_model(path)
            print(type(restored).__name__, "loaded from", path)
            np.testing.assert_allclose(
                restored.predict({data_expr}, verbose=0),
                {model_var}.predict({data_expr}, verbose=0), atol=1e-5)
            print("same predictions after save + load")
        """),
    ]


# ---------------------------------------------------------------- notebooks
def tabular():
    name = "tabular_classification.ipynb"
    return name, [
        *header(name, "Tabular classification: `kr.tabular_classifier`", """
            A DataFrame in, a trained classifier out. The model takes **raw
            rows** (numbers, strings, missing values): the preprocessing
            (normalisation, missing-value indicators, string lookups) is part of
            the model, so the saved file serves raw data as is.
        """, [
            "build a compiled tabular model from a DataFrame in one call "
            "(column types inferred)",
            "train, evaluate, predict class names",
            "plot training curves and a confusion matrix",
            "save the model and load it back",
        ]),
        *setup("tabular_classification", """
            EPOCHS = 3 if TINY else 30
        """),
        IMPORTS,
        md("""
            ## The data

            The Palmer penguins (344 penguins, 3 species, 7 columns), shipped with
            the `palmerpenguins` package: nothing is downloaded. Missing values
            are kept on purpose.
        """),
        code("""
            train_df, test_df = kr.datasets.load_penguins()
            print(f"{len(train_df)} training rows, {len(test_df)} test rows")
            print("missing values:", train_df.isna().sum()[lambda s: s > 0].to_dict())
            train_df.head()
        """),
        md("""
            ## One call: a compiled model

            The factory infers which columns are numeric and which are
            categorical, computes their statistics on the training data, and
            returns a compiled `kr.tasks.TabularClassifier` — a `keras.Model`, so
            everything Keras offers works on it.
        """),
        code("""
            model = kr.tabular_classifier(data=train_df, target="species")
            print(type(model).__name__, "- classes:", model.class_names)
            model.summary()
        """),
        md("""
            ## Train

            `validation_split` is a seeded, stratified split (not "the last rows"
            as in plain Keras). The learning rate follows a per-epoch cosine decay
            by default.
        """),
        code("""
            history = model.fit(train_df, epochs=EPOCHS, validation_split=0.2,
                                verbose=2)
        """),
        code("""
            show(kr.plots.plot_history(history, os.path.join(WORKDIR, "curves.png")))
        """),
        md("## Evaluate and predict"),
        code("""
            print(model.evaluate(test_df, verbose=0))
            sample = test_df.head(5)
            probabilities = model.predict(sample, verbose=0)   # one row per penguin
            sample.assign(predicted=model.predict_labels(sample),
                          confidence=probabilities.max(axis=1).round(3))
        """),
        md("""
            The outputs are plain numpy, so the usual tools apply: here
            scikit-learn's `ConfusionMatrixDisplay` (for a PNG file in one call,
            see `kr.plots.plot_confusion_matrix`).
        """),
        code("""
            import matplotlib.pyplot as plt
            from sklearn.metrics import ConfusionMatrixDisplay

            ConfusionMatrixDisplay.from_predictions(
                test_df["species"], model.predict_labels(test_df), cmap="Blues")
            plt.title("Test set")
            plt.show()
        """),
        *save_and_load("model", "penguins.keras", "test_df", note="""
            The loaded model takes the same raw DataFrame (the `species` column
            is ignored by `predict`).
        """),
        md("""
            ## Next

            - `kr.tune(kr.tabular_classifier, train_df, model_kwargs={"target":
              "species"})` searches the hyperparameters: see `tuning.ipynb`.
            - `model.export("penguins.onnx", format="onnx")`: a verified ONNX
              file that takes one input per raw column, see
              `export_and_serving.ipynb`.
            - `kr.tabular_classifier(data="my.csv", target=...)` reads a CSV file.
        """),
    ]


def tabular_regression():
    name = "tabular_regression.ipynb"
    return name, [
        *header(name, "Tabular regression: `kr.tabular_regressor`", """
            A DataFrame in, a trained regressor out: the tabular template with
            one (or several) numeric targets. The target is standardized inside
            the model and the output scaled back, so `predict`, the saved file
            and an ONNX export all give values **in the target's units**.
        """, [
            "build a compiled regressor from a DataFrame in one call",
            "train without guessing epochs (early stopping, best epoch restored)",
            "compare with predicting the mean and with gradient-boosted trees",
            "plot predicted vs true values and residuals",
            "save the model and load it back",
        ]),
        *setup("tabular_regression", """
            # Tiny run: a few epochs; otherwise `fit` stops by itself.
            FIT = dict(epochs=3) if TINY else {}
        """),
        IMPORTS,
        md("""
            ## The data

            The Palmer penguins again, as a regression table: predict the body
            mass in grams from species, island, sex, year and the bill and
            flipper measurements (`kr.datasets.load_penguins_body_mass`, the
            rows with a measured mass).
        """),
        code("""
            train_df, test_df = kr.datasets.load_penguins_body_mass()
            print(f"{len(train_df)} training rows, {len(test_df)} test rows")
            train_df.head()
        """),
        md("""
            ## One call: a compiled model

            Column kinds and statistics come from the training data, as for the
            classifier; so do the target's mean and standard deviation
            (`target_transform="auto"` would train a positive, skewed target
            such as a price on the log scale; `summary()` says what it chose).
            The default network is a TabM-style ensemble: 8 members share one
            MLP, each with its own input scaling and output layer, and numeric
            columns get piecewise-linear embeddings over quantile bins.
        """),
        code("""
            model = kr.tabular_regressor(data=train_df, target="body_mass_g", seed=0)
            print(model.describe_targets())
        """),
        md("""
            ## Train

            Without `epochs`, `fit` holds out 10% of the rows, trains until the
            validation loss stops improving and restores the best epoch.
        """),
        code("""
            history = model.fit(train_df, verbose=0, **FIT)
            print("epochs run:", len(history.history["loss"]))
            show(kr.plots.plot_history(history, os.path.join(WORKDIR, "curves.png")))
        """),
        md("## Evaluate: RMSE, MAE and R² in grams"),
        code("""
            import numpy as np
            from sklearn.ensemble import HistGradientBoostingRegressor

            metrics = model.evaluate(test_df, verbose=0)
            mean_rmse = np.sqrt(np.mean(
                (test_df["body_mass_g"] - train_df["body_mass_g"].mean()) ** 2))
            x, xt = train_df.drop(columns="body_mass_g"), test_df.drop(columns="body_mass_g")
            for column in ("species", "island", "sex"):
                x[column] = x[column].astype("category")
                xt[column] = xt[column].astype(x[column].dtype)
            trees = HistGradientBoostingRegressor(
                categorical_features="from_dtype", random_state=0
            ).fit(x, train_df["body_mass_g"])
            trees_rmse = np.sqrt(np.mean((trees.predict(xt) - test_df["body_mass_g"]) ** 2))
            print({k: round(float(v), 3) for k, v in metrics.items()})
            print(f"RMSE: model {metrics['rmse']:.0f} g, "
                  f"gradient-boosted trees {trees_rmse:.0f} g, "
                  f"predicting the mean {mean_rmse:.0f} g")
        """),
        code("""
            model.predict_values(test_df.head(5)).assign(
                true=test_df["body_mass_g"].head(5).to_numpy())
        """),
        md("""
            ## Predicted vs true, and residuals

            A pattern in the residuals (a curve, a funnel) is what the model
            misses.
        """),
        code("""
            report = model.interpret(test_df, output_dir=WORKDIR)
            print(report)
            show(report.plot_path)
        """),
        *save_and_load("model", "penguins_mass.keras", "test_df", note="""
            The loaded model predicts grams from the same raw DataFrame.
        """),
        md("""
            ## Next

            - Several targets: `target=["body_mass_g", "flipper_length_mm"]`.
            - `regression_loss="huber"` for targets with outliers.
            - `model.export("mass.onnx", format="onnx")`: a verified ONNX file
              that predicts grams from raw columns.
        """),
    ]


def image():
    name = "image_classification.ipynb"
    return name, [
        *header(name, "Image classification: `kr.image_classifier`", """
            A residual CNN with squeeze-excitation blocks, augmentation that is
            active only in training, and rescaling inside the model, so it takes
            raw `[0, 255]` pixels. Trained here on the UCI handwritten digits
            (8x8 grayscale) that ship with scikit-learn.
        """, [
            "build a compiled image classifier from arrays in one call",
            "find a learning rate with the LR range test (`model.lr_find`) and "
            "train with the one-cycle policy (`model.fit_one_cycle`)",
            "plot training curves, the LR finder curve and a confusion matrix",
            "look at what the model gets wrong (`model.interpret`)",
            "save the model and load it back",
        ]),
        *setup("image_classification", """
            EPOCHS = 2 if TINY else 20
            TRAIN_SIZE = 512 if TINY else None  # None: all 1,437 training images
            LR_FIND_STEPS = 10 if TINY else 100
            # Model size: small in the tiny run, the template defaults otherwise.
            SIZE = dict(width=8, depth=1) if TINY else {}
        """),
        IMPORTS,
        md("## The data"),
        code("""
            import matplotlib.pyplot as plt

            (x_train, y_train), (x_test, y_test) = kr.datasets.load_digits()
            x_train, y_train = x_train[:TRAIN_SIZE], y_train[:TRAIN_SIZE]
            print("train", x_train.shape, x_train.dtype, "test", x_test.shape)

            fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
            for ax, image, label in zip(axes, x_train, y_train):
                ax.imshow(image[:, :, 0], cmap="gray_r")
                ax.set_title(int(label))
                ax.axis("off")
            plt.show()
        """),
        md("""
            ## One call: a compiled model

            The number of classes and the image shape are read from the data.
            Every architecture knob (`width`, `depth`, `blocks`, `se_ratio`,
            `dropout`, `augmentation`, `backbone=`...) is an argument.
        """),
        code("""
            model = kr.image_classifier(data=(x_train, y_train), **SIZE)
            print(type(model).__name__, "- classes:", model.class_names,
                  "- parameters:", model.count_params())
        """),
        md("""
            ## Learning-rate range test

            `model.lr_find` raises the learning rate exponentially over a few
            dozen batches, records the smoothed loss, suggests a learning rate,
            and then **restores the weights and optimizer state**: the model is
            left exactly as it was.
        """),
        code("""
            finder = model.lr_find((x_train, y_train), num_steps=LR_FIND_STEPS,
                                   plot_path=os.path.join(WORKDIR, "lr_find.png"))
            print(finder)
            show(finder.plot_path)
        """),
        md("""
            ## Train with the one-cycle policy

            `fit_one_cycle` warms the learning rate up to `max_lr`, then anneals
            it. The suggestion of the range test is a good `max_lr`; it is capped
            here because a range test of a few batches can be noisy. When the
            curve shows no clear descent (an already trained model), the test
            suggests nothing (`finder.message` says why): keep the model's rate.
        """),
        code("""
            max_lr = min(finder.suggested_lr or model.learning_rate, 1e-2)
            history = model.fit_one_cycle((x_train, y_train), epochs=EPOCHS,
                                          max_lr=max_lr, validation_split=0.1,
                                          verbose=2)
            show(kr.plots.plot_history(history, os.path.join(WORKDIR, "curves.png")))
        """),
        md("## Evaluate, predict, interpret"),
        code("""
            print(model.evaluate((x_test, y_test), verbose=0))
            # Class indices here (the digits have no class names); with string
            # labels, predict_labels returns the names.
            print("predicted:", np.asarray(model.predict_labels(x_test[:10])))
            print("true:     ", y_test[:10])
        """),
        md("""
            `model.interpret` predicts labelled data once and returns the
            confusion matrix (also as a PNG), the per-class report, the most
            confused pairs and the examples with the highest loss.
        """),
        code("""
            interpretation = model.interpret((x_test, y_test), output_dir=WORKDIR)
            print(interpretation.report_text)
            print("most confused (true, predicted, count):",
                  interpretation.most_confused[:5])
            show(interpretation.plot_path)
        """),
        code("""
            worst = interpretation.top_losses[:8]
            fig, axes = plt.subplots(1, len(worst), figsize=(1.4 * len(worst), 1.8))
            for ax, item in zip(np.atleast_1d(axes), worst):
                ax.imshow(x_test[item["index"], :, :, 0], cmap="gray_r")
                ax.set_title(f"{item['true']}->{item['predicted']}", fontsize=9)
                ax.axis("off")
            fig.suptitle("Highest-loss test images (true->predicted)")
            plt.show()
        """),
        *save_and_load("model", "digits.keras", "x_test"),
        md("""
            ## Next

            - Your own photos: `data = kr.data.image_folder("photos/")` (one
              subfolder per class), then `kr.image_classifier(data=data)`.
            - A `keras.applications` backbone built without downloading weights:
              `kr.image_classifier(..., backbone="efficientnet_b0")`.
            - Several GPUs: see `multi_gpu.ipynb`; export: see
              `export_and_serving.ipynb`.
        """),
    ]


def text():
    name = "text_classification.ipynb"
    return name, [
        *header(name, "Text classification: `kr.text_classifier`", """
            A bidirectional LSTM text classifier whose `TextVectorization` is part
            of the model: it takes **raw strings**, in training and once saved.
            Trained here on WordNet noun definitions labelled with one of five
            topics (animal, artifact, food, person, plant), shipped with the
            package.
        """, [
            "adapt a vocabulary and build a compiled text model in one call",
            "train, evaluate, predict labels for new sentences",
            "plot training curves and a confusion matrix (`kr.plots`)",
            "save the model and load it back",
        ]),
        *setup("text_classification", """
            EPOCHS = 1 if TINY else 10
            TRAIN_SIZE = 500 if TINY else None  # None: all 3,600 definitions
            # Model size: small in the tiny run, the template defaults otherwise.
            SIZE = dict(sequence_length=24, embedding_dim=16, units=16) if TINY else {}
        """),
        IMPORTS,
        md("## The data"),
        code("""
            train, test = kr.datasets.load_wordnet_glosses()
            (texts, labels), (test_texts, test_labels) = train, test
            texts, labels = texts[:TRAIN_SIZE], labels[:TRAIN_SIZE]
            print(len(texts), "training definitions,", len(test_texts), "test")
            for text, label in zip(texts[:5], labels[:5]):
                print(f"{label:>9}: {text}")
        """),
        md("""
            ## One call: a compiled model

            The factory adapts the vocabulary on the training texts and reads the
            class names from the labels.
        """),
        code("""
            classifier = kr.text_classifier(data=(texts, labels), **SIZE)
            print(type(classifier).__name__, "- classes:", classifier.class_names)
            classifier.summary()
        """),
        md("## Train"),
        code("""
            history = classifier.fit((texts, labels), epochs=EPOCHS,
                                     validation_split=0.1, verbose=2)
            show(kr.plots.plot_history(history, os.path.join(WORKDIR, "curves.png")))
        """),
        md("## Evaluate and predict on raw strings"),
        code("""
            print(classifier.evaluate((test_texts, test_labels), verbose=0))
            sentences = [
                "a small furry animal that hunts mice",
                "a tool for cutting wood",
                "a sweet yellow fruit with a thick skin",
                "a person who writes novels",
            ]
            for sentence, label in zip(sentences, classifier.predict_labels(sentences)):
                print(f"{label:>9} <- {sentence}")
        """),
        code("""
            show(kr.plots.plot_confusion_matrix(
                classifier, (test_texts, test_labels),
                os.path.join(WORKDIR, "confusion_matrix.png"), normalize="true"))
        """),
        *save_and_load("classifier", "glosses.keras", "sentences", note="""
            The vocabulary is saved inside the model: the loaded model takes the
            same raw strings.
        """),
        md("""
            ## Next

            - Your own files: `kr.data.text_files("reviews/")` (one subfolder per
              class).
            - ONNX: the vectorizer cannot be converted to ONNX, so the export
              writes the numeric core plus a JSON sidecar with the vocabulary,
              replayed without TensorFlow: see `export_and_serving.ipynb`.
        """),
    ]


def translation():
    name = "translation.ipynb"
    return name, [
        *header(name, "Translation: `kr.seq2seq_transformer`", """
            An encoder-decoder Transformer with both vocabularies inside the
            model: it takes raw source sentences and returns strings, with
            greedy or beam-search decoding. Trained here to rewrite dates written
            in many styles (`"Wednesday, September 27, 2023"`, `"9/27/23"`) as
            ISO 8601 (`"2023-09-27"`), a corpus generated offline from Babel's
            locale data.
        """, [
            "adapt source and target vocabularies and build a compiled "
            "Transformer in one call",
            "train (padding is masked out of the loss), plot the curves",
            "translate with greedy and beam search, measure BLEU and exact match",
            "save the model and load it back",
        ]),
        *setup("translation", """
            EPOCHS = 1 if TINY else 6
            NUM_TRAIN = 300 if TINY else 10000
            NUM_TEST = 20 if TINY else 1000
            BATCH_SIZE = 64
            # Model: tiny in the test run; otherwise the settings measured in
            # benchmarks/RESULTS.md (2 + 2 layers, 64-dim embeddings).
            SIZE = (dict(embedding_dim=16, num_heads=2, intermediate_dim=32,
                         num_encoder_layers=1, num_decoder_layers=1) if TINY
                    else dict(embedding_dim=64, intermediate_dim=128, dropout=0.0,
                              learning_rate=2e-3))
        """),
        IMPORTS,
        md("## The data"),
        code("""
            (sources, targets), (test_sources, test_targets) = kr.datasets.load_dates(
                num_train=NUM_TRAIN, num_test=NUM_TEST)
            for source, target in zip(sources[:6], targets[:6]):
                print(f"{source:>32} -> {target}")
        """),
        md("""
            ## One call: a compiled model

            Characters are the tokens here (`source_split="character"`, the
            default): dates have a small alphabet.
        """),
        code("""
            translator = kr.seq2seq_transformer(data=(sources, targets), **SIZE)
            print(type(translator).__name__, "- parameters:", translator.count_params())
        """),
        md("## Train"),
        code("""
            history = translator.fit((sources, targets), epochs=EPOCHS,
                                     batch_size=BATCH_SIZE, validation_split=0.1,
                                     verbose=2)
            show(kr.plots.plot_history(history, os.path.join(WORKDIR, "curves.png")))
        """),
        md("""
            ## Translate

            `translate` takes raw strings. `beam_width=1` is greedy decoding;
            larger beams keep several hypotheses (`length_penalty` favours
            longer ones). After the tiny test run the output is gibberish. With
            the full settings (10,000 pairs, 6 epochs: about 6 minutes on 2 CPU
            cores, much less on a GPU) `benchmarks/RESULTS.md` measured a greedy
            BLEU of 99.2, with 97.7% of the 1,000 test dates exactly right.
        """),
        code("""
            sample = test_sources[:5]
            greedy = translator.translate(sample)
            beam = translator.translate(sample, beam_width=3)
            for source, g, b, t in zip(sample, greedy, beam, test_targets[:5]):
                print(f"{source:>32} -> greedy {g!r:14} beam {b!r:14} (true {t})")
        """),
        code("""
            print(translator.evaluate_bleu((test_sources, test_targets)))
        """),
        *save_and_load("translator", "dates.keras", "(sample, test_targets[:5])",
                       note="""
            `predict` on `(sources, targets)` gives the teacher-forced next-token
            probabilities; `translate` gives strings.
        """),
        code("""
            print(restored.translate(sample[:2]))
        """),
        md("""
            ## Next

            - Words instead of characters:
              `kr.seq2seq_transformer(data=..., source_split="whitespace",
              target_split="whitespace")`.
            - ONNX: `translator.export("dates.onnx", format="onnx")` writes an
              encoder, a decoder and a JSON sidecar; `translate_onnx` in
              `keras_recipes/export/onnx_preprocess.py` decodes without
              TensorFlow (see `docs/export.md`).
        """),
    ]


def tuning():
    name = "tuning.ipynb"
    return name, [
        *header(name, "Hyperparameter search: `kr.tune`", """
            `kr.tune` wraps KerasTuner around a template: every trial is built
            by the template's factory and trained by its `fit`. The search is
            resumable (re-running the same call continues it), can stop on a
            time budget, and logs each trial's hyperparameters to TensorBoard's
            HParams tab.
        """, [
            "search a template's default space, or your own",
            "read the results: `result.summary()`, the best hyperparameters, "
            "the best model (trained, best epoch)",
            "resume a search and give it a time budget",
            "plot the trials",
        ]),
        *setup("tuning", """
            MAX_TRIALS = 2 if TINY else 12
            EPOCHS = 2 if TINY else 40
        """),
        IMPORTS,
        code("""
            train_df, test_df = kr.datasets.load_penguins()
            print(len(train_df), "training rows")
        """),
        md("""
            ## The search space

            Each template has a default space (`TaskClass.search_space(hp)`; for
            the tabular template: layer width and depth, dropout, embedding size,
            learning rate).
            `search_space=` overrides or extends it with plain Python: a list is a
            choice, a `(low, high)` tuple a range (log-sampled when it spans 100x
            or more), a fixed value pins the argument. Unknown names raise an
            error with a did-you-mean. `model_kwargs=` are fixed for every trial.
        """),
        code("""
            space = {
                "embedding_dim": [4, 8],          # a choice
                "dropout": (0.0, 0.3),            # a float range
                "learning_rate": (1e-4, 3e-2),    # spans >= 100x: log-sampled
            }
            result = kr.tune(
                kr.tabular_classifier, train_df,
                model_kwargs={"target": "species"},
                search_space=space,
                tuner="random",          # or "bayesian", "hyperband", "grid"
                max_trials=MAX_TRIALS,
                epochs=EPOCHS,
                directory=os.path.join(WORKDIR, "runs"),
                project_name="penguins",
                time_budget="10m",       # stops cleanly when the budget is spent
                seed=0,
            )
        """),
        md("## The results"),
        code("""
            result.summary()
            print("best", result.objective, "=", result.best_score)
            print("best hyperparameters:", result.best_hyperparameters.values)
        """),
        md("""
            `result.best_model` is the best trial's model with the weights of its
            best epoch: a normal `kr.tasks.TabularClassifier`.
            `result.best_model_kwargs` rebuilds it from scratch
            (`kr.tabular_classifier(data=..., **result.best_model_kwargs)`), for
            example to train it longer on all the data.
        """),
        code("""
            best = result.best_model
            print(best.evaluate(test_df, verbose=0))
            best.save(os.path.join(WORKDIR, "best.keras"))
            print(result.best_model_kwargs)
        """),
        code("""
            import matplotlib.pyplot as plt

            done = [t for t in result.trials if t["score"] is not None]
            plt.figure(figsize=(6, 3))
            plt.bar([t["trial_id"] for t in done], [t["score"] for t in done])
            plt.xlabel("trial")
            plt.ylabel(result.objective)
            plt.title("Score per trial")
            plt.show()
        """),
        md("""
            ## Resuming

            The project lives in `directory/project_name`. Running the same call
            again continues the search: finished trials are not re-run (an
            interrupted one resumes from its last finished epoch). Here the search
            is already complete, so nothing runs.
        """),
        code("""
            again = kr.tune(
                kr.tabular_classifier, train_df, model_kwargs={"target": "species"},
                search_space=space, max_trials=MAX_TRIALS, epochs=EPOCHS,
                directory=os.path.join(WORKDIR, "runs"), project_name="penguins",
                seed=0, verbose=0)
            print("trials run by the second call:", again.trials_run)
            print("same best score:", again.best_score == result.best_score)
        """),
        md("""
            `result.tuner` is the KerasTuner tuner itself (`oracle`,
            `get_best_models`, `results_summary()`...). TensorBoard's HParams tab
            (logs under `TB_DIR/tune/penguins/`) compares the trials.

            ## Next

            - Any template: `kr.tune(kr.image_classifier, (x, y), ...)`.
            - From the command line, with a YAML recipe:
              `keras-recipes tune templates/image_classification_tuned.yaml`.
            - Several machines: `distributed={"role": "chief", ...}` (KerasTuner's
              chief/worker mode); see `help(kr.tune)`.
        """),
    ]


def export_and_serving():
    name = "export_and_serving.ipynb"
    return name, [
        *header(name, "Export and serving: ONNX and SavedModel", """
            `model.export` writes a `.keras` file, a SavedModel with a raw-input
            serving signature, or an ONNX file that is **verified**: tf2onnx can
            write wrong models without raising, so after converting, the export
            runs the ONNX checker, opens an onnxruntime session, compares the
            outputs with Keras on samples, and raises when they differ.
        """, [
            "export to ONNX and read the verification report",
            "run the ONNX model with onnxruntime on raw pixels",
            "serve a SavedModel with `tf.saved_model.load(...).serve`",
            "export a text model: ONNX core + JSON sidecar, with the text "
            "preprocessing replayed in numpy, without TensorFlow",
        ]),
        *setup("export_and_serving", """
            EPOCHS = 1 if TINY else 10
            TRAIN_SIZE = 300 if TINY else None
            # Model sizes: small in the tiny run.
            IMAGE_SIZE = dict(width=8, depth=1) if TINY else dict(width=16, depth=2)
            TEXT_SIZE = (dict(sequence_length=24, embedding_dim=16, units=16)
                         if TINY else {})
        """),
        IMPORTS,
        md("""
            ## A model to export

            A digits classifier (the export works the same for every template).
        """),
        code("""
            (x_train, y_train), (x_test, y_test) = kr.datasets.load_digits()
            model = kr.image_classifier(data=(x_train, y_train), **IMAGE_SIZE)
            model.fit((x_train[:TRAIN_SIZE], y_train[:TRAIN_SIZE]), epochs=EPOCHS,
                      verbose=2)
            print(model.evaluate((x_test, y_test), verbose=0))
        """),
        md("""
            ## ONNX

            `samples=` are the real inputs the parity check uses (without it,
            samples are generated from the input specs). The report says which
            conversion route verified, the opset, the graph's inputs and outputs,
            the largest difference from Keras and both latencies.
        """),
        code("""
            onnx_path = os.path.join(WORKDIR, "digits.onnx")
            report = model.export(onnx_path, format="onnx", samples=x_test[:32])
            for key in ("route", "opset", "input_names", "input_shapes",
                        "output_names", "max_abs_error", "tolerance",
                        "ort_latency_ms", "keras_latency_ms"):
                print(f"{key:>17}: {report[key]}")
        """),
        md("""
            The ONNX file takes the same raw pixels as the Keras model (rescaling
            is an ONNX op). Only `onnxruntime` and numpy are needed to run it:
        """),
        code("""
            import onnxruntime as ort

            session = ort.InferenceSession(onnx_path,
                                           providers=["CPUExecutionProvider"])
            input_name = session.get_inputs()[0].name
            (onnx_probabilities,) = session.run(
                None, {input_name: x_test[:64].astype("float32")})
            keras_probabilities = model.predict(x_test[:64], verbose=0)
            print("max |onnx - keras|:",
                  np.abs(onnx_probabilities - keras_probabilities).max())
            print("same labels:", (onnx_probabilities.argmax(1)
                                   == keras_probabilities.argmax(1)).all())
        """),
        md("""
            ## SavedModel

            `format="saved_model"` writes a SavedModel whose `serve` signature takes
            raw inputs and runs the model with `training=False` (augmentation
            off). Loading it needs TensorFlow only: no Keras, no keras_recipes.
            This is the format for TF Serving.
        """),
        code("""
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")  # quiet the "Assets written" logs
            saved_path = model.export(os.path.join(WORKDIR, "digits_saved_model"),
                                      format="saved_model")
            served = tf.saved_model.load(saved_path)
            outputs = served.serve(tf.constant(x_test[:64], dtype=tf.float32))
            print({name: tuple(value.shape) for name, value in outputs.items()})
            (served_probabilities,) = outputs.values()
            print("max |served - keras|:",
                  np.abs(served_probabilities.numpy() - keras_probabilities).max())
        """),
        md("""
            ## Text: ONNX core + JSON sidecar

            `TextVectorization` does not convert to ONNX. The export of a text
            classifier writes the numeric core (token ids -> probabilities) as
            `model.onnx` and the vectorizer (vocabulary, standardisation, split,
            sequence length) as `model.json`. `OnnxPredictor` in
            `keras_recipes/export/onnx_preprocess.py` replays the vectorizer in
            numpy and runs the core; the parity check runs end to end, raw
            strings to probabilities.
        """),
        code("""
            (texts, labels), _ = kr.datasets.load_wordnet_glosses()
            texts, labels = texts[:TRAIN_SIZE], labels[:TRAIN_SIZE]
            classifier = kr.text_classifier(data=(texts, labels), **TEXT_SIZE)
            classifier.fit((texts, labels), epochs=EPOCHS, verbose=2)

            text_report = classifier.export(
                os.path.join(WORKDIR, "text", "glosses.onnx"), format="onnx",
                samples=texts[:16])
            print("route:", text_report.route, "| sidecar:", text_report.sidecar_path,
                  "| max abs error:", text_report.max_abs_error)
        """),
        md("""
            `onnx_preprocess.py` imports only numpy (and onnxruntime to run the
            model), so it can be copied next to the exported files and used
            where TensorFlow is not installed. To show it, the next cell copies it
            and runs it in a fresh Python process in which importing TensorFlow
            or keras_recipes fails.
        """),
        code("""
            import json
            import shutil
            import subprocess
            import sys

            from keras_recipes.export import onnx_preprocess

            serving_dir = os.path.join(WORKDIR, "text")
            shutil.copy(onnx_preprocess.__file__, serving_dir)
            script = '''
            import json
            import sys

            for blocked in ("tensorflow", "keras", "keras_recipes"):
                sys.modules[blocked] = None  # any import of them now fails
            from onnx_preprocess import OnnxPredictor

            predictor = OnnxPredictor("glosses.onnx")  # reads glosses.json too
            sentences = ["a small furry animal that hunts mice",
                         "a tool for cutting wood"]
            print(json.dumps(predictor.predict(sentences).tolist()))
            '''
            run = subprocess.run([sys.executable, "-c", script],
                                 cwd=serving_dir, capture_output=True, text=True)
            assert run.returncode == 0, run.stderr
            without_tf = np.array(json.loads(run.stdout))
            with_keras = classifier.predict(
                ["a small furry animal that hunts mice", "a tool for cutting wood"],
                verbose=0)
            print("without TensorFlow:", without_tf.round(4), sep="\\n")
            print("with Keras:", with_keras.round(4), sep="\\n")
            np.testing.assert_allclose(without_tf, with_keras, atol=1e-5)
        """),
        md("""
            ## Next

            - Translation models export to an encoder, a decoder and a sidecar;
              `translate_onnx` decodes in numpy + onnxruntime (`docs/export.md`).
            - From the command line: `keras-recipes export model.keras --format onnx`.
            - At the end of training: `kr.callbacks.ExportOnTrainEnd(...)`.
        """),
    ]


def multi_gpu():
    name = "multi_gpu.ipynb"
    return name, [
        *header(name, "Multi-GPU training: `strategy=`", """
            Every factory takes `strategy=`: the model is built **and compiled
            inside** `strategy.scope()`, so its variables, optimizer slots and
            metrics are mirrored on every replica, and `fit` splits each global
            batch over the replicas and all-reduces the gradients.

            A Colab GPU runtime has one GPU; on a machine with several, the same
            code uses them all (and a TPU runtime works the same way with a
            `TPUStrategy`, see `docs/distribution.md`).
            **With no GPU, this notebook splits the CPU into two logical devices**
            so that `MirroredStrategy` really runs 2 replicas: a correctness demo
            of the same code path, not a speed-up.
        """, [
            'pick a strategy (`"auto"`, `"mirrored"`, or your own '
            "`tf.distribute.Strategy`)",
            "global batch size, its rounding, and scaling the learning rate",
            "synchronized BatchNorm across replicas",
            "build your own Keras model inside the scope",
            "multi-worker training on one host with `keras-recipes launch`",
        ]),
        *setup("multi_gpu", """
            EPOCHS = 1 if TINY else 10
            TRAIN_SIZE = 256 if TINY else None
            PER_REPLICA_BATCH = 32
            # The 2-worker `keras-recipes launch` demo at the end starts two more
            # TensorFlow processes (about a minute on 2 CPU cores): not in the tiny run.
            RUN_LAUNCH = not TINY
            # Model size: small in the tiny run, the template defaults otherwise.
            SIZE = dict(width=8, depth=1) if TINY else {}
        """, accelerator="GPU"),
        md("""
            ## Devices

            Logical devices must be configured before TensorFlow initialises its
            runtime, so this cell runs before anything else touches TensorFlow.
        """),
        code("""
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")  # MirroredStrategy logs every all-reduce
            gpus = tf.config.list_physical_devices("GPU")
            if not gpus:
                cpu = tf.config.list_physical_devices("CPU")[0]
                try:
                    tf.config.set_logical_device_configuration(
                        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
                except RuntimeError:  # TensorFlow already initialised: keep 1 device
                    pass
            print("GPUs:", [g.name for g in gpus])
            print("logical devices:",
                  [d.name for d in tf.config.list_logical_devices()])
        """),
        IMPORTS,
        md("""
            ## The strategy

            `"auto"` is `MirroredStrategy` over all GPUs when there are 2 or more,
            else no strategy. `"mirrored"` is `MirroredStrategy` over all GPUs, or
            all logical CPUs when there is no GPU (used here so the demo has 2
            replicas on a CPU). `"multi_worker"` reads `TF_CONFIG`; any
            `tf.distribute.Strategy` (e.g. `TPUStrategy`) is used as is.
        """),
        code("""
            strategy = kr.distribute.get_strategy("mirrored")
            replicas = strategy.num_replicas_in_sync
            print(type(strategy).__name__, "with", replicas, "replica(s):",
                  strategy.extended.worker_devices)
        """),
        md("""
            ## Batch size and learning rate

            `batch_size` is the **global** batch: each replica gets
            `batch_size / replicas` samples per step, and it is rounded up to a
            multiple of the replica count. The usual way to use more devices is to
            grow the global batch with them and scale the learning rate: about
            linearly for SGD, about with the square root for Adam/AdamW.
        """),
        code("""
            print("a batch of 33 on this strategy ->",
                  kr.distribute.round_batch_size(33, strategy))
            BATCH_SIZE = PER_REPLICA_BATCH * replicas
            LEARNING_RATE = 2e-3 * replicas ** 0.5  # the template default is 2e-3
            print("global batch", BATCH_SIZE,
                  "- learning rate", round(LEARNING_RATE, 5))
        """),
        md("""
            ## Build in the scope, train anywhere

            `strategy=` on the factory builds and compiles inside
            `strategy.scope()`; `fit`, `evaluate` and `predict` need no scope.

            BatchNorm: each replica normalises with its own slice of the batch.
            `kr.distribute.synchronize_batch_norm(model)` makes every
            `BatchNormalization` layer all-reduce its statistics across replicas
            (one small all-reduce per layer and step): then 2 replicas train like
            1 device. Worth it for small per-replica batches (< 32) and for
            multi-worker jobs.
        """),
        code("""
            (x_train, y_train), (x_test, y_test) = kr.datasets.load_digits()
            x_train, y_train = x_train[:TRAIN_SIZE], y_train[:TRAIN_SIZE]

            model = kr.image_classifier(data=(x_train, y_train), strategy=strategy,
                                        learning_rate=LEARNING_RATE, **SIZE)
            print("BatchNormalization layers synchronized:",
                  kr.distribute.synchronize_batch_norm(model))
            print("variables mirrored:",
                  type(model.trainable_variables[0].value).__name__)
            history = model.fit((x_train, y_train), epochs=EPOCHS,
                                batch_size=BATCH_SIZE, validation_split=0.1, verbose=2)
            print(model.evaluate((x_test, y_test), verbose=0))
            show(kr.plots.plot_history(history, os.path.join(WORKDIR, "curves.png")))
        """),
        md("""
            A model saved from a distributed run is an ordinary `.keras` file:
            it loads outside any scope, on any machine.
        """),
        *save_and_load("model", "digits_mirrored.keras", "x_test"),
        md("""
            ## Your own Keras model

            Outside the templates, the rule is the same: create the model **and
            compile it** inside `strategy.scope()`, then call `fit` as usual.
        """),
        code("""
            import keras

            with strategy.scope():
                custom = keras.Sequential([
                    keras.Input((8, 8, 1)),
                    keras.layers.Rescaling(1 / 255),
                    keras.layers.Conv2D(16, 3, activation="relu"),
                    keras.layers.BatchNormalization(synchronized=True),
                    keras.layers.GlobalAveragePooling2D(),
                    keras.layers.Dense(10, activation="softmax"),
                ])
                custom.compile("adam", "sparse_categorical_crossentropy",
                               metrics=["accuracy"])
            custom_history = custom.fit(
                x_train.astype("float32"), y_train.astype("int32"),
                batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=2)
        """),
        md("""
            ## Several workers: `keras-recipes launch`

            `MultiWorkerMirroredStrategy` runs one process per worker (usually one
            per host), each with a `TF_CONFIG` naming the cluster and its own
            index. Stock Keras 3.15 `fit` fails under it
            (keras-team/keras#20585); `strategy="multi_worker"` applies
            `kr.distribute.patch_strategy`, which fixes it on that strategy
            instance only.

            `keras-recipes launch recipe.yaml --workers 2` tries a multi-worker
            run **on one host**: it starts 2 local workers on 127.0.0.1 with their
            own `TF_CONFIG`. Worker 0 (the chief) writes the recipe's outputs; the
            others log to `output_dir/.workers/`. The workers share the machine:
            this checks a setup, it is not faster. On a real cluster, set
            `TF_CONFIG` on each host and run `keras-recipes train recipe.yaml
            --set strategy=multi_worker` (see `docs/distribution.md`).

            The next cell writes a small recipe, validates it (the same check
            `launch` makes before starting any worker) and launches it; in a
            terminal: `keras-recipes launch multi_worker.yaml --workers 2`.
        """),
        code("""
            import subprocess
            import sys

            recipe_path = os.path.join(WORKDIR, "multi_worker.yaml")
            with open(recipe_path, "w") as file:
                file.write(f'''
            task: image_classifier
            name: multi_worker_digits
            data:
              dataset: digits
              limit: {100 if TINY else 1000}
            model:
              width: 8
              depth: 1
            fit:
              epochs: {EPOCHS}
              batch_size: 32
            export:
              formats: [keras]
            output_dir: {os.path.join(WORKDIR, "multi_worker")}
            seed: 0
            ''')
            from keras_recipes import recipe as recipe_lib

            recipe = recipe_lib.load(recipe_path, ["strategy=multi_worker"])
            print("valid recipe:", recipe.task, "->", recipe.output_dir)
            if RUN_LAUNCH:
                run = subprocess.run(
                    [sys.executable, "-m", "keras_recipes.cli", "launch", recipe_path,
                     "--workers", "2"],
                    capture_output=True, text=True)
                print(run.stdout[-3000:])
                assert run.returncode == 0, run.stderr[-3000:]
                print(sorted(os.listdir(os.path.join(WORKDIR, "multi_worker"))))
        """),
    ]


NOTEBOOKS = (
    tabular, tabular_regression, image, text, translation, tuning,
    export_and_serving, multi_gpu,
)


def make(filename, cells):
    """Returns the `NotebookNode` of one notebook (no outputs, stable ids)."""
    stem = filename[: -len(".ipynb")].replace("_", "-")
    nb_cells = []
    for index, (kind, source) in enumerate(cells):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            if not source.startswith("%"):  # IPython magics are not Python
                compile(source, f"{filename} cell {index}", "exec")  # syntax check
            cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"{stem}-{index:02d}"
        nb_cells.append(cell)
    metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        },
        "language_info": {"name": "python"},
        "colab": {"provenance": [], "toc_visible": True},
    }
    if filename == "multi_gpu.ipynb":
        metadata["accelerator"] = "GPU"
    notebook = nbformat.v4.new_notebook(cells=nb_cells, metadata=metadata)
    nbformat.validate(notebook)
    return notebook


def build():
    """Returns `{filename: notebook JSON text}` for every notebook."""
    texts = {}
    for function in NOTEBOOKS:
        filename, cells = function()
        texts[filename] = nbformat.writes(make(filename, cells)) + "\n"
    return texts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a notebook differs from this script")
    args = parser.parse_args(argv)
    stale = []
    for filename, text in build().items():
        path = os.path.join(HERE, filename)
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as file:
                current = file.read()
        if current == text:
            continue
        stale.append(filename)
        if not args.check:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
    if args.check and stale:
        print("out of date (run python notebooks/build.py):", ", ".join(stale))
        return 1
    print(("stale: " if args.check else "written: ") + (", ".join(stale) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
