"""OpenAPI paths and schemas of the readers' part of ``/api/v1`` (merged by openapi.py)."""


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error(*types):
    return {str(status): {"$ref": f"#/components/responses/{name}"} for status, name in types}


def _ok(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def paths():
    return {
        "/api/v1/me/reader": {"get": {
            "operationId": "myReader", "tags": ["readers"],
            "summary": "Your library card: status, expiry, contact details, e-card data",
            "description": "Only the caller's own record. 404 when the account has no card "
                           "(register on the website first).",
            "responses": {"200": _ok("Your reader record", _ref("Reader")),
                          **_error((401, "Unauthorized"), (404, "NotFound"))}}},
        "/api/v1/readers": {"get": {
            "operationId": "searchReaders", "tags": ["readers"],
            "summary": "Staff: find readers by card number, citizen ID number or name",
            "description": "For staff only. Every search is written to the readers' audit "
                           "log with the readers it returned. Names match with or without "
                           "Vietnamese diacritics.",
            "parameters": [{"name": "q", "in": "query", "required": True,
                            "schema": {"type": "string", "maxLength": 200}}],
            "responses": {"200": _ok("Readers found (at most 50)", _ref("ReaderResults")),
                          **_error((400, "BadRequest"), (401, "Unauthorized"),
                                   (403, "Forbidden"))}}},
    }


def schemas():
    date = {"type": ["string", "null"], "format": "date"}
    text = {"type": "string"}
    return {
        "Reader": {"type": "object", "properties": {
            "@id": {"type": "string", "format": "uri"}, "@type": {"const": "Reader"},
            "card_number": {"type": ["string", "null"], "pattern": "^66[0-9]{9}$",
                            "description": "Eleven digits; the last is a Luhn check digit. "
                                           "Null until the desk issues the card."},
            "status": {"enum": ["pending", "active", "blocked", "closed"]},
            "expired": {"type": "boolean"},
            "category": {"enum": ["adult", "child", "student", "staff", "commune"]},
            "home_site": text, "full_name": text, "birth_date": date, "expires": date,
            "email": text, "phone": text, "language": {"enum": ["vi", "en"]},
            "address": text, "keep_history": {"type": "boolean"},
            "notifications": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "ecard": {"type": ["object", "null"], "description": "What to draw on a phone: "
                      "a Code 128 barcode and a QR code, both of the card number."},
            "id_number": {"type": ["string", "null"], "description": "Staff results only."},
            "block_reason": {"type": "string", "description": "Staff results only."},
            "html_url": {"type": "string", "format": "uri",
                         "description": "Staff results only: the record page."},
        }, "required": ["@id", "@type", "card_number", "status", "home_site", "full_name"]},
        "ReaderResults": {"type": "object", "properties": {
            "@id": {"type": "string", "format": "uri"}, "@type": {"const": "ReaderResults"},
            "q": text, "items_total": {"type": "integer"},
            "items": {"type": "array", "items": _ref("Reader")}},
            "required": ["@id", "@type", "items_total", "items"]},
    }
