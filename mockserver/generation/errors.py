"""Errors raised while generating bodies."""

from __future__ import annotations


class GenerationError(Exception):
    """No valid body could be generated for a schema (it is unsatisfiable, or uses what no engine models)."""


class RetryDraw(Exception):
    """This draw went nowhere (an unsatisfiable branch, too few distinct items); try another one."""
