"""Read an XGBoost model file as SageMaker's XGBoost containers do: unpickle it first, else Booster.load_model.

The one loader of the toolkit: the rehearsal's endpoint host, the batch-transform step and the container-side
script (which runs under the XGBoost container's own Python, where only this file is imported: the standard
library and xgboost) all read models through it. Only unpickling's own failures fall through to the model
formats; reading the file is the caller's (its OSError stays an OSError), and xgboost's error for a file that is
neither is the caller's to word.
"""
import pickle

PICKLE = "pickle"  # a pickled Booster: what containers 1.0-1 and older write
NATIVE = "native"  # Booster.save_model's formats (JSON, UBJSON, xgboost 1.x's binary): what 1.3-1 and later write
# What pickle.loads raises for bytes that are not a pickle of something this Python can rebuild (the Python docs,
# pickle: "other exceptions may also be raised, including AttributeError, EOFError, ImportError, and IndexError").
UNPICKLING_ERRORS = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, KeyError,
                     TypeError, ValueError)


def unpickled_booster(raw: bytes):
    """The xgboost.Booster pickled in `raw`, or None when `raw` holds no pickled Booster."""
    import xgboost

    try:
        loaded = pickle.loads(raw)  # noqa: S301 - the container unpickles model files too: only load artifacts you trust
    except UNPICKLING_ERRORS:
        return None
    return loaded if isinstance(loaded, xgboost.Booster) else None


def load_booster(raw: bytes):
    """(Booster, PICKLE or NATIVE) for a model file's bytes; xgboost.core.XGBoostError when they are neither."""
    import xgboost

    booster = unpickled_booster(raw)
    if booster is not None:
        return booster, PICKLE
    booster = xgboost.Booster()
    booster.load_model(bytearray(raw))  # told apart by content
    return booster, NATIVE
