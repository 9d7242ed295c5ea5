"""A Spark standalone cluster on loopback, started from the pyspark package: a master and N
workers, each its own process group, stopped whole at the end.

For the cluster test and the Spark benchmark (and anyone trying `--spark-master` on one
machine; docs/deployment.md). A real deployment runs its cluster under its own supervisor.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from casereview.errors import LinkageError

__all__ = ["LoopbackCluster", "loopback_cluster"]


@dataclass
class LoopbackCluster:
    """A running cluster: its master's URL and the processes (master first, then workers)."""

    url: str
    webui_port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.processes[1:]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_home() -> Path:
    try:
        import pyspark
    except ImportError as e:
        raise LinkageError("a Spark cluster needs pyspark: pip install 'casereview[spark]'") from e
    return Path(pyspark.__file__).parent


def _spark_class(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(  # noqa: S603  # nosec B603 (spark-class of the installed pyspark, fixed arguments)
            [str(_spark_home() / "bin" / "spark-class"), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # one process group each: stopped whole at the end
        )


def _alive_workers(webui: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{webui}/json/", timeout=2) as answer:  # nosec B310 (loopback, a port opened here)
            state = json.load(answer)
    except OSError:
        return 0
    return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def loopback_cluster(
    folder: Path,
    *,
    workers: int = 2,
    cores: int = 1,
    memory: str = "1g",
    timeout_s: float = 180.0,
) -> Iterator[LoopbackCluster]:
    """A master and `workers` workers (`cores` cores and `memory` each) on free loopback
    ports, with their logs and work folders in `folder`; the executors run this interpreter.
    Raises LinkageError (with the logs' tails) when the workers do not register in time."""
    env = {
        **os.environ,
        "SPARK_HOME": str(_spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(folder),
        "PYSPARK_PYTHON": sys.executable,
    }
    port, webui = _free_port(), _free_port()
    cluster = LoopbackCluster(url=f"spark://127.0.0.1:{port}", webui_port=webui)
    started = cluster.processes
    started.append(
        _spark_class(
            ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
             "--port", str(port), "--webui-port", str(webui)],
            folder / "master.log",
            env,
        )
    )  # fmt: skip
    try:
        for n in range(1, workers + 1):
            work = folder / f"worker{n}"
            work.mkdir()
            started.append(
                _spark_class(
                    ["org.apache.spark.deploy.worker.Worker", cluster.url, "--host", "127.0.0.1",
                     "--cores", str(cores), "--memory", memory, "--work-dir", str(work),
                     "--webui-port", str(_free_port())],
                    folder / f"worker{n}.log",
                    env,
                )
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while _alive_workers(webui) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in started):
                logs = "\n".join(p.read_text()[-2000:] for p in sorted(folder.glob("*.log")))
                raise LinkageError(f"the Spark cluster did not start {workers} workers:\n{logs}")
            time.sleep(1)
        yield cluster
    finally:
        _stop(started)
