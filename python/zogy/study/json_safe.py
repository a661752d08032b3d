"""What the study results share: every number as a JSON-safe value, for ``to_dict``."""

from __future__ import annotations

import dataclasses
import math

import numpy as np


def _json_safe(value):
    """Plain Python numbers, lists and dicts; NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _dataclass_dict(result, arrays) -> dict:
    """``to_dict`` body: every field except the arrays named in ``arrays``."""
    return _json_safe(
        {
            f.name: getattr(result, f.name)
            for f in dataclasses.fields(result)
            if f.name not in arrays
        }
    )
