"""DynamoSeqNoAllocator: seq_no blocks from an atomic counter (one UpdateItem per import)."""

from __future__ import annotations

from chalicelib.services.ports import SeqNoAllocator

from .dynamo_models import CounterModel as M

DIGITS = 13


class DynamoSeqNoAllocator(SeqNoAllocator):
    def allocate(self, ie_flag: str, year: int, count: int) -> list[str]:
        if count <= 0:
            return []
        counter = M(name=f"seq_no#{ie_flag}#{year}")
        counter.update(actions=[M.value.add(count)])  # atomic: concurrent imports get disjoint blocks
        last = int(counter.value)
        if last >= 10**DIGITS:
            raise OverflowError("seq_no counter exhausted for the year")
        return [f"{ie_flag}{year}{n:0{DIGITS}d}" for n in range(last - count + 1, last + 1)]
