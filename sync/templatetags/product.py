from django import template

from edurpg.version import product_version

register = template.Library()
register.simple_tag(product_version)
