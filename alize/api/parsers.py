"""JSON parser with a size and a nesting limit, so hostile bodies answer 400, not 500."""

import codecs
import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import renderers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

# A JSON string literal, or one bracket outside any string.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when arrays and objects in ``text`` nest deeper than ``limit``; brackets inside
    strings are not counted. Linear in the text, with no recursion."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing with 400 a body larger than ``API_JSON_MAX_BYTES`` or
    nested deeper than ``API_JSON_MAX_DEPTH`` before decoding it."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    strict = api_settings.STRICT_JSON

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.API_JSON_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(
                _("Le corps JSON dépasse la taille maximale de %(limit)s octets.")
                % {"limit": limit}
            )
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(
                _("Le corps JSON n'est pas un texte valide : %(error)s") % {"error": exc}
            )
        if json_depth_exceeds(text, settings.API_JSON_MAX_DEPTH):
            raise ParseError(
                _("Le corps JSON est imbriqué sur plus de %(depth)s niveaux.")
                % {"depth": settings.API_JSON_MAX_DEPTH}
            )
        try:
            parse_constant = drf_json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(_("JSON invalide : %(error)s") % {"error": exc})
