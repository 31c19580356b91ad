"""Background functions named ``"package.module:function"``.

The window names design work this way so that it never imports the design package
(numpy, the loaders) on its GUI thread: the module is imported where the work runs, in a
pool thread or the helper process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def resolve(target: str) -> Callable[..., Any]:
    """The function ``target`` names (importing its module)."""
    module_name, _, name = target.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), name)
    return function


def run_named(state: Any, target: str, *args: Any) -> Any:
    """Worker entry: import and call ``target(state, *args)`` on this thread."""
    return resolve(target)(state, *args)
