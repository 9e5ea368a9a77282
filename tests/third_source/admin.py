"""How the console lists the library's mirrored rows (see `Source.listings`)."""

from .models import Book, Branch

LISTINGS = {
    Branch: {
        "list_display": ["name", "city", "tenant", "active"],
        "search_fields": ["name", "external_id"],
    },
    Book: {
        "list_display": ["title", "author", "year", "branch", "tenant", "active"],
        "list_select_related": ["tenant", "branch"],
        "filters": ["branch__city"],
        "search_fields": ["title", "author", "external_id"],
    },
}
