"""The review web application: server-rendered pages with JSON twins, built by `create_app`."""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    # Imported lazily so that `casereview.web` costs nothing to the CLI until it serves.
    if name == "create_app":
        from casereview.web.app import create_app

        return create_app
    raise AttributeError(name)
