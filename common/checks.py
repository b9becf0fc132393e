"""Range checks for the numbers stages are given, shared by the library and the CLI,
and the one test of what counts as a whole number or a number anywhere in the project.

The CLI states the same bounds to typer (``min=``/``max=``) so a bad option is a usage
error before anything starts; the library checks again because DAG tasks and scripts
call it directly, and a zero chunk size or a billion workers must be a clear error,
never a traceback or a machine brought to its knees.
"""

from __future__ import annotations

from typing import TypeGuard

from common.errors import ValueOutOfRange


def is_whole(value: object) -> TypeGuard[int]:
    """An int that is not a boolean (YAML and JSON ``true`` is the int 1 in Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or float that is not a boolean and not NaN (infinity passes: compare it
    with a bound)."""
    return (is_whole(value) or isinstance(value, float)) and value == value


def check_int(name: str, value: object, *, low: int, high: int) -> int:
    """``value`` as an int when it is a whole number within ``low..high``, else
    ValueOutOfRange naming ``name``, the value and the range."""
    if not is_whole(value):
        raise ValueOutOfRange(f"{name} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise ValueOutOfRange(f"{name} must be between {low} and {high}, not {_shown(value)}")
    return value


def _shown(value: int) -> str:
    """The number, or its size when it is too long to print (Python refuses to turn
    an int of more than 4,300 digits into text at all)."""
    if value.bit_length() <= 128:
        return str(value)
    return f"a {'negative ' if value < 0 else ''}number of {value.bit_length()} bits"
