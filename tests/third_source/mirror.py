"""What a library connection mirrors: branches, and the books each branch lists."""

from sync.sources.streams import Answers, Batch, Record, Report, Stream

from .client import LibraryClient
from .models import Book, Branch

STREAMS = (
    Stream("branch", Branch, "branches"),
    Stream("book", Book, "books", may_be_empty=True),  # a new branch has empty shelves
)


def read(client: LibraryClient, connection, report: Report) -> dict[str, Batch]:
    report("branches", 0)
    branches = client.branches()
    answers = Answers(1 + len(branches), done=1)
    books = []
    for branch in branches:
        answers.report(report, f"books of {branch['name']}", len(books))
        books += [book_record(branch["id"], book) for book in client.books(branch["id"])]
    return {"branch": Batch([branch_record(b) for b in branches]), "book": Batch(books)}


def branch_record(branch: dict) -> Record:
    return Record(str(branch["id"]), {"name": branch["name"], "city": branch.get("city", "")})


def book_record(branch_id: str, book: dict) -> Record:
    return Record(
        str(book["id"]),
        {"title": book["title"], "author": book.get("author", ""), "year": book.get("year")},
        links={"branch": ("branch", str(branch_id))},
    )
