"""What a browser posts back of an admin page it was shown, untouched."""

from django import forms


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
