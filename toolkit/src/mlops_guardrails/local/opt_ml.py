"""Show a step's Python process SageMaker's /opt/ml: paths under it are redirected to the step's folder.

Why remapping and not a mount: SageMaker's containers mount their data at /opt/ml; outside Docker that
folder would need root to create, and a per-run mount namespace (unshare + bind mount) exists only on
Linux with unprivileged user namespaces enabled (several distributions turn them off; macOS has none).
Redirecting inside the step's own Python process works on both, without root.

install(root) wraps the file functions of builtins, io, os and (through them) pathlib, shutil, glob,
tarfile, pandas, numpy, joblib and pickle: a path equal to /opt/ml or under /opt/ml/ becomes the same
path under root; every other path and every file descriptor is left alone. Child Python processes get
the same through sitecustomize (pipelines/local/bootstrap/). What it cannot cover: native code that
opens a path itself (a C/C++ library such as xgboost's Booster.save_model, pyarrow, a shell command).
Such a call still sees the real /opt/ml, which does not exist here, so it fails with the library's own
"No such file or directory" naming /opt/ml/...; the step's failure then adds a hint (NATIVE_HINT). The
SM_* variables hold the mapped folders, so code that builds its paths from them works everywhere.

Standard library only: it is loaded into every step process before anything else.
"""
import builtins
import io
import os

CONTAINER_ROOT = "/opt/ml"
ENV_VARIABLE = "SAGEMAKER_LOCAL_OPT_ML"  # where /opt/ml lives for this process; set by run_process
NATIVE_HINT = (
    "local runs map /opt/ml for Python's file functions only; native code (a C library, a shell command) "
    "opening an /opt/ml path sees no such folder: build the path from the SM_* variables or open it in Python"
)

# os functions whose first argument (and, for the pairs, second) is a path.
_ONE_PATH = (
    "access", "chdir", "chmod", "chown", "listdir", "lstat", "mkdir", "mkfifo", "open", "readlink",
    "remove", "rmdir", "scandir", "stat", "statvfs", "truncate", "unlink", "utime",
    "getxattr", "listxattr", "setxattr", "removexattr", "lchmod", "lchown", "chflags", "lchflags",
)
_TWO_PATHS = ("rename", "replace", "link", "symlink")


def map_path(path, root: str):
    """The host path of a container path; anything else unchanged (file descriptors, bytes, relative paths)."""
    if isinstance(path, (int, bytes)) or path is None:
        return path
    try:
        text = os.fspath(path)
    except TypeError:
        return path
    if not isinstance(text, str):
        return path
    if text == CONTAINER_ROOT or text.startswith(CONTAINER_ROOT + "/"):
        return root + text[len(CONTAINER_ROOT):]
    return path


def _wrap_first(function, state: dict):
    def wrapper(path, *args, **kwargs):
        return function(map_path(path, state["root"]), *args, **kwargs)

    wrapper.__wrapped__ = function
    wrapper.__name__ = getattr(function, "__name__", "wrapper")
    return wrapper


def _wrap_two(function, state: dict):
    def wrapper(source, destination, *args, **kwargs):
        return function(map_path(source, state["root"]), map_path(destination, state["root"]), *args, **kwargs)

    wrapper.__wrapped__ = function
    wrapper.__name__ = getattr(function, "__name__", "wrapper")
    return wrapper


def install(root: str) -> None:
    """Redirect /opt/ml to root in this process. Called again, it moves the redirect to the new root: a
    warm-started step (pipelines/local/warm_start.py) is forked from a process that installed it before
    importing the step libraries, so that what they keep from builtins, io and os at import is mapped too.
    The root lives on builtins.open, so every copy of this module (the bootstrap loads its own) moves it."""
    state = getattr(builtins.open, "_opt_ml_state", None)
    if state is not None:
        state["root"] = os.path.abspath(root)
        return
    state = {"root": os.path.abspath(root)}
    opener = _wrap_first(io.open, state)
    opener._opt_ml_state = state
    builtins.open = io.open = opener
    for name in _ONE_PATH:
        if hasattr(os, name):
            setattr(os, name, _wrap_first(getattr(os, name), state))
    for name in _TWO_PATHS:
        if hasattr(os, name):
            setattr(os, name, _wrap_two(getattr(os, name), state))
