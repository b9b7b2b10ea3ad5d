"""Start-up failures an operator can fix, said in one line instead of a traceback.

A wrong ``MODEL_PATH``, an unreachable database or a setting that is not a
number stops the service before it answers. Starlette reports any failure
of the lifespan with the whole traceback, which buries the one sentence
that matters under sixty lines of library frames. The lifespan records the
message of such a *configuration* error (:func:`record_startup_error`), and
:class:`StartupErrorMiddleware` sends uvicorn that message instead of the
traceback: uvicorn logs it and exits with status 3, as before. Any other
exception at start-up is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from api.frame.scope_middleware import ScopeMiddleware
from classifier.errors import ClassifierError

__all__ = [
    "CONFIGURATION_ERRORS",
    "StartupErrorMiddleware",
    "configuration_error_message",
    "record_startup_error",
]

#: Errors of the configuration, not of the code: a missing or unreadable model
#: bundle or registry version, settings that do not validate. (A database that
#: cannot be used is one too: the lifespan words it with the store's own message.)
CONFIGURATION_ERRORS: tuple[type[Exception], ...] = (ClassifierError, ValidationError)


def record_startup_error(state: Any, message: str) -> None:
    """Keep the one-line ``message`` of a configuration error on the app's ``state``.

    Parameters
    ----------
    state : starlette.datastructures.State
        The app's state, read by :class:`StartupErrorMiddleware`.
    message : str
        What went wrong, in one line (:func:`configuration_error_message`).
    """
    state.startup_error = f"cannot start the service: {message}"


def configuration_error_message(exc: Exception) -> str:
    """One line for configuration error ``exc``, one of :data:`CONFIGURATION_ERRORS`."""
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']).upper() or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        return f"a setting is invalid ({problems})"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class StartupErrorMiddleware(ScopeMiddleware):
    """Replace the traceback of a start-up failure by its recorded message, if any.

    Parameters
    ----------
    app : ASGI application
    """

    handles = "lifespan"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_message(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                recorded = getattr(scope["app"].state, "startup_error", None)
                if recorded:
                    message = {**message, "message": recorded}
            await send(message)

        await self.app(scope, receive, send_message)
