"""The allow-list of `kr.load_model`: what a keras_recipes model file may name.

`keras_recipes.saving.check_model_file` refuses a `config.json` that names
any class or function not listed here (see `docs/security.md`).
"""

# The allow-list: (module, class_name, registered_name) of every object the
# `config.json` of a keras_recipes model may name. Derived by saving the four
# templates (and their variants: label smoothing, MixUp, mixed precision),
# a model per public component (tests/test_contract.py) and a model built
# from `kr.addons` names, and collecting what appears; frozen here so that a
# file cannot widen it. `tests/test_saving_safety.py` rebuilds those models
# and fails, naming the missing entries, when a template or component starts
# to serialize something new: add it here after checking that building it
# runs no code from the file (no callables, paths or bytecode in its config).
# keras_recipes classes match on class and registered name whatever their
# module: Keras finds them by registered name, and older files name the
# module they lived in then.
ALLOWED_CLASSES = frozenset(
    {
        # --- the templates
        ("keras_recipes.tasks.image_classifier", "ImageClassifier",
         "keras_recipes>ImageClassifier"),
        ("keras_recipes.tasks.tabular_classifier", "TabularClassifier",
         "keras_recipes>TabularClassifier"),
        ("keras_recipes.tasks.text_classifier", "TextClassifier",
         "keras_recipes>TextClassifier"),
        ("keras_recipes.tasks.seq2seq_transformer", "Seq2SeqTransformer",
         "keras_recipes>Seq2SeqTransformer"),
        # --- our components
        ("keras_recipes.layers.attention_pooling", "AttentionPooling",
         "keras_recipes>AttentionPooling"),
        ("keras_recipes.layers.conv_blocks", "ResidualBlock",
         "keras_recipes>ResidualBlock"),
        ("keras_recipes.layers.conv_blocks", "SqueezeExcitation",
         "keras_recipes>SqueezeExcitation"),
        ("keras_recipes.layers.fast_conv", "FastConv2D", "keras_recipes>FastConv2D"),
        ("keras_recipes.layers.stochastic_depth", "StochasticDepth",
         "keras_recipes>StochasticDepth"),
        ("keras_recipes.layers.tabular_features", "CategoryCross",
         "keras_recipes>CategoryCross"),
        ("keras_recipes.layers.tabular_features", "ImputedNormalization",
         "keras_recipes>ImputedNormalization"),
        ("keras_recipes.layers.tabular_features", "IntegerCategoryLookup",
         "keras_recipes>IntegerCategoryLookup"),
        ("keras_recipes.layers.target_scale", "TargetScale",
         "keras_recipes>TargetScale"),
        ("keras_recipes.layers.transformer", "TokenAndPositionEmbedding",
         "keras_recipes>TokenAndPositionEmbedding"),
        ("keras_recipes.layers.transformer", "TransformerDecoder",
         "keras_recipes>TransformerDecoder"),
        ("keras_recipes.layers.transformer", "TransformerEncoder",
         "keras_recipes>TransformerEncoder"),
        ("keras_recipes.layers.weight_normalization", "WeightNormalization",
         "keras_recipes>WeightNormalization"),
        ("keras_recipes.losses", "ClassBalancedSparseCrossentropy",
         "keras_recipes>ClassBalancedSparseCrossentropy"),
        ("keras_recipes.losses", "LabelSmoothedSparseCrossentropy",
         "keras_recipes>LabelSmoothedSparseCrossentropy"),
        ("keras_recipes.losses", "MaskedSequenceCrossentropy",
         "keras_recipes>MaskedSequenceCrossentropy"),
        ("keras_recipes.losses", "SparseCategoricalFocalLoss",
         "keras_recipes>SparseCategoricalFocalLoss"),
        ("keras_recipes.losses", "StandardizedRegressionLoss",
         "keras_recipes>StandardizedRegressionLoss"),
        ("keras_recipes.metrics", "CohenKappa", "keras_recipes>CohenKappa"),
        ("keras_recipes.metrics", "CorpusBLEU", "keras_recipes>CorpusBLEU"),
        ("keras_recipes.metrics", "MatthewsCorrelationCoefficient",
         "keras_recipes>MatthewsCorrelationCoefficient"),
        ("keras_recipes.optimizers", "FastAdamW", "keras_recipes>FastAdamW"),
        ("keras_recipes.optimizers", "Lookahead", "keras_recipes>Lookahead"),
        ("keras_recipes.regularizers", "OrthogonalRegularizer",
         "keras_recipes>OrthogonalRegularizer"),
        ("keras_recipes.regularizers", "ScheduledL1L2", "keras_recipes>ScheduledL1L2"),
        ("keras_recipes.schedules", "CyclicalLearningRate",
         "keras_recipes>CyclicalLearningRate"),
        ("keras_recipes.schedules", "ExponentialRange",
         "keras_recipes>ExponentialRange"),
        ("keras_recipes.schedules", "OneCycle", "keras_recipes>OneCycle"),
        ("keras_recipes.schedules", "WarmupCosine", "keras_recipes>WarmupCosine"),
        # --- the Keras objects they use
        ("keras", "DTypePolicy", None),
        ("keras.initializers", "GlorotUniform", None),
        ("keras.initializers", "Ones", None),
        ("keras.initializers", "RandomUniform", None),
        ("keras.initializers", "Zeros", None),
        ("keras.layers", "Conv2D", None),
        ("keras.layers", "Dense", None),
        ("keras.layers", "Embedding", None),
        ("keras.layers", "Flatten", None),
        ("keras.layers", "GroupNormalization", None),
        ("keras.layers", "InputLayer", None),
        ("keras.layers", "Reshape", None),
        ("keras.losses", "BinaryFocalCrossentropy", None),
        ("keras.losses", "CategoricalCrossentropy", None),
        ("keras.losses", "SparseCategoricalCrossentropy", None),
        ("keras.metrics", "CategoricalAccuracy", None),
        ("keras.metrics", "F1Score", None),
        ("keras.metrics", "MeanAbsoluteError", None),
        ("keras.metrics", "R2Score", None),
        ("keras.metrics", "RootMeanSquaredError", None),
        ("keras.metrics", "SparseCategoricalAccuracy", None),
        ("keras.optimizers", "Adam", None),
        ("keras.optimizers", "AdamW", None),
        ("keras.src.models.functional", "Functional", "Functional"),
    }
)  # fmt: skip

# Templates are compiled with the user's choice of Keras optimizer, schedule,
# loss and metrics too (`model.compile(optimizer="sgd")`): the Keras ones are
# plain numbers-and-strings classes (a wrapper's function is checked on its
# own), so all of those Keras exports are allowed.
KERAS_OPTIMIZERS = (
    "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl",
    "Lamb", "Lion", "LossScaleOptimizer", "Muon", "Nadam", "RMSprop", "SGD",
    "ScheduleFreeAdamW",
)  # fmt: skip
KERAS_SCHEDULES = (
    "CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
    "PiecewiseConstantDecay", "PolynomialDecay",
)  # fmt: skip
KERAS_LOSSES = (
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "Circle",
    "CosineSimilarity", "Dice", "Hinge", "Huber", "KLDivergence", "LogCosh",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy",
    "SquaredHinge", "Tversky",
)  # fmt: skip
KERAS_METRICS = (
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU",
    "CategoricalAccuracy", "CategoricalCrossentropy", "CategoricalHinge",
    "ConcordanceCorrelation", "CosineSimilarity", "F1Score", "FBetaScore",
    "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence",
    "LogCoshError", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanIoU", "MeanSquaredError", "MeanSquaredLogarithmicError", "OneHotIoU",
    "OneHotMeanIoU", "PearsonCorrelation", "Poisson", "Precision",
    "PrecisionAtRecall", "R2Score", "Recall", "RecallAtPrecision",
    "RootMeanSquaredError", "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity", "SquaredHinge",
    "Sum", "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives",
)  # fmt: skip
# The loss and metric functions of keras.losses and keras.metrics.
KERAS_LOSS_FUNCTIONS = (
    "binary_accuracy", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_accuracy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_generalized_cross_entropy",
    "categorical_hinge", "circle", "concordance_correlation", "cosine_similarity",
    "ctc", "dice", "hinge", "huber", "kl_divergence", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "pearson_correlation", "poisson",
    "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge",
    "top_k_categorical_accuracy", "tversky",
)  # fmt: skip
ALLOWED_CLASSES |= {
    (module, name, None)
    for module, names in (
        ("keras.optimizers", KERAS_OPTIMIZERS),
        ("keras.optimizers.schedules", KERAS_SCHEDULES),
        ("keras.losses", KERAS_LOSSES),
        ("keras.metrics", KERAS_METRICS),
    )
    for name in names
}

# Functions a config may name ({"class_name": "function", "config": NAME}):
# (module, NAME): our registered losses and Keras' loss and metric functions;
# Keras finds them by NAME.
ALLOWED_FUNCTIONS = frozenset(
    {
        ("builtins", "keras_recipes>class_balanced_sparse_crossentropy"),
        ("builtins", "keras_recipes>label_smoothed_sparse_crossentropy"),
        ("builtins", "keras_recipes>masked_sequence_crossentropy"),
        ("builtins", "keras_recipes>sparse_categorical_focal_loss"),
    }
) | {
    (module, name)
    for module in ("builtins", "keras.losses", "keras.metrics")
    for name in KERAS_LOSS_FUNCTIONS
}

# Class names Keras decodes as plain data (a symbolic tensor's shape and
# dtype, an array, bytes, a slice); they name no class or function.
DATA_MARKERS = frozenset(
    {"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__ellipsis__"}
)
_MODEL_CLASSES = ("ImageClassifier", "TabularClassifier", "TextClassifier")
_MODEL_CLASSES += ("Seq2SeqTransformer", "Functional")
