"""All stages in order: (ingest ->) link -> classify -> network -> review (-> report).

Each stage records its own run (`runs`) as it would when run alone; the pipeline only calls
them in order, times them and collects their counts into one summary. Stage modules are
imported when the pipeline runs, so importing this module stays cheap; the report stage runs
only when `casereview.report` provides `build_report`.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

__all__ = ["PipelineProgress", "PipelineResult", "StageSummary", "run_pipeline"]

# progress(stage, event, message): event is "start", "note" or "done".
PipelineProgress = Callable[[str, str, str], None]


@dataclass(frozen=True)
class StageSummary:
    """One stage of a pipeline run: how long it took and what it counted."""

    stage: str
    seconds: float
    run_id: int | None
    counts: dict[str, Any]


@dataclass
class PipelineResult:
    """Every stage the pipeline ran, in order, and the total time."""

    stages: list[StageSummary] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "stages": [dataclasses.asdict(s) for s in self.stages]}


def _counts(result: Any) -> tuple[int | None, dict[str, Any]]:
    """(run id, scalar and small-dict fields) of a stage's result dataclass."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        return None, {}
    values = dataclasses.asdict(result)
    run_id = values.pop("run_id", None)
    counts = {
        k: v
        for k, v in values.items()
        if isinstance(v, int | float | str | dict) and not k.startswith("_")
    }
    return (int(run_id) if run_id is not None else None), counts


def _ingest(
    engine: Engine, data: Path, mappings: Path, actor: str, say: Callable[[str], None]
) -> Any:
    from casereview.ingest import ingest_directory

    results = ingest_directory(
        engine, mappings, data, actor, on_file=lambda r: say(f"{r.file_name}: {r.rows_loaded} rows")
    )
    return {
        "files": len(results),
        "rows_read": sum(r.rows_read for r in results),
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
    }


def _report_available() -> bool:
    if importlib.util.find_spec("casereview.report") is None:
        return False
    return hasattr(importlib.import_module("casereview.report"), "build_report")


def _report(engine: Engine, actor: str, out_dir: Path) -> Any:
    build_report = importlib.import_module("casereview.report").build_report
    accepts_actor = "actor" in inspect.signature(build_report).parameters
    if accepts_actor:
        return build_report(engine, out_dir, actor=actor)
    return build_report(engine, out_dir)


def run_pipeline(
    engine: Engine,
    *,
    actor: str = "cli",
    progress: PipelineProgress | None = None,
    data: Path | None = None,
    mappings: Path | None = None,
    report_dir: Path | None = None,
) -> PipelineResult:
    """Run every stage in order (ingesting `data` through `mappings` first, when given).

    The report stage runs when `report_dir` is given and `casereview.report` is installed.
    """
    from casereview.classify import run_classify
    from casereview.link.stage import run_link
    from casereview.network import run_network
    from casereview.review.build import build_review

    tell = progress or (lambda _stage, _event, _message: None)
    stages: list[tuple[str, Callable[[Callable[[str], None]], Any]]] = []
    if data is not None:
        if mappings is None:
            raise ValueError("ingesting needs the mappings folder as well as the data folder")
        stages.append(("ingest", lambda say: _ingest(engine, data, mappings, actor, say)))
    stages += [
        ("link", lambda say: run_link(engine, actor=actor, progress=say)),
        ("classify", lambda _say: run_classify(engine, actor=actor)),
        ("network", lambda _say: run_network(engine, actor=actor)),
        ("review", lambda _say: build_review(engine, actor=actor)),
    ]
    if report_dir is not None and _report_available():
        stages.append(("report", lambda _say: _report(engine, actor, report_dir)))
    result = PipelineResult()
    started = time.perf_counter()
    for name, run in stages:
        tell(name, "start", "")
        t0 = time.perf_counter()
        output = run(lambda message, name=name: tell(name, "note", message))  # type: ignore[misc]
        seconds = round(time.perf_counter() - t0, 3)
        if isinstance(output, dict):
            run_id, counts = None, output
        else:
            run_id, counts = _counts(output)
        result.stages.append(StageSummary(name, seconds, run_id, counts))
        tell(name, "done", f"{seconds:.1f}s")
    result.seconds = round(time.perf_counter() - started, 3)
    return result
