"""SolrCloud administration: upload our configset, create the collection.

Used by ``serepok solr setup`` and the tests. Requests go through the HTTP
session of the client library (pysolr's ``requests`` session), with the
Configsets and Collections APIs of Solr 9.
"""
import io
import os
import time
import zipfile

import pysolr

__all__ = ["CONFIGSET_DIR", "configset_zip", "SolrAdmin", "SolrAdminError"]

CONFIGSET_DIR = os.path.join(os.path.dirname(__file__), "configset", "conf")


class SolrAdminError(RuntimeError):
    """Solr refused an administrative request; the message says why."""


def configset_zip(directory=CONFIGSET_DIR):
    """Our configset (``conf/``) as the bytes of a zip file, files at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                archive.write(path, name)
    return buffer.getvalue()


class SolrAdmin:
    """The Collections and Configsets APIs of one Solr node (``base_url``:
    ``http://host:8983/solr``); any live node of a SolrCloud will do."""

    def __init__(self, base_url, timeout=60):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = pysolr.Solr(self.base_url, timeout=timeout).get_session()

    def _call(self, method, path, expect_ok=True, **kwargs):
        url = f"{self.base_url}/{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except Exception as error:     # requests' connection errors
            raise SolrAdminError(f"Solr không trả lời / Solr did not answer: {url}: {error}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if expect_ok and response.status_code != 200:
            message = (body.get("error") or {}).get("msg") or response.text[:500]
            raise SolrAdminError(f"Solr HTTP {response.status_code}: {message}")
        return response.status_code, body

    def configsets(self):
        _status, body = self._call("GET", "admin/configs", params={"action": "LIST", "wt": "json"})
        return body.get("configSets", [])

    def upload_configset(self, name, data=None, overwrite=True):
        """Upload our configset under ``name`` (replacing it when ``overwrite``)."""
        params = {"action": "UPLOAD", "name": name, "wt": "json"}
        if overwrite and name in self.configsets():
            params["overwrite"] = "true"
            params["cleanup"] = "true"
        self._call("POST", "admin/configs", params=params, data=data or configset_zip(),
                   headers={"Content-Type": "application/octet-stream"})

    def collections(self):
        _status, body = self._call("GET", "admin/collections",
                                   params={"action": "LIST", "wt": "json"})
        return body.get("collections", [])

    def create_collection(self, name, configset, shards=1, replicas=2):
        params = {"action": "CREATE", "name": name, "numShards": int(shards),
                  "replicationFactor": int(replicas), "collection.configName": configset,
                  "waitForFinalState": "true", "wt": "json"}
        _status, body = self._call("GET", "admin/collections", params=params)
        if body.get("failure"):
            raise SolrAdminError(f"Solr: {body['failure']}")
        self.wait_active(name)

    def reload_collection(self, name):
        self._call("GET", "admin/collections",
                   params={"action": "RELOAD", "name": name, "wt": "json"})

    def delete_collection(self, name):
        if name in self.collections():
            self._call("GET", "admin/collections",
                       params={"action": "DELETE", "name": name, "wt": "json"})

    def cluster_status(self, name=None):
        params = {"action": "CLUSTERSTATUS", "wt": "json"}
        if name:
            params["collection"] = name
        _status, body = self._call("GET", "admin/collections", params=params)
        return body.get("cluster", {})

    def wait_active(self, name, timeout=60):
        """Wait until every replica of ``name`` is active (after a create or a
        node coming back)."""
        deadline = time.monotonic() + timeout
        while True:
            cluster = self.cluster_status(name)
            shards = cluster.get("collections", {}).get(name, {}).get("shards", {})
            live = set(cluster.get("live_nodes", []))
            replicas = [r for s in shards.values() for r in s.get("replicas", {}).values()]
            if replicas and all(r.get("state") == "active" and r.get("node_name") in live
                                for r in replicas):
                return
            if time.monotonic() > deadline:
                raise SolrAdminError(f"collection {name}: replicas not active after {timeout}s")
            time.sleep(0.5)

    def setup(self, collection, configset=None, shards=1, replicas=2):
        """Upload the configset and create the collection, or, when it exists,
        upload the configset again and reload it. Returns "created" or "updated"."""
        configset = configset or collection
        self.upload_configset(configset)
        if collection in self.collections():
            self.reload_collection(collection)
            return "updated"
        self.create_collection(collection, configset, shards=shards, replicas=replicas)
        return "created"
