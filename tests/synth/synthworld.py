"""Reading a generated synthetic world back from disk, for the synth tests."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class World:
    """A generated world on disk with its exports and truth read back."""

    root: Path

    def csv(self, name: str) -> list[dict[str, str]]:
        with (self.root / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def jsonl(self, name: str = "la_csc/referrals.jsonl") -> list[dict[str, Any]]:
        with (self.root / name).open(encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def person_of(self) -> dict[tuple[str, str], str]:
        """(source, mention_key) -> person_id from the truth."""
        return {
            (r["source"], r["mention_key"]): r["person_id"] for r in self.csv("truth/mentions.csv")
        }
