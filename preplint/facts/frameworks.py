"""Qualified-name tables: which APIs fit, save, load, seed, split, and which classes are what."""

from __future__ import annotations

import re

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
# torch.nn modules whose behaviour depends on train/eval mode (the confirm worker reads these too).
TORCH_DROPOUT_MODULES = (
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
)
TORCH_NORM_MODULES = (
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "SyncBatchNorm",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
)
TORCH_MODE_LAYERS = frozenset((*TORCH_DROPOUT_MODULES, *TORCH_NORM_MODULES))


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


# --- kinds, set-up methods and random APIs that rules and analysis share -------------------

# The frameworks themselves: their own source is not judged by rules written for their users.
FRAMEWORK_PACKAGES = frozenset({"keras", "tf_keras", "tensorflow", "torch"})
FRAMEWORK_ROOTS = tuple(sorted(FRAMEWORK_PACKAGES))  # for str.startswith


# Packages a Keras model or layer comes from.
KERAS_PACKAGES = ("keras", "tensorflow", "tf_keras")


# Binding kinds (objects.classify_call) that are a trained or trainable model.
MODEL_KINDS = frozenset(
    {
        "keras-model",
        "torch-module",
        "sklearn-model",
        "pipeline",
        "torch-loaded",
        "unpickled",
        "hf-model",
    }
)


# The MODEL_KINDS that are neural networks of a framework (no scikit-learn, no pickles).
NETWORK_MODEL_KINDS = frozenset({"keras-model", "torch-module", "hf-model", "torch-loaded"})


# The MODEL_KINDS that are torch modules.
TORCH_MODEL_KINDS = frozenset({"torch-module", "torch-loaded", "hf-model"})


# Methods followed back to the model they are called on when looking for its origin
# (a narrower set than SELF_RETURNING_MODULE_METHODS, which tracks module mode).
MODEL_SELF_METHODS = frozenset(
    {"eval", "train", "to", "cuda", "cpu", "float", "half", "double", "requires_grad_"}
)


# torchvision transform class names that draw random numbers (augmentation).
TORCHVISION_RANDOM_TRANSFORMS = re.compile(
    r"^(Random\w*|ColorJitter|RandAugment|AutoAugment|TrivialAugmentWide|AugMix|GaussianBlur|ElasticTransform)$"
)


# torch functions that draw from the global RNG unless given a `generator=`.
TORCH_RANDOM_CALLS = frozenset(
    {
        "torch.rand",
        "torch.randn",
        "torch.randint",
        "torch.randperm",
        "torch.bernoulli",
        "torch.multinomial",
        "torch.normal",
        "torch.rand_like",
        "torch.randn_like",
        "torch.utils.data.random_split",
        "torch.nn.functional.dropout",
    }
)


# Methods where a class sets up the model it keeps (a load there serves every method).
MODEL_SETUP_METHODS = frozenset(
    {"__init__", "__post_init__", "__enter__", "setup", "build", "load"}
)


# Set-up methods of classes and test cases, where seeding covers the other methods.
SEED_SETUP_METHODS = frozenset(
    {"__init__", "__post_init__", "setUp", "setUpClass", "setup", "setup_method", "setup_class"}
)


# Preprocessor classes that learn statistics of the data they are fitted on
# (a different set from SKLEARN_PREPROCESSORS: decompositions and imputers, no encoders).
STATISTICS_PREPROCESSORS = frozenset(
    {
        "StandardScaler",
        "MinMaxScaler",
        "RobustScaler",
        "MaxAbsScaler",
        "QuantileTransformer",
        "PowerTransformer",
        "PCA",
        "IncrementalPCA",
        "KernelPCA",
        "TruncatedSVD",
        "SimpleImputer",
        "KNNImputer",
        "IterativeImputer",
        "KBinsDiscretizer",
        "Normalization",
        "Discretization",
        "TfidfVectorizer",
        "TfidfTransformer",
    }
)
