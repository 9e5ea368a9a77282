"""A client of one library's server: its branches and each branch's books, with an API key."""

import time
from urllib.parse import quote

from sync.upstream.diagnosis import Diagnosis
from sync.upstream.errors import BadCredentials, ProtocolError, SyncError, UpstreamError
from sync.upstream.http import HttpClient

SERVER_NAME = "Library"


class LibraryClient(HttpClient):
    def __init__(self, base_url: str, api_key: str, **http_options) -> None:
        super().__init__(base_url, server_name=SERVER_NAME, **http_options)
        self._api_key = api_key

    def branches(self) -> list[dict]:
        return self._get("/api/branches")

    def books(self, branch_id: str) -> list[dict]:
        return self._get(f"/api/branches/{quote(branch_id, safe='')}/books")

    def _get(self, path: str) -> list[dict]:
        response = self.request("GET", path, headers={"X-Api-Key": self._api_key})
        if response.status_code == 401:
            raise BadCredentials(
                "The library refused the API key. Enter the current one in the connection's "
                "settings.",
                detail=f"{response.description}: HTTP 401",
            )
        if response.status_code != 200:
            raise UpstreamError(
                f"The library answered HTTP {response.status_code}.",
                detail=response.description,
            )
        payload = response.json()
        if not isinstance(payload, list):
            raise ProtocolError("The library did not answer with a list.", detail=path)
        return payload


def diagnose(client: LibraryClient) -> Diagnosis:
    started = time.monotonic()
    try:
        listed = client.branches()
    except SyncError as error:
        return Diagnosis.failure(error, elapsed_ms(started))
    return Diagnosis(True, "ok", f"The library lists {len(listed)} branches.", elapsed_ms(started))


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
