"""A local library server: two branches and their books, behind an API key header."""

from sync.upstream.sandbox import Reply, Request, SandboxApp, json_reply

DEMO_API_KEY = "library-demo-key"


def shelves() -> dict[str, dict]:
    """The demo library: each branch with the books on its shelves."""
    return {
        "central": {
            "name": "Central Library",
            "city": "Brno",
            "books": [
                {"id": "b-1", "title": "Babička", "author": "Božena Němcová", "year": 1855},
                {"id": "b-2", "title": "R.U.R.", "author": "Karel Čapek", "year": 1920},
            ],
        },
        "river": {
            "name": "Riverside Branch",
            "city": "Olomouc",
            "books": [{"id": "b-3", "title": "Krakatit", "author": "Karel Čapek", "year": 1924}],
        },
    }


class LibrarySandbox(SandboxApp):
    title = "Library"

    def __init__(self, prefix: str = "") -> None:
        super().__init__(prefix)
        self.api_key = DEMO_API_KEY
        self.branches = shelves()
        self.route("GET", r"/api/branches", self.list_branches)
        self.route("GET", r"/api/branches/(?P<branch_id>[^/]+)/books", self.list_books)

    def dispatch(self, request: Request) -> Reply:
        if request.headers.get("x-api-key") != self.api_key:
            return json_reply(401, {"Message": "Unknown API key."})
        return super().dispatch(request)

    def list_branches(self, request: Request) -> Reply:
        listed = [
            {"id": key, "name": branch["name"], "city": branch["city"]}
            for key, branch in self.branches.items()
        ]
        return json_reply(200, listed)

    def list_books(self, request: Request, branch_id: str) -> Reply:
        if branch_id not in self.branches:
            return json_reply(404, {"Message": "No such branch."})
        return json_reply(200, self.branches[branch_id]["books"])
