"""Warm-started step processes: each script runs in a fresh child forked from a process that already
imported the step libraries, instead of a new interpreter that imports them again.

A step's process is almost all interpreter start and imports (pandas, numpy, and xgboost, which pulls
in scikit-learn and scipy): about a second each, while this pipeline's scripts compute for
milliseconds. One "forkserver" process per run and Python environment (the project's, started with
the run; another over the same interpreter binary, such as the XGBoost container's, as soon as the run
knows its steps need it: start(), else on its first step) imports its preload (default PRELOAD) once;
for every step it forks a child that takes the step's own interpreter (run_process's virtual
environment over this one), argv, environment (PYTHONPATH and the ADOPTED settings applied as a new
interpreter would, sitecustomize rerun, so run_process's /opt/ml mapping moves to the step's folder),
working folder and stdout/stderr files, runs the script as `python script.py` would (runpy,
__main__), and reports the exit code. The idea is multiprocessing's "forkserver" start method, and
its caveats hold: the child ends with os._exit after its atexit functions, and a preloaded library
stays the project's version even if the step pip-installs another.

call() has subprocess.call's contract (args, cwd, env, stdout, stderr, timeout -> exit code, or
subprocess.TimeoutExpired after killing the step's process group; each step has its own session).
A command that is not a .py script on this interpreter (or a virtual environment over its binary), or that
differs in another PYTHON* setting or interpreter flag, runs as a plain process, and so does every
command where fork is not available (anything but Linux): summary() says which ran how, and why.
"""
import atexit
import contextlib
import importlib
import io
import json
import os
import re
import runpy
import selectors
import shutil
import signal
import site
import socket
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

# The default preload (missing libraries are skipped). run_local passes its own per environment:
# PROJECT_PRELOAD and XGBOOST_PRELOAD in container.py, where your scripts' heavy libraries go.
PRELOAD = ("numpy", "pandas", "xgboost")
READY_TIMEOUT_SECONDS = 120  # the forkserver's imports, on a loaded machine
_HEADER = struct.Struct("!Q")
# Interpreter settings a forked child takes over from the step's environment as a new interpreter would
# read them at start; a step that differs from the forkserver in any other PYTHON* variable runs plain.
ADOPTED = {"PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONDONTWRITEBYTECODE"}
_active: "WarmLauncher | None" = None


def call(args: list[str], *, cwd=None, env=None, stdout=None, stderr=None, timeout: float | None = None) -> int:
    """subprocess.call, warm-started when a launcher is active and the command is a script on this interpreter."""
    launcher = _active
    if launcher is not None:
        return launcher.call(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, timeout=timeout)
    return call_plain(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, timeout=timeout)


def call_plain(args: list[str], *, cwd=None, env=None, stdout=None, stderr=None, timeout: float | None = None) -> int:
    """A new process in its own session; past timeout its whole process group is killed and
    subprocess.TimeoutExpired raised, as on any interruption (it would not see the terminal's Ctrl-C)."""
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, start_new_session=True,
                               preexec_fn=die_with_parent if _PRCTL else None)
    try:
        return process.wait(timeout=timeout)
    except BaseException:
        _kill_group(process.pid)
        process.wait()
        raise


@contextlib.contextmanager
def warm_processes(preload: tuple[str, ...] = PRELOAD, env: dict[str, str] | None = None) -> Iterator["WarmLauncher"]:
    """Meanwhile, call() warm-starts what it can; the forkserver starts now (its imports overlap the
    caller's work) with this environment plus env, and stops at the end."""
    global _active
    launcher = WarmLauncher(preload, env)
    _active = launcher
    try:
        yield launcher
    finally:
        _active = None
        launcher.close()


def unavailable_reason() -> str | None:
    """Why this platform cannot warm-start, or None."""
    if not (hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")):
        return "fork with pidfd is not available on this platform (Linux only)"
    return None


class WarmLauncher:
    """The caller's side: one forkserver per Python environment the steps run over (this one, started at
    once; another, such as an XGBoost container's, by start() or on its first step), one request per
    step; counts what ran how."""

    def __init__(self, preload: tuple[str, ...], env: dict[str, str] | None = None):
        self.preload = preload
        self.warm = 0
        self.plain: dict[str, int] = {}  # reason -> count
        self._lock = threading.Lock()
        self._folder = tempfile.mkdtemp(prefix="warm-start-")
        self._startup_env = {**os.environ, **(env or {})}
        self._servers: dict[str, _ForkServer] = {}
        self.unavailable = unavailable_reason()
        if self.unavailable is None:
            self._server_for(sys.executable)

    def start(self, environments: dict[str, tuple[str, ...]]) -> None:
        """Start the forkservers of these Python environments (interpreter -> the libraries to preload
        there) now, so that their imports overlap the run's set-up and earlier steps instead of delaying
        the first step of each environment. One already started keeps its preload."""
        if self.unavailable is None:
            for python, preload in sorted(environments.items()):
                self._server_for(python, preload)

    def summary(self) -> str:
        parts = []
        if self.warm:
            imported = "; ".join(dict.fromkeys(", ".join(s.preload) or "nothing" for s in self._servers.values()))
            parts.append(f"{self.warm} warm-started (forked after importing {imported})")
        parts += [f"{count} plain process{'es' if count > 1 else ''} ({reason})" for reason, count in self.plain.items()]
        return "; ".join(parts) or "no step processes"

    def call(self, args, *, cwd=None, env=None, stdout=None, stderr=None, timeout=None) -> int:
        server, reason = self._server_for_step(args, cwd, env)
        if server is None:
            with self._lock:
                self.plain[reason] = self.plain.get(reason, 0) + 1
            return call_plain(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, timeout=timeout)
        with self._lock:
            self.warm += 1
        return server.call(args, cwd, env, stdout, stderr, timeout)

    def _server_for_step(self, args, cwd, env) -> "tuple[_ForkServer | None, str]":
        if self.unavailable:
            return None, self.unavailable
        base = _base_python(args[0]) if len(args) >= 2 else None
        if base is None:
            return None, "not this interpreter"
        if not args[1].endswith(".py") or not os.path.isfile(os.path.join(cwd or os.getcwd(), args[1])):
            return None, "not a .py script"
        step_env = os.environ if env is None else env
        changed = {k for k in {*step_env, *self._startup_env} if k.startswith("PYTHON") and k not in ADOPTED
                   and step_env.get(k) != self._startup_env.get(k)}
        if changed:
            return None, f"other interpreter settings: {', '.join(sorted(changed))}"
        server = self._server_for(base)
        if not server.wait_ready():  # only a step that can use a forkserver waits for it
            return None, server.failure
        return server, ""

    def _server_for(self, python: str, preload: tuple[str, ...] | None = None) -> "_ForkServer":
        with self._lock:
            if python not in self._servers:
                socket_path = os.path.join(self._folder, f"forkserver-{len(self._servers)}.sock")
                self._servers[python] = _ForkServer(python, self.preload if preload is None else preload,
                                                    self._startup_env, socket_path)
            return self._servers[python]

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()
        shutil.rmtree(self._folder, ignore_errors=True)


class _ForkServer:
    """One forkserver process: `python warm_start.py SOCKET MODULE...` under one Python environment."""

    def __init__(self, python: str, preload: tuple[str, ...], env: dict[str, str], socket_path: str):
        self.socket_path, self.preload, self.failure = socket_path, preload, ""
        self._lock, self._ready = threading.Lock(), threading.Event()
        self._process: subprocess.Popen | None = subprocess.Popen(
            [python, os.path.abspath(__file__), socket_path, *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )

    def wait_ready(self) -> bool:
        """True once it listens; if it fails to start, every later step of its environment runs plain."""
        with self._lock:
            if self._ready.is_set() or self.failure:
                return not self.failure
            line = _readline_within(self._process, READY_TIMEOUT_SECONDS)
            if line != "ready":
                self.failure = f"the forkserver did not start: {line or 'no answer'}"
                self.stop()
                return False
            self._ready.set()
            return True

    def call(self, args, cwd, env, stdout, stderr, timeout) -> int:
        request = json.dumps({"argv": list(args), "cwd": os.fspath(cwd or os.getcwd()),
                              "env": dict(os.environ if env is None else env)}).encode()
        out_fd = _fileno(stdout, 1)
        err_fd = out_fd if stderr == subprocess.STDOUT else _fileno(stderr, 2)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(self.socket_path)
            socket.send_fds(connection, [_HEADER.pack(len(request))], [out_fd, err_fd])
            connection.sendall(request)
            lines = _Lines(connection)
            pid = int(lines.next(None).removeprefix("pid "))
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                status = lines.next(deadline)
            except TimeoutError:
                _kill_group(pid)
                lines.next(None)
                raise subprocess.TimeoutExpired(args, timeout) from None
            except BaseException:  # interrupted: the child is in its own session, end it as subprocess would
                _kill_group(pid)
                raise
        return int(status.removeprefix("exit "))

    def stop(self) -> None:
        if self._process is None:
            return
        if not self._ready.is_set():
            self._process.kill()  # still importing (a run that ended early): nothing of it is needed
        self._process.stdin.close()  # a ready forkserver exits on end of input
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._process = None


class _Lines:
    """Newline-terminated messages from a socket, each within an optional deadline."""

    def __init__(self, connection: socket.socket):
        self.connection, self.buffer = connection, b""

    def next(self, deadline: float | None) -> str:
        while b"\n" not in self.buffer:
            self.connection.settimeout(None if deadline is None else max(deadline - time.monotonic(), 0.001))
            try:
                chunk = self.connection.recv(4096)
            except socket.timeout:
                raise TimeoutError from None
            if not chunk:
                raise ConnectionError("the forkserver closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()


def _base_python(python: str) -> str | None:
    """The Python whose forkserver can run a step on `python`: this interpreter itself, or for a virtual
    environment over this interpreter's binary (run_process's step environments) the environment whose
    site-packages its .pth files add: this one, or another over the same binary (an XGBoost container's
    Python); None for anything else."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return sys.executable
    folder = _venv_folder(python)
    if folder is None or os.path.realpath(python) != os.path.realpath(sys.executable):
        return None
    purelib = Path(_purelib(folder))
    text = "".join(p.read_text(errors="replace") for p in purelib.glob("*.pth")) if purelib.is_dir() else ""
    added = set(re.findall(r"site\.addsitedir\('([^']*)'\)", text))
    if added and added == {p for p in site.getsitepackages() if os.path.isdir(p)}:
        return sys.executable
    roots = {os.path.dirname(os.path.dirname(os.path.dirname(p))) for p in added}  # <env>/lib/pythonX.Y/site-packages
    if len(roots) == 1:
        base = os.path.join(roots.pop(), "bin", "python")
        if _venv_folder(base) and os.path.realpath(base) == os.path.realpath(sys.executable):
            return base
    return None


def _venv_folder(python: str) -> str | None:
    folder = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    return folder if os.path.isfile(os.path.join(folder, "pyvenv.cfg")) else None


def _purelib(folder: str) -> str:
    return sysconfig.get_path("purelib", vars={"base": folder, "platbase": folder})


def _fileno(stream, default: int) -> int:
    if stream is None:
        return default
    return stream if isinstance(stream, int) else stream.fileno()


def _load_prctl():
    """libc's prctl on Linux (None elsewhere), loaded before any fork: a child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a new child: the kernel SIGKILLs it when the process (thread) that started it ends, however that
    ends (kill -9 included); a step must not keep writing into a run that is over. Its own session keeps
    it from the terminal's Ctrl-C, so nothing else would end it."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _readline_within(process: subprocess.Popen, seconds: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    ready = selector.select(seconds)
    selector.close()
    return process.stdout.readline().strip() if ready else ""


# ---- the forkserver: run as `python warm_start.py SOCKET_PATH MODULE...` -------------------------


def serve(socket_path: str, preload: list[str]) -> None:
    """Import the libraries, then fork one child per request until standard input closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle; it ends the children
    for name in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "stdin")
    print("ready", flush=True)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    while True:
        for key, _ in selector.select():
            if key.data == "stdin":
                if not sys.stdin.readline():  # the run is over, or died (its end of the pipe closed with it)
                    _end(children, socket_path)
            elif key.data == "accept":
                connection, _ = listener.accept()
                pid = _fork_child(connection, listener, children)
                pidfd = os.pidfd_open(pid)
                children[pidfd] = (pid, connection)
                selector.register(pidfd, selectors.EVENT_READ, "child")
            else:
                pidfd = key.fd
                pid, connection = children.pop(pidfd)
                selector.unregister(pidfd)
                os.close(pidfd)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):
                    connection.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                connection.close()


def _end(children: dict, socket_path: str) -> None:
    """Kill what still runs (a killed run leaves no step writing into its folders), remove the socket and,
    once the last forkserver goes, the run's folder; skip tearing the libraries down."""
    for pid, _ in children.values():
        _kill_group(pid)
    with contextlib.suppress(OSError):
        os.unlink(socket_path)
        os.rmdir(os.path.dirname(socket_path))
    os._exit(0)


def _fork_child(connection: socket.socket, listener: socket.socket, children: dict) -> int:
    header, fds, _, _ = socket.recv_fds(connection, _HEADER.size, 2)
    (length,) = _HEADER.unpack(header)
    payload = b""
    while len(payload) < length:
        payload += connection.recv(length - len(payload))
    request = json.loads(payload)
    request["server"] = os.getpid()
    pid = os.fork()
    if pid == 0:
        listener.close()
        for _, other in children.values():
            other.close()
        connection.close()
        _run_script(request, fds)  # never returns
    for fd in fds:
        os.close(fd)
    connection.sendall(f"pid {pid}\n".encode())
    return pid


def _run_script(request: dict, fds: list[int]) -> None:
    """In the forked child: become `python script.py args` in the step's folder, environment and files."""
    code = 1
    try:
        os.setsid()  # its own process group, so a timeout ends whatever the script started too
        die_with_parent()  # and if the forkserver itself is killed, the step ends with it
        if os.getppid() != request["server"]:
            os._exit(1)  # the forkserver ended before the line above took effect
        devnull = os.open(os.devnull, os.O_RDONLY)
        for source, target in ((devnull, 0), (fds[0], 1), (fds[1], 2)):
            os.dup2(source, target)
        for fd in {devnull, *fds} - {0, 1, 2}:
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        script = os.path.abspath(request["argv"][1])
        sys.argv = request["argv"][1:]
        _adopt_interpreter(request["argv"][0], request["env"], os.path.dirname(script))
        if "numpy" in sys.modules:  # a fresh interpreter seeds numpy's global generator anew; so does each child
            sys.modules["numpy"].random.seed()
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except BaseException:  # noqa: BLE001 - the step's own failure, printed as its interpreter would
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _adopt_interpreter(python: str, env: dict[str, str], script_dir: str) -> None:
    """Become, as far as a running interpreter can, `python` started with env: its virtual environment
    (sys.executable, sys.prefix, its site-packages first), PYTHONPATH, the ADOPTED settings and the
    sitecustomize PYTHONPATH brings (run_process's bootstrap moves the /opt/ml mapping to this step)."""
    folder = _venv_folder(python)
    if folder is not None and os.path.abspath(python) != os.path.abspath(sys.executable):
        project = [p for p in site.getsitepackages() if p in sys.path]
        sys.executable, sys.prefix, sys.exec_prefix = python, folder, folder
        site.PREFIXES[:] = [folder, folder]
        purelib = _purelib(folder)
        site.addsitedir(purelib)  # also runs its .pth files; what they add is already on sys.path
        sys.path.remove(purelib)
        sys.path.insert(sys.path.index(project[0]) if project else len(sys.path), purelib)
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [script_dir, *extra, *[p for p in sys.path[1:] if p not in extra]]
    if env.get("PYTHONNOUSERSITE") and site.USER_SITE in sys.path:
        sys.path.remove(site.USER_SITE)
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    if env.get("PYTHONUNBUFFERED"):
        for name, fd in (("stdout", 1), ("stderr", 2)):
            old = getattr(sys, name)
            setattr(sys, name, io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding=old.encoding,
                                                errors=old.errors, write_through=True))
    if any(os.path.isfile(os.path.join(p, "sitecustomize.py")) for p in extra):
        sys.modules.pop("sitecustomize", None)
        try:
            importlib.import_module("sitecustomize")
        except Exception as error:  # noqa: BLE001 - as site.py reports it, and the script still runs
            print(f"Error in sitecustomize; set PYTHONVERBOSE for traceback:\n{type(error).__name__}: {error}",
                  file=sys.stderr)


def _exit_code(value) -> int:
    """What the interpreter makes of sys.exit(value)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.path.pop(0)  # this file's folder: a step script must not import the executor's modules by name
    serve(sys.argv[1], sys.argv[2:])
