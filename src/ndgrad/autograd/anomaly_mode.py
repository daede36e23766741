"""Anomaly detection: remember where each node was made and check backward results for NaN."""

from __future__ import annotations

from typing import Any


class _AnomalyState:
    """Process-wide, as PyTorch's anomaly flag (a debugging switch, not a per-thread mode):
    a plain object, so the check every op makes costs one attribute read."""

    __slots__ = ("enabled", "check_nan")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


_state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` or after ``set_detect_anomaly(True)``."""
    return _state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode also checks backward results for NaN."""
    return _state.check_nan


class detect_anomaly:
    """Context manager: record forward tracebacks and raise on NaN gradients."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = (_state.enabled, _state.check_nan)
        _state.enabled, _state.check_nan = True, self.check_nan

    def __exit__(self, *exc: Any) -> None:
        _state.enabled, _state.check_nan = self._prev


class set_detect_anomaly:
    """Turn anomaly detection on or off (immediately; undone on exit when used with ``with``)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_state.enabled, _state.check_nan)
        _state.enabled, _state.check_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _state.enabled, _state.check_nan = self._prev
