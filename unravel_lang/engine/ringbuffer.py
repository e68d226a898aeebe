"""A lock-free single-producer, single-consumer ring of parallel audio stems."""

from __future__ import annotations

import numpy as np


class StemRing:
    """`stems` lanes of `(channels, capacity)` float32 audio sharing one write and one read index.

    Positions are absolute sample counts that only grow: the producer writes samples
    `[write_pos, write_pos + n)` of every stem and then advances `write_pos`; the consumer
    reads `[read_pos, write_pos)` and then advances `read_pos`. Each side only assigns its
    own counter, so no lock is needed (an int assignment is atomic under the GIL).
    """

    def __init__(self, stems: int, channels: int, capacity: int) -> None:
        self.data = np.zeros((stems, channels, capacity), dtype=np.float32)
        self.capacity = int(capacity)
        self.write_pos = 0
        self.read_pos = 0

    @property
    def filled(self) -> int:
        """Samples written and not yet read."""
        return self.write_pos - self.read_pos

    @property
    def free(self) -> int:
        """Samples that can be written without overwriting unread ones."""
        return self.capacity - self.filled

    def block(self, length: int) -> np.ndarray:
        """Writable view `(stems, channels, length)` at `write_pos`; must not wrap around.

        The producer writes blocks of a length that divides the capacity, so they never do.
        """
        start = self.write_pos % self.capacity
        if start + length > self.capacity or length > self.free:
            raise ValueError(f"a block of {length} samples does not fit at {self.write_pos}")
        return self.data[:, :, start : start + length]

    def commit(self, length: int) -> None:
        """Publish `length` samples written through `block`."""
        self.write_pos += length

    def split(self, start: int, length: int) -> tuple[int, int, int]:
        """Where absolute samples `[start, start + length)` lie in the ring.

        Returns `(index, first, second)`: `first` samples from ring index `index`, then
        `second` samples from index 0.
        """
        index = start % self.capacity
        first = min(length, self.capacity - index)
        return index, first, length - first
