from django import template
from django.utils.translation import get_language_info

register = template.Library()


@register.filter
def language_name(tag: str) -> str:
    """ "fr" -> "Français (French)"; a tag Django does not know is shown as it is."""
    for candidate in (tag, tag.split("-")[0]):
        try:
            info = get_language_info(candidate)
        except KeyError:
            continue
        if info["name_local"] == info["name"]:
            return str(info["name"])
        return f"{info['name_local']} ({info['name']})"
    return tag
