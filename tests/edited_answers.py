"""A sandbox whose answers a test changes where its data cannot express the change yet (a
mark's value, a module the account lists but the server refuses): a WSGI app around it."""

import json
import re

REFUSED = {"Message": "An error has occurred."}


def edited(sandbox, path: str, edit):
    """`sandbox`, with the JSON of each successful answer to a path matching `path` passed
    through `edit(payload, path)`."""

    def app(environ, start_response):
        route = environ.get("PATH_INFO", "")
        if not re.search(path, route):
            return sandbox(environ, start_response)
        answered = {}
        body = b"".join(sandbox(environ, lambda *args: answered.update(args=args)))
        status, headers = answered["args"][:2]
        if status.startswith("200"):
            body = json.dumps(edit(json.loads(body), route)).encode()
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


def refused(sandbox, path: str):
    """`sandbox`, answering 403 as Bakaláři does to every request for a path matching `path`."""

    def app(environ, start_response):
        if not re.search(path, environ.get("PATH_INFO", "")):
            return sandbox(environ, start_response)
        body = json.dumps(REFUSED).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response("403 Forbidden", headers)
        return [body]

    return app
