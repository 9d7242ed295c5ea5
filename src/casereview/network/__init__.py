"""Network: a graph of persons, records, objects and places; offender groups and their measures.

from casereview.network import run_network
result = run_network(engine, actor="alice")
"""

from __future__ import annotations

from casereview.network.stage import NetworkResult, run_network

__all__ = ["NetworkResult", "run_network"]
