"""The throwaway Solr of ``scripts/solr-test``, as the tests and benchmarks see it.

``scripts/solr-test start DIR`` writes ``DIR/state``: ``zk=``, ``node0=``,
``node1=``… and ``control=`` (the launcher's control port on 127.0.0.1,
which stops and starts nodes: ``stop-node 1``, ``start-node 1``, ``status``).
"""
import os
import socket

__all__ = ["SolrCluster", "cluster_from_env", "ENV"]

ENV = "SEREPOK_TEST_SOLR_DIR"


class SolrCluster:
    def __init__(self, state_dir):
        self.state_dir = state_dir
        values = {}
        with open(os.path.join(state_dir, "state"), encoding="utf-8") as lines:
            for line in lines:
                key, _, value = line.strip().partition("=")
                values[key] = value
        self.zk = values["zk"]
        self.urls = [values[k] for k in sorted(values) if k.startswith("node")]
        self.control_port = int(values["control"])

    def control(self, command, timeout=120):
        """Send one command to the launcher; returns its answer line."""
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=timeout) as s:
            s.sendall(command.encode() + b"\n")
            answer = s.makefile(encoding="utf-8").readline().strip()
        if not answer.startswith("ok"):
            raise RuntimeError(f"solr launcher: {command}: {answer}")
        return answer

    def stop_node(self, n):
        self.control(f"stop-node {n}")

    def start_node(self, n):
        self.control(f"start-node {n}")

    def admin(self):
        from federation.solr.admin import SolrAdmin
        return SolrAdmin(self.urls[0])


def cluster_from_env():
    """The running test cluster, or None when ``SEREPOK_TEST_SOLR_DIR`` is unset
    or names no running cluster."""
    state_dir = os.environ.get(ENV, "")
    if not state_dir or not os.path.exists(os.path.join(state_dir, "state")):
        return None
    return SolrCluster(state_dir)
