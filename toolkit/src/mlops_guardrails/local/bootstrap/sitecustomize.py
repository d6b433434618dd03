"""Loaded by every Python process a local step starts (this folder is first on its PYTHONPATH).

It maps /opt/ml to the step's folder (pipelines/local/opt_ml.py says how and what it cannot cover), isolates a
step whose definition enables network isolation (pipelines/local/isolation.py), then runs the sitecustomize this
one shadows, if the interpreter has one.
"""
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chain_shadowed_sitecustomize():
    for folder in sys.path:
        candidate = os.path.join(folder or ".", "sitecustomize.py")
        if os.path.abspath(folder or ".") != _HERE and os.path.isfile(candidate):
            _load("_shadowed_sitecustomize", candidate)
            return


if os.environ.get("SAGEMAKER_LOCAL_OPT_ML"):
    _load("_sagemaker_local_opt_ml", os.path.join(os.path.dirname(_HERE), "opt_ml.py")).install(
        os.environ["SAGEMAKER_LOCAL_OPT_ML"]
    )
if os.environ.get("SAGEMAKER_LOCAL_NETWORK_ISOLATION"):
    _load("_sagemaker_local_isolation", os.path.join(os.path.dirname(_HERE), "isolation.py")).install()
_chain_shadowed_sitecustomize()
