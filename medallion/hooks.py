"""Cross-app lifecycle hooks: a lower layer declares a hook, a higher app connects its receivers in `ready()`.

Receivers run one after another in connection order (unlike `Signal.asend`, which runs them concurrently),
and connecting the same receiver twice keeps one, so `ready()` may run more than once.
"""

from collections.abc import Iterator
from typing import Generic, TypeVar

Receiver = TypeVar("Receiver")


class Hook(Generic[Receiver]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Receiver] = []

    def connect(self, receiver: Receiver) -> Receiver:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def __iter__(self) -> Iterator[Receiver]:
        return iter(list(self._receivers))

    def __contains__(self, receiver: object) -> bool:
        return receiver in self._receivers
