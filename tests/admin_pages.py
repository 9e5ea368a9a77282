"""What a browser posts back of an admin page it was shown, untouched."""


def as_posted(form) -> dict:
    """`form` as the page rendered it: each field's initial value, secrets blank, boxes ticked."""
    data = {}
    for name, field in form.fields.items():
        value = form.get_initial_for_field(field, name)
        if value is True:
            data[form.add_prefix(name)] = "on"
        elif value is not None and value is not False and value != "":  # 0 is posted
            data[form.add_prefix(name)] = getattr(value, "pk", value)
    return data


def inlines_as_posted(page) -> dict:
    """The page's inline formsets: their management forms and every form in them."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        data.update(as_posted(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(as_posted(form))
    return data
