"""Qualified-name tables: which APIs fit, save, load, seed, split, and which classes are what."""

from __future__ import annotations

# Aliases that name the same API. Longest prefix first.
_PREFIX_ALIASES: tuple[tuple[str, str], ...] = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("pytorch_lightning.", "lightning."),
    ("lightning.pytorch.", "lightning."),
    ("sklearn.externals.joblib.", "joblib."),
)
_EXACT_ALIASES = {
    "tensorflow.keras": "keras",
    "tf_keras": "keras",
    "pytorch_lightning": "lightning",
    "lightning.pytorch": "lightning",
    "keras.saving.load_model": "keras.models.load_model",
    "keras.saving.save_model": "keras.models.save_model",
    "keras.Sequential": "keras.models.Sequential",
    "keras.Model": "keras.models.Model",
    "keras.layers.experimental.preprocessing.Normalization": "keras.layers.Normalization",
    "keras.layers.experimental.preprocessing.Rescaling": "keras.layers.Rescaling",
    "keras.layers.experimental.preprocessing.TextVectorization": "keras.layers.TextVectorization",
    "keras.utils.register_keras_serializable": "keras.saving.register_keras_serializable",
    "keras.utils.custom_object_scope": "keras.saving.custom_object_scope",
    "keras.utils.CustomObjectScope": "keras.saving.custom_object_scope",
    "keras.saving.CustomObjectScope": "keras.saving.custom_object_scope",
    "keras.Input": "keras.layers.Input",
    "keras.layers.InputLayer": "keras.layers.InputLayer",
    "keras.Layer": "keras.layers.Layer",
    "keras.engine.base_layer.Layer": "keras.layers.Layer",
    "keras.engine.training.Model": "keras.models.Model",
    "keras.random.SeedGenerator": "keras.random.SeedGenerator",
    "torch.nn.modules.module.Module": "torch.nn.Module",
    "keras.preprocessing.image.ImageDataGenerator": "keras.preprocessing.image.ImageDataGenerator",
}


def canonical(qualname: str) -> str:
    """Map the many spellings of one API to one name (`tf.keras.models.load_model` → keras's)."""
    for prefix, repl in _PREFIX_ALIASES:
        if qualname.startswith(prefix):
            qualname = repl + qualname[len(prefix) :]
            break
    qualname = _EXACT_ALIASES.get(qualname, qualname)
    # keras.layers.core.Dense, keras.layers.normalization.batch_normalization.BatchNormalization
    if qualname.startswith("keras.layers.") and qualname.count(".") > 2:
        qualname = "keras.layers." + qualname.rsplit(".", 1)[1]
    return qualname


ML_MODULE_ROOTS = frozenset(
    {
        "tensorflow",
        "keras",
        "tf_keras",
        "torch",
        "torchvision",
        "sklearn",
        "lightning",
        "pytorch_lightning",
        "transformers",
        "joblib",
        "xgboost",
        "lightgbm",
        "catboost",
        "timm",
        "accelerate",
        "skops",
    }
)

# Bytes whose absence means a file cannot matter (checked before parsing).
PREFILTER_NEEDLES = (
    b"tensorflow",
    b"keras",
    b"torch",
    b"sklearn",
    b"lightning",
    b"transformers",
    b"joblib",
    b"xgboost",
    b"lightgbm",
    b"catboost",
    b"timm",
    b"pickle",
    b"skops",
    b"accelerate",
    # Files that hold only artifact paths or seed helpers still link scripts together.
    b"numpy",
    b"seed",
    b"model",
    b".pt",
    b".pkl",
    b".h5",
    b".keras",
    b".joblib",
    b"scaler",
)

# --- loading and saving -------------------------------------------------------------------

KERAS_LOAD_MODEL = frozenset({"keras.models.load_model", "keras.saving.load_model"})
KERAS_SAVE_MODEL = frozenset({"keras.models.save_model", "keras.saving.save_model"})
TORCH_LOAD = frozenset({"torch.load"})
TORCH_SCRIPT_LOAD = frozenset({"torch.jit.load", "torch.export.load"})
TORCH_SCRIPT_SAVE = frozenset({"torch.jit.save", "torch.export.save"})
PICKLE_DUMP = frozenset(
    {"joblib.dump", "pickle.dump", "dill.dump", "cloudpickle.dump", "skops.io.dump", "torch.save"}
)
PICKLE_LOAD = frozenset(
    {"joblib.load", "pickle.load", "dill.load", "cloudpickle.load", "skops.io.load", "torch.load"}
)
CUSTOM_OBJECT_SCOPE = frozenset({"keras.saving.custom_object_scope"})
REGISTER_SERIALIZABLE = frozenset({"keras.saving.register_keras_serializable"})

# --- seeds and randomness -----------------------------------------------------------------

SEED_CALLS: dict[str, frozenset[str]] = {
    # qualified name -> RNG families it seeds
    "random.seed": frozenset({"python"}),
    "numpy.random.seed": frozenset({"numpy"}),
    "torch.manual_seed": frozenset({"torch"}),
    "torch.random.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed_all": frozenset({"torch"}),
    "tensorflow.random.set_seed": frozenset({"tensorflow"}),
    "tensorflow.set_random_seed": frozenset({"tensorflow"}),
    "tensorflow.compat.v1.set_random_seed": frozenset({"tensorflow"}),
    "keras.utils.set_random_seed": frozenset({"python", "numpy", "tensorflow", "keras"}),
    "lightning.seed_everything": frozenset({"python", "numpy", "torch"}),
    "lightning.fabric.seed_everything": frozenset({"python", "numpy", "torch"}),
    "lightning_fabric.utilities.seed.seed_everything": frozenset({"python", "numpy", "torch"}),
    "transformers.set_seed": frozenset({"python", "numpy", "torch", "tensorflow"}),
    "accelerate.utils.set_seed": frozenset({"python", "numpy", "torch"}),
}

SPLIT_CALLS = frozenset(
    {
        "sklearn.model_selection.train_test_split",
        "sklearn.cross_validation.train_test_split",
        "sklearn.model_selection.KFold",
        "sklearn.model_selection.StratifiedKFold",
        "sklearn.model_selection.GroupKFold",
        "sklearn.model_selection.RepeatedKFold",
        "sklearn.model_selection.ShuffleSplit",
        "sklearn.model_selection.StratifiedShuffleSplit",
        "sklearn.model_selection.GroupShuffleSplit",
        "torch.utils.data.random_split",
    }
)

# --- object kinds ---------------------------------------------------------------------------

SKLEARN_PREPROCESSORS = frozenset(
    {
        "StandardScaler",
        "MinMaxScaler",
        "RobustScaler",
        "MaxAbsScaler",
        "Normalizer",
        "QuantileTransformer",
        "PowerTransformer",
        "OneHotEncoder",
        "OrdinalEncoder",
        "LabelEncoder",
        "LabelBinarizer",
        "MultiLabelBinarizer",
        "TargetEncoder",
        "PolynomialFeatures",
        "SplineTransformer",
        "KBinsDiscretizer",
        "Binarizer",
        "CountVectorizer",
        "TfidfVectorizer",
        "TfidfTransformer",
        "DictVectorizer",
        "PCA",
        "IncrementalPCA",
        "KernelPCA",
        "TruncatedSVD",
        "NMF",
        "SimpleImputer",
        "KNNImputer",
        "IterativeImputer",
        "SelectKBest",
        "SelectPercentile",
        "VarianceThreshold",
        "RFE",
        "SelectFromModel",
        "ColumnTransformer",
        "make_column_transformer",
    }
)
SKLEARN_PIPELINES = frozenset({"Pipeline", "make_pipeline"})
# Stateless transformers: fitting them learns nothing worth saving.
STATELESS_PREPROCESSORS = frozenset(
    {"Normalizer", "Binarizer", "HashingVectorizer", "FunctionTransformer"}
)

KERAS_PREPROCESSING_LAYERS = frozenset(
    {
        "Normalization",
        "TextVectorization",
        "StringLookup",
        "IntegerLookup",
        "Discretization",
        "CategoryEncoding",
        "Hashing",
        "Rescaling",
        "Resizing",
        "CenterCrop",
    }
)
KERAS_ADAPTABLE_LAYERS = frozenset(
    {"Normalization", "TextVectorization", "StringLookup", "IntegerLookup", "Discretization"}
)
KERAS_RANDOM_AUGMENT_LAYERS = frozenset(
    {
        "RandomFlip",
        "RandomRotation",
        "RandomCrop",
        "RandomZoom",
        "RandomTranslation",
        "RandomContrast",
        "RandomBrightness",
        "RandomHeight",
        "RandomWidth",
        "RandAugment",
        "RandomColorJitter",
        "RandomGrayscale",
        "RandomHue",
        "RandomSaturation",
    }
)
KERAS_TOKENIZERS = frozenset({"keras.preprocessing.text.Tokenizer"})


def preprocessor_kind(qualname: str) -> str | None:
    """'sklearn', 'keras-layer', 'tokenizer', 'pipeline' for a preprocessor constructor, else None."""
    head, _, leaf = qualname.rpartition(".")
    if qualname in KERAS_TOKENIZERS or qualname.endswith("text.Tokenizer"):
        return "tokenizer"
    if head.startswith("sklearn"):
        if leaf in SKLEARN_PIPELINES:
            return "pipeline"
        if leaf in SKLEARN_PREPROCESSORS:
            return "sklearn"
        return None
    if head.startswith("category_encoders"):
        return "sklearn"
    if head == "keras.layers" and leaf in KERAS_ADAPTABLE_LAYERS:
        return "keras-layer"
    if qualname.startswith("transformers.") and "Tokenizer" in leaf:
        return "hf-tokenizer"
    return None


def is_sklearn_estimator(qualname: str) -> bool:
    head, _, leaf = qualname.rpartition(".")
    if not leaf[:1].isupper():
        return False
    if head.startswith("sklearn"):
        return (
            leaf not in SKLEARN_PREPROCESSORS
            and leaf not in SKLEARN_PIPELINES
            and (
                head.startswith(
                    (
                        "sklearn.linear_model",
                        "sklearn.ensemble",
                        "sklearn.svm",
                        "sklearn.tree",
                        "sklearn.neighbors",
                        "sklearn.naive_bayes",
                        "sklearn.neural_network",
                        "sklearn.cluster",
                        "sklearn.gaussian_process",
                        "sklearn.discriminant_analysis",
                        "sklearn.kernel_ridge",
                        "sklearn.dummy",
                        "sklearn.isotonic",
                        "sklearn.multiclass",
                        "sklearn.calibration",
                    )
                )
            )
        )
    return head in {"xgboost", "lightgbm", "catboost"} or head.startswith(
        ("xgboost.", "lightgbm.", "catboost.")
    )


KERAS_MODEL_CONSTRUCTORS = frozenset({"keras.models.Sequential", "keras.models.Model"})
KERAS_LAYER_BASES = frozenset({"keras.layers.Layer"})
KERAS_MODEL_BASES = frozenset({"keras.models.Model"})
TORCH_MODULE_BASES = frozenset({"torch.nn.Module", "lightning.LightningModule"})
TORCH_MODE_LAYERS = frozenset(
    {
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "SyncBatchNorm",
        "LazyBatchNorm1d",
        "LazyBatchNorm2d",
        "LazyBatchNorm3d",
    }
)


def is_torch_module_constructor(qualname: str) -> bool:
    if qualname.startswith("torch.nn.") and qualname.count(".") == 2:
        leaf = qualname.rsplit(".", 1)[1]
        return leaf[:1].isupper() and leaf not in {"Parameter", "Module"}
    return qualname.startswith(("torchvision.models.", "timm.create_model"))


def is_keras_model_constructor(qualname: str) -> bool:
    return qualname in KERAS_MODEL_CONSTRUCTORS or qualname.startswith("keras.applications.")


TORCH_OPTIMIZER_PREFIX = "torch.optim."
KERAS_OPTIMIZER_PREFIX = "keras.optimizers."


# torch module methods that return the module itself (`model.to(device).eval()`).
SELF_RETURNING_MODULE_METHODS = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "float",
        "half",
        "double",
        "bfloat16",
        "eval",
        "train",
        "requires_grad_",
        "share_memory",
    }
)
