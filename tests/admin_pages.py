"""What a browser posts back of an admin page it was shown, untouched; an import, step by step."""

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse


def as_posted(form) -> dict:
    """`form` as the page rendered it: each field's initial value, secrets blank, boxes ticked,
    and a select none of whose options is chosen at its first option, as a browser shows it."""
    data = {}
    for name, field in form.fields.items():
        value = form.get_initial_for_field(field, name)
        value = getattr(value, "pk", value)
        if is_single_select(field) and str(value) not in option_values(field):
            value = next(iter(option_values(field)), None)
        if value is True:
            data[form.add_prefix(name)] = "on"
        elif value is not None and value is not False and value != "":  # 0 is posted
            data[form.add_prefix(name)] = value
    return data


# A Bakaláři connection's page holds the formset of its further accounts: a page posted without
# it is refused as tampered with, as Django refuses any formset without its management form.
NO_ACCOUNTS = {"accounts-TOTAL_FORMS": "0", "accounts-INITIAL_FORMS": "0"}


def is_single_select(field) -> bool:
    widget = field.widget
    return isinstance(widget, forms.Select) and not widget.allow_multiple_selected


def option_values(field) -> list[str]:
    return [str(value) for value, _ in field.widget.choices]


def inlines_as_posted(page) -> dict:
    """The page's inline formsets: their management forms and every form in them."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        data.update(as_posted(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(as_posted(form))
    return data


def upload(client, model: str, text: str):
    """The import's first step: the CSV `text` is read and dry-run; nothing is written yet."""
    return client.post(
        reverse(f"admin:{model}_import"),
        {
            "format": 0,  # CSV, the first format offered
            "import_file": SimpleUploadedFile("import.csv", text.encode(), "text/csv"),
        },
    )


def confirm(client, model: str, preview):
    """The import's second step: what `preview` showed is written."""
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse(f"admin:{model}_process_import"), data, follow=True)
