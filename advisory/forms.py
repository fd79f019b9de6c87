"""The base of every form: it reads text fields of a form body, and keeps out what no
database column can hold.

Flask-WTF also reads uploaded files and JSON bodies into a form's fields; a file or a JSON
number where a field expects text would reach code that expects a string. So fields read text
only, and the one form that takes files (evidence with a report) reads them by name. A NUL
character is refused by PostgreSQL in any text column; it is taken out of what the page shows
again and named as the problem, before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from advisory.i18n import lazy_text as _l

# NUL: no database text column stores it.
UNSTORABLE = re.compile("\x00")
UNSTORABLE_MESSAGE = _l(
    "This contained an invisible character that cannot be stored; it was taken out. "
    "Please check the text and send it again."
)


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            chosen = super().wrap_formdata(form, formdata)
            if chosen is formdata or chosen is None:
                return chosen  # given by the caller (a GET form's query), or nothing sent
            # Picked from the request: the fields of a form body only, never files or JSON;
            # and only ASCII names. No field of ours has another, and a list field reads its
            # index with str.isdigit, which "²" passes and int() then refuses.
            fields: MultiDict[str, str] = MultiDict(
                (name, value) for name, value in request.form.items(multi=True) if name.isascii()
            )
            return fields

    def validate(
        self, extra_validators: dict[str, Sequence[Callable[..., Any]]] | None = None
    ) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and UNSTORABLE.search(field.data):
                field.data = UNSTORABLE.sub("", field.data)
                field.errors = [*field.errors, UNSTORABLE_MESSAGE]
                valid = False
        return valid
