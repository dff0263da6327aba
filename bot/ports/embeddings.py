"""What the core needs to turn text into vectors: an embedder, named so stored vectors know it.

A vector is a unit-length float32 row; two texts are alike when their dot product is high.
`name` changes whenever the same text would get a different vector (another model, another
version), so vectors stored under an older name are computed again, never mixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text, in order."""
        ...
