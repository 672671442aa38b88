"""Run many independent tasks serially or on Dask, keeping every finished result.

This is the executor behind :func:`netprice.sweep` and
:func:`netprice.contingency.contingency`.  The same task function runs

* **serially** in this process (the default: no Dask needed);
* on a **local Dask cluster** of ``workers`` processes with one thread
  each (``LocalCluster(n_workers=N, threads_per_worker=1, processes=True)``);
* on an **existing Dask scheduler** at ``scheduler="tcp://HOST:PORT"``, or
  through a ``distributed.Client`` you already hold (``client=``).

A large object every task needs (the network, or its LP built once) is
pickled once and installed on each worker by a worker plugin, which the
scheduler also runs on workers that join or restart later; tasks then
carry only their scenarios, a batch of them per task (:func:`batch_size`:
a reused scenario takes tens of milliseconds, too little to schedule one
by one).  A task that raises is tried ``retries`` more times; a worker
lost mid-batch has its batch rescheduled on another worker by the
scheduler (and a batch that raises outside the tasks is retried by Dask);
a task that still fails is reported through ``on_error`` and the run goes
on.

Finished results are appended, as they arrive, to a
:class:`~netprice.store.ResultStore` (one JSON line per task, flushed to
disk), so an interrupted run keeps what it finished and a rerun skips it;
:class:`~netprice.progress.ProgressBar` shows how far it is.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import uuid

from .progress import ProgressBar
from .store import ResultStore, StoreMismatch, task_key, to_json

# ResultStore, StoreMismatch and task_key live in netprice.store; they are
# still importable from here, where they used to be.
__all__ = ["run_tasks", "dask_client", "batch_size", "DEFAULT_RETRIES",
           "ResultStore", "StoreMismatch", "task_key"]

#: How often Dask re-runs a task that raised before giving up on it.
DEFAULT_RETRIES = 2

_SHARED = {}  # token -> object installed by _SharedPlugin (one per process)


# -- Dask plumbing ---------------------------------------------------------------------------------
def _need_distributed():
    try:
        import distributed  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("workers= and scheduler= need Dask's distributed scheduler: "
                          "pip install 'dask[distributed]'") from None


@contextlib.contextmanager
def dask_client(*, workers=None, scheduler=None, client=None):
    """Yield a ``distributed.Client`` for the chosen executor, or None for serial.

    ``workers=N`` starts (and afterwards stops) a local cluster of N
    single-threaded worker processes; ``scheduler`` connects to a running
    scheduler; ``client`` is used as given and left open.
    """
    chosen = [name for name, v in (("workers", workers), ("scheduler", scheduler),
                                   ("client", client)) if v is not None]
    if len(chosen) > 1:
        raise ValueError(f"give at most one of workers, scheduler and client; got {chosen}")
    if client is not None:
        yield client
        return
    if scheduler is not None:
        _need_distributed()
        from distributed import Client

        with Client(scheduler, timeout="30s") as remote:
            yield remote
        return
    if workers is None:
        yield None
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    _need_distributed()
    import logging

    from distributed import Client, LocalCluster

    with _children_ignore_sigint():
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
    with cluster, Client(cluster) as local:
        yield local


class _Interrupt:
    """Whether Ctrl-C was pressed; :meth:`check` raises KeyboardInterrupt if so."""

    def __init__(self):
        self.pressed = False

    def check(self):
        if self.pressed:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _ctrl_c():
    """Make Ctrl-C stop a run even when it arrives inside the LP solver.

    OR-Tools' MathOpt solve runs Python's SIGINT handler from C++ and drops
    the KeyboardInterrupt it raises, so a Ctrl-C during a warm re-solve was
    lost and the run went on.  While this is active, the handler also
    notes the press, and the run checks the note after every task.  Only
    in the main thread, and only over Python's own handler (a caller's
    handler is left alone).
    """
    import signal
    import threading

    interrupt = _Interrupt()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield interrupt
        return

    def pressed(signum, frame):
        interrupt.pressed = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, pressed)
    try:
        yield interrupt
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _children_ignore_sigint():
    """Start processes that ignore SIGINT: Ctrl-C is for this process to handle.

    A terminal sends Ctrl-C to every process of the foreground job, the
    local cluster's workers too, each of which would print a traceback.
    A signal ignored across ``exec`` stays ignored, and Python then installs
    no KeyboardInterrupt handler: the workers leave stopping to this
    process, which closes the cluster.  While the cluster starts (a second
    or two), Ctrl-C here is ignored too.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _SharedPlugin:
    """Installs one pickled object on every worker, including ones that join later."""

    def __init__(self, token, payload):
        self.token = token
        self.payload = payload
        self.name = f"netprice-shared-{token}"

    def setup(self, worker=None):
        _SHARED[self.token] = pickle.loads(self.payload)

    def teardown(self, worker=None):
        _SHARED.pop(self.token, None)


def _attempt(fn, shared, item, retries):
    """``(True, fn(shared, item))``, or ``(False, exception)`` after ``1 + retries`` tries."""
    for _ in range(retries + 1):
        try:
            return True, fn(shared, item)
        except Exception as err:  # reported to the caller, which records it
            error = err
    return False, error


def _call_batch(token, fn, items, retries=DEFAULT_RETRIES):
    """Run ``fn(shared, item)`` for a batch of items on a worker, with the installed object.

    Returns ``[(True, result) or (False, exception)]``: an item that keeps
    raising does not take its batch down.
    """
    try:
        shared = _SHARED[token]
    except KeyError:  # pragma: no cover - the plugin runs before any task
        raise RuntimeError("the shared object was not installed on this worker") from None
    out = []
    for item in items:
        ok, value = _attempt(fn, shared, item, retries)
        if not ok:
            try:
                pickle.dumps(value)
            except Exception:
                value = RuntimeError(f"{type(value).__name__}: {value}")
        out.append((ok, value))
    return out


def batch_size(n_tasks, n_workers, *, per_worker=8, largest=32):
    """Tasks per Dask task: about ``per_worker`` batches per worker, at most ``largest``.

    Scenarios take tens of milliseconds once the model is reused; one Dask
    task each would spend a good part of that in scheduling.  Batches keep
    the overhead small and still balance the load at the end of a run.

    Examples
    --------
    >>> batch_size(280, 2), batch_size(10, 2), batch_size(100000, 64)
    (18, 1, 32)
    """
    return max(1, min(largest, -(-n_tasks // (per_worker * max(1, n_workers)))))


def _install_plugin_class():
    """Define the WorkerPlugin subclass at module level so workers can unpickle it."""
    global _SharedWorkerPlugin
    if "_SharedWorkerPlugin" in globals():
        return _SharedWorkerPlugin
    from distributed import WorkerPlugin

    class _SharedWorkerPlugin(_SharedPlugin, WorkerPlugin):
        """Worker plugin holding netprice's shared object for a run."""

    _SharedWorkerPlugin.__module__ = __name__
    globals()["_SharedWorkerPlugin"] = _SharedWorkerPlugin
    return _SharedWorkerPlugin


def __getattr__(name):  # workers unpickling the plugin class resolve it here
    if name == "_SharedWorkerPlugin":
        return _install_plugin_class()
    raise AttributeError(name)


# -- the runner ---------------------------------------------------------------------------------
def run_tasks(fn, shared, items, keys, *, on_error, workers=None, scheduler=None, client=None,
              store=None, progress=False, description="tasks", retries=DEFAULT_RETRIES,
              is_failure=None, batch=None) -> dict:
    """Run ``fn(shared, item)`` for every item; return ``{key: result}``.

    Parameters
    ----------
    fn : callable
        A module-level function (workers import it): ``fn(shared, item) -> result``,
        where the result is JSON-able (it is stored as a JSON line).
    shared : object
        Passed to every call; pickled once and installed on each worker.
    items, keys : sequences
        The tasks and a stable key for each (see :func:`task_key`); a key
        already in ``store`` is not run again.
    on_error : callable
        ``on_error(item, exception) -> result`` for a task that raised even
        after its retries (or whose workers kept dying); the run goes on.
    workers, scheduler, client
        At most one: a local cluster of N processes, a scheduler address,
        or a ``distributed.Client``.  None of them: run serially here.
    store : ResultStore, optional
        Where finished results are appended as they arrive.
    progress : bool
        Show a progress bar (rich, on stderr).
    retries : int
        Further tries of a task that raised (and Dask retries of a batch).
    is_failure : callable, optional
        ``is_failure(result) -> bool``, counted on the progress bar.
    batch : int, optional
        Items per Dask task (default :func:`batch_size`: about eight
        batches per worker).  Results are still kept one item at a time.

    Returns
    -------
    dict
        ``{key: result}`` for every key, resumed ones included.  Results
        pass through JSON, so what a rerun reads back equals what a single
        run returns.
    """
    items, keys = list(items), list(keys)
    done = store.load() if store is not None else {}
    results = {k: done[k] for k in keys if k in done}
    todo = []
    seen = set(results)
    for item, key in zip(items, keys):
        if key not in seen:
            todo.append((item, key))
            seen.add(key)
    bar = ProgressBar(progress, len(set(keys)), len(results), description)

    def finish(key, result):
        result = json.loads(to_json(result))
        if store is not None:
            store.append(key, result)
        results[key] = result
        bar.advance(bool(is_failure and is_failure(result)))
        interrupt.check()

    try:
        if todo:
            with _ctrl_c() as interrupt, \
                    dask_client(workers=workers, scheduler=scheduler, client=client) as dask:
                if dask is None:
                    for item, key in todo:
                        ok, value = _attempt(fn, shared, item, retries)
                        finish(key, value if ok else on_error(item, value))
                else:
                    _run_dask(dask, fn, shared, todo, finish, on_error, retries, batch)
    finally:
        bar.close()
    return results


def _run_dask(client, fn, shared, todo, finish, on_error, retries, batch):
    from distributed import as_completed

    if batch is None:
        workers = client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values()) or 1
        batch = batch_size(len(todo), threads)
    token = uuid.uuid4().hex
    plugin = _install_plugin_class()(token, pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL))
    client.register_plugin(plugin, name=plugin.name)
    futures = {}
    try:
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            items = [item for item, _ in chunk]
            future = client.submit(_call_batch, token, fn, items, retries, retries=retries,
                                   pure=False,
                                   key=f"netprice-{token[:8]}-{chunk[0][1]}-{len(chunk)}")
            futures[future] = chunk
        for future in as_completed(list(futures)):
            chunk = futures.pop(future)
            if future.status == "finished":
                outcomes = future.result()
            else:  # the batch failed as a whole, even after its retries
                error = _future_error(future)
                outcomes = [(False, error)] * len(chunk)
            future.release()
            for (item, key), (ok, value) in zip(chunk, outcomes):
                finish(key, value if ok else on_error(item, value))
    finally:
        if futures:
            client.cancel(list(futures))
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin.name)


def _future_error(future):
    try:
        error = future.exception()
    except Exception as err:  # cancelled futures raise here
        return err
    return error if error is not None else RuntimeError(f"task ended as {future.status}")
