"""Task functions registered by stable name.

RQ never pickles a task function: it runs ``app.jobs.runner.run_task`` with a
``Job`` id, and the runner finds the function here by the name stored on the
row. Renaming a function therefore never strands queued work; renaming a
*task* does, so task names are part of the schema.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_QUEUE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
DEFAULT_QUEUE = "default"
DEFAULT_TIMEOUT = 600


class UnknownTask(LookupError):
    """No task function is registered under this name."""


@dataclass(frozen=True)
class TaskSpec:
    name: str
    func: Callable[..., Any]
    queue: str = DEFAULT_QUEUE
    # Seconds before RQ kills the work horse; inline runs are not limited.
    timeout: int = DEFAULT_TIMEOUT
    # Called with the task's arguments inside the transaction that claims the
    # job, so what it marks (e.g. a "running" status staff can see) is
    # committed together with the claim, in one commit; what it returns is
    # ``JobContext.claimed`` for the task.
    on_claim: Callable[..., Any] | None = None
    # The job's own transactions (the claim; the task's work with the
    # "succeeded" mark) commit without waiting for the WAL flush (PostgreSQL
    # ``synchronous_commit = off``). Only for tasks whose work is redone when
    # such a commit is lost in a database crash: see ``context.relax_commit``.
    async_commit: bool = False
    # How a failed job of this task is retried (``services.retry``), for a
    # task whose job cannot simply run again (a numbered attempt, once
    # spent, is spent): called with the job's stored arguments (UUIDs as
    # text), it queues the work anew, after the caller commits, and returns
    # the new job, or raises ValueError saying why it cannot. None: the job
    # itself is queued again.
    retry_as: Callable[..., Any] | None = None

    @property
    def module(self) -> str:
        return self.func.__module__


_registry: dict[str, TaskSpec] = {}


def task(
    name: str,
    *,
    queue: str = DEFAULT_QUEUE,
    timeout: int = DEFAULT_TIMEOUT,
    on_claim: Callable[..., Any] | None = None,
    async_commit: bool = False,
    retry_as: Callable[..., Any] | None = None,
) -> Callable[[F], F]:
    """Register a function as the task ``name`` (e.g. ``"mail.deliver"``).

    The function receives the ids given to ``enqueue`` and looks everything
    else up itself, inside an application context with a fresh session.
    Tasks MUST be idempotent: RQ may deliver a job twice, an operator may
    retry a failed one, and a worker may die half-way, so a task checks what
    is already done (e.g. "message already sent") before doing it again.

    ``on_claim`` and ``async_commit`` trim a short task's bookkeeping (see
    ``TaskSpec``); ``async_commit`` is only for tasks that are re-run when a
    lost commit leaves their job queued or running. ``retry_as`` replaces
    queuing a failed job again (see ``TaskSpec``).
    """
    if not _NAME.match(name):
        raise ValueError(f"task name {name!r} must be dotted lower-case words, e.g. 'mail.deliver'")
    if not _QUEUE.match(queue):
        raise ValueError(f"queue name {queue!r} must be a short lower-case word")

    def decorate(func: F) -> F:
        existing = _registry.get(name)
        if existing is not None and _qualified(existing.func) != _qualified(func):
            raise ValueError(f"task {name!r} is already registered to {_qualified(existing.func)}")
        _registry[name] = TaskSpec(
            name=name,
            func=func,
            queue=queue,
            timeout=timeout,
            on_claim=on_claim,
            async_commit=async_commit,
            retry_as=retry_as,
        )
        func.task_name = name  # type: ignore[attr-defined]
        return func

    return decorate


def spec_for(task_ref: str | Callable[..., Any]) -> TaskSpec:
    """The registration for a task name or a decorated function."""
    name = task_ref if isinstance(task_ref, str) else getattr(task_ref, "task_name", None)
    if name is None:
        raise UnknownTask(
            f"{_qualified(task_ref)} is not a registered task; decorate it with @task('area.action')"
        )
    try:
        return _registry[name]
    except KeyError:
        raise UnknownTask(f"no task is registered as {name!r}") from None


def resolve(name: str, module: str | None = None) -> TaskSpec:
    """Find a task in a worker, importing the module that defined it if this
    process has not imported it yet (a worker only imports what the app
    factory imports)."""
    if name not in _registry and module:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise UnknownTask(f"task {name!r}: its module {module!r} cannot be imported ({exc})") from None
    return spec_for(name)


def registered_names() -> list[str]:
    return sorted(_registry)


def _qualified(func: Any) -> str:
    module = getattr(func, "__module__", None) or "?"
    qualname = getattr(func, "__qualname__", None) or repr(func)
    if inspect.ismethod(func):
        qualname = func.__func__.__qualname__
    return f"{module}.{qualname}"
