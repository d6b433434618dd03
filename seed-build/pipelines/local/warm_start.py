"""Warm-started step processes: each script runs in a fresh child forked from a process that already
imported the step libraries, instead of a new interpreter that imports them again.

A step's process is almost all interpreter start and imports (pandas, numpy, and xgboost, which pulls
in scikit-learn and scipy): about a second each, while this pipeline's scripts compute for
milliseconds. One "forkserver" process per run imports PRELOAD once; for every step it forks a child
that takes the step's own argv, environment, working folder and stdout/stderr files (so its own
/opt/ml view through ML_ROOT), runs the script as `python script.py` would (runpy, __main__), and
reports the exit code. The idea is multiprocessing's "forkserver" start method, and the same caveats
hold: the child ends with os._exit after its atexit functions, as multiprocessing's children do.

call() has subprocess.call's contract (args, cwd, env, stdout, stderr, timeout -> exit code, or
subprocess.TimeoutExpired after killing the process group). A command that is not a .py script on
this very interpreter with the same interpreter settings (another Python, such as a separate training
environment, flags like -u, other PYTHON* variables) runs as a plain process, and so does every command
where fork is not available (anything but Linux): summary() says which steps ran how, and why.
"""
import atexit
import contextlib
import importlib
import json
import os
import runpy
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator

# The libraries this repo's steps import; add the heavy ones your scripts use. Missing ones are skipped.
PRELOAD = ("numpy", "pandas", "xgboost")
READY_TIMEOUT_SECONDS = 120  # the forkserver's imports, on a loaded machine
_HEADER = struct.Struct("!Q")
_active: "WarmLauncher | None" = None


def call(args: list[str], *, cwd=None, env=None, stdout=None, stderr=None, timeout: float | None = None) -> int:
    """subprocess.call, warm-started when a launcher is active and the command is a script on this interpreter."""
    launcher = _active
    if launcher is not None:
        return launcher.call(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, timeout=timeout)
    return subprocess.call(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, timeout=timeout)


@contextlib.contextmanager
def warm_processes(preload: tuple[str, ...] = PRELOAD) -> Iterator["WarmLauncher"]:
    """Meanwhile, call() warm-starts what it can; the forkserver starts now (its imports overlap the
    caller's work) and stops at the end."""
    global _active
    launcher = WarmLauncher(preload)
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
    """The caller's side: starts the forkserver, sends it one request per step, counts what ran how."""

    def __init__(self, preload: tuple[str, ...]):
        self.preload = preload
        self.warm = 0
        self.plain: dict[str, int] = {}  # reason -> count
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._server: subprocess.Popen | None = None
        self._folder = tempfile.mkdtemp(prefix="warm-start-")
        self._socket_path = os.path.join(self._folder, "forkserver.sock")
        self._startup_env = dict(os.environ)
        self.unavailable = unavailable_reason()
        if self.unavailable is None:
            self._server = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), self._socket_path, *preload],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )

    def summary(self) -> str:
        parts = []
        if self.warm:
            parts.append(f"{self.warm} warm-started (forked after importing {', '.join(self.preload)})")
        parts += [f"{count} plain process{'es' if count > 1 else ''} ({reason})" for reason, count in self.plain.items()]
        return "; ".join(parts) or "no step processes"

    def call(self, args, *, cwd=None, env=None, stdout=None, stderr=None, timeout=None) -> int:
        reason = self._cannot_warm_start(args, cwd, env)
        if reason:
            with self._lock:
                self.plain[reason] = self.plain.get(reason, 0) + 1
            return subprocess.call(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, timeout=timeout)
        with self._lock:
            self.warm += 1
        return self._call_warm(args, cwd, env, stdout, stderr, timeout)

    def _cannot_warm_start(self, args, cwd, env) -> str | None:
        if self.unavailable:
            return self.unavailable
        if len(args) < 2 or os.path.abspath(args[0]) != os.path.abspath(sys.executable):
            return "not this interpreter"
        if not args[1].endswith(".py") or not os.path.isfile(os.path.join(cwd or os.getcwd(), args[1])):
            return "not a .py script"
        step_env = os.environ if env is None else env
        changed = {k for k in {*step_env, *self._startup_env} if k.startswith("PYTHON")
                   and step_env.get(k) != self._startup_env.get(k)}
        if changed:
            return f"other interpreter settings: {', '.join(sorted(changed))}"
        if not self._wait_ready():  # only a step that can use the forkserver waits for it
            return self.unavailable
        return None

    def _wait_ready(self) -> bool:
        """True once the forkserver listens; on failure, every later step runs as a plain process."""
        with self._lock:
            if self._ready.is_set() or self.unavailable:
                return self.unavailable is None
            line = _readline_within(self._server, READY_TIMEOUT_SECONDS)
            if line != "ready":
                self.unavailable = f"the forkserver did not start: {line or 'no answer'}"
                self._stop_server()
                return False
            self._ready.set()
            return True

    def _call_warm(self, args, cwd, env, stdout, stderr, timeout) -> int:
        request = json.dumps({"argv": list(args), "cwd": os.fspath(cwd or os.getcwd()),
                              "env": dict(os.environ if env is None else env)}).encode()
        out_fd = _fileno(stdout, 1)
        err_fd = out_fd if stderr == subprocess.STDOUT else _fileno(stderr, 2)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(self._socket_path)
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

    def close(self) -> None:
        self._stop_server()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _stop_server(self) -> None:
        if self._server is None:
            return
        if not self._ready.is_set():
            self._server.kill()  # still importing (a run that ended early): nothing of it is needed
        self._server.stdin.close()  # a ready forkserver exits on end of input
        try:
            self._server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()
        self._server.stdout.close()
        self._server = None


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


def _fileno(stream, default: int) -> int:
    if stream is None:
        return default
    return stream if isinstance(stream, int) else stream.fileno()


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
                if not sys.stdin.readline():
                    os._exit(0)  # the run is over; skip tearing the libraries down
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


def _fork_child(connection: socket.socket, listener: socket.socket, children: dict) -> int:
    header, fds, _, _ = socket.recv_fds(connection, _HEADER.size, 2)
    (length,) = _HEADER.unpack(header)
    payload = b""
    while len(payload) < length:
        payload += connection.recv(length - len(payload))
    request = json.loads(payload)
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
        sys.path[0] = os.path.dirname(script)
        if "numpy" in sys.modules:  # a fresh interpreter seeds numpy's global generator anew; so does each child
            sys.modules["numpy"].random.seed()
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


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
