"""OpenAPI paths, schemas and responses of loans, holds and digital loans
(:mod:`portal.api.circulation`), merged into :mod:`portal.api.openapi`."""
from ils.circulation.models import HoldStatus



# the shapes of portal.api.openapi, repeated here so that module can import this one
def ref(name, kind="schemas"):
    return {"$ref": f"#/components/{kind}/{name}"}


def string(description=None, **kw):
    return {"type": "string", **kw, **({"description": description} if description else {})}


def uri(description=None):
    return string(description, format="uri")


def obj(properties, required=()):
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def json_ok(description, schema, headers=None):
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def errors(*names):
    codes = {"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
             "PayloadTooLarge": "413", "UnsupportedMediaType": "415", "TooManyRequests": "429"}
    return {codes[n]: ref(n, "responses") for n in names}

CODES = ["card_unknown", "reader_pending", "reader_blocked", "reader_expired", "item_unknown",
         "item_not_for_loan", "item_on_loan", "item_on_hold_for_other", "loan_limit",
         "not_on_loan", "renewal_limit", "renewal_hold", "hold_limit", "hold_exists",
         "hold_unknown", "digital_unavailable", "digital_limit", "loan_unknown", "site_closed"]
LOCATION = {"Location": {"description": "The address (@id) of what was created.",
                         "schema": {"type": "string", "format": "uri"}}}
READ_ERRORS = ("Unauthorized", "Forbidden", "NotFound")
WRITE = ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "PayloadTooLarge",
         "UnsupportedMediaType", "TooManyRequests")
REFUSED = {"409": ref("CirculationRefused", "responses")}
ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
READER = [{"name": "reader", "in": "query", "required": False, "schema": {"type": "string"},
           "description": "Staff only: the reader's card number, citizen ID number or id. "
                          "A reader always gets their own account."}]


def paths():
    return {
        "/api/v1/loans": {
            "get": {
                "operationId": "listLoans", "tags": ["circulation"],
                "summary": "Your active loans (history=1: the history you chose to keep)",
                "parameters": READER + [{"name": "history", "in": "query",
                                         "schema": {"enum": ["0", "1"]}}],
                "responses": {"200": json_ok("Loans", ref("Loans")), **errors(*READ_ERRORS)}},
            "post": {
                "operationId": "checkout", "tags": ["circulation"],
                "summary": "Check an item out to a reader (staff of the site only)",
                "requestBody": body(ref("CheckoutRequest")),
                "responses": {"201": json_ok("The loan", ref("Loan"), LOCATION),
                              **errors(*WRITE), **REFUSED}}},
        "/api/v1/loans/{id}": {"parameters": ID, "get": {
            "operationId": "readLoan", "tags": ["circulation"], "summary": "One loan",
            "responses": {"200": json_ok("The loan", ref("Loan")), **errors(*READ_ERRORS)}}},
        "/api/v1/loans/{id}/renew": {"parameters": ID, "post": {
            "operationId": "renewLoan", "tags": ["circulation"],
            "summary": "Renew a loan (refused when another reader waits for the title)",
            "responses": {"200": json_ok("The loan with its new due date", ref("Loan")),
                          **errors("Unauthorized", "NotFound", "TooManyRequests"),
                          **REFUSED}}},
        "/api/v1/holds": {
            "get": {
                "operationId": "listHolds", "tags": ["circulation"],
                "summary": "Your open holds with their queue position or pickup deadline",
                "parameters": READER,
                "responses": {"200": json_ok("Holds", ref("Holds")), **errors(*READ_ERRORS)}},
            "post": {
                "operationId": "placeHold", "tags": ["circulation"],
                "summary": "Reserve a title (record_id) or one copy (barcode) for pickup",
                "requestBody": body(ref("HoldRequest")),
                "responses": {"201": json_ok("The hold", ref("Hold"), LOCATION),
                              **errors(*WRITE), **REFUSED}}},
        "/api/v1/holds/{id}": {"parameters": ID, "get": {
            "operationId": "readHold", "tags": ["circulation"], "summary": "One hold",
            "responses": {"200": json_ok("The hold", ref("Hold")), **errors(*READ_ERRORS)}},
            "patch": {
                "operationId": "changeHold", "tags": ["circulation"],
                "summary": "Change a waiting hold's pickup site and/or not-needed-after date "
                           "(it keeps its place in the queue)",
                "requestBody": body(ref("HoldChange")),
                "responses": {"200": json_ok("The hold", ref("Hold")), **errors(*WRITE),
                              **REFUSED}}},
        "/api/v1/holds/{id}/cancel": {"parameters": ID, "post": {
            "operationId": "cancelHold", "tags": ["circulation"], "summary": "Cancel a hold",
            "responses": {"200": json_ok("The cancelled hold", ref("Hold")),
                          **errors("Unauthorized", "NotFound", "TooManyRequests"),
                          **REFUSED}}},
        "/api/v1/digital-loans": {
            "get": {
                "operationId": "listDigitalLoans", "tags": ["circulation"],
                "summary": "Your digital loans and the waitlists you are on",
                "parameters": READER,
                "responses": {"200": json_ok("Digital loans", ref("DigitalLoans")),
                              **errors(*READ_ERRORS)}},
            "post": {
                "operationId": "borrowDigital", "tags": ["circulation"],
                "summary": "Borrow a licensed digital item or audiobook (by uid)",
                "requestBody": body(ref("DigitalBorrowRequest")),
                "responses": {
                    "201": json_ok("The loan", ref("DigitalLoan"), LOCATION),
                    "202": json_ok("No copy is free: you joined the waitlist",
                                   ref("DigitalWait")),
                    **errors(*WRITE), **REFUSED}}},
        "/api/v1/digital-loans/{id}": {"parameters": ID, "get": {
            "operationId": "readDigitalLoan", "tags": ["circulation"],
            "summary": "One digital loan, with a fresh access token while it runs",
            "responses": {"200": json_ok("The loan", ref("DigitalLoan")),
                          **errors(*READ_ERRORS)}}},
        "/api/v1/digital-loans/{id}/return": {"parameters": ID, "post": {
            "operationId": "returnDigital", "tags": ["circulation"],
            "summary": "Return a digital loan early (the next reader waiting is served)",
            "responses": {"200": json_ok("The ended loan", ref("DigitalLoan")),
                          **errors("Unauthorized", "NotFound", "TooManyRequests"),
                          **REFUSED}}},
    }


def schemas():
    time = string(format="date-time")
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    date = string(format="date")

    def listing(item):
        return obj({"@id": uri(), "@type": string(), "items": {"type": "array", "items": ref(item)},
                    "items_total": {"type": "integer"}}, required=("@id", "items"))

    return {
        "CirculationError": obj({"error": obj({
            "type": {"enum": ["Conflict"]},
            "message": string("For people; in Vietnamese unless Accept-Language asks for "
                              "English."),
            "code": {"enum": CODES, "description": "Stable, for machines."},
            "overridable": {"type": "boolean",
                            "description": "Staff may override it with a reason."},
        }, required=("type", "message", "code"))}, required=("error",)),
        "Loan": obj({
            "@id": uri(), "@type": {"const": "Loan"}, "id": {"type": "integer"},
            "barcode": string(), "title": string(), "record_id": {"type": "integer"},
            "site": string(), "out": time, "due": date, "returned": nullable_time,
            "renewals": {"type": "integer"}, "renew": uri("POST here to renew."),
        }, required=("@id", "@type", "id", "barcode", "due")),
        "Loans": listing("Loan"),
        "CheckoutRequest": obj({
            "reader": string("Card number, citizen ID number or reader id."),
            "barcode": string(), "site": string("The desk's site, e.g. bmt."),
            "override": string("Staff: the reason to override an overridable refusal."),
        }, required=("reader", "barcode", "site")),
        "Hold": obj({
            "@id": uri(), "@type": {"const": "Hold"}, "id": {"type": "integer"},
            "record_id": {"type": "integer"}, "title": string(),
            "barcode": {"type": ["string", "null"]}, "pickup_site": string(),
            "status": {"enum": [s.value for s in HoldStatus]},
            "position": {"type": ["integer", "null"],
                         "description": "Place in the queue of the pickup site (waiting)."},
            "placed": time, "ready_until": {"type": ["string", "null"], "format": "date"},
            "not_needed_after": {"type": ["string", "null"], "format": "date",
                                 "description": "A waiting hold lapses after this day."},
            "cancel": uri("POST here to cancel."),
        }, required=("@id", "@type", "id", "status", "pickup_site")),
        "Holds": listing("Hold"),
        "HoldChange": obj({
            "pickup_site": string("Another site of the library to collect it at."),
            "not_needed_after": {"type": "string", "format": "date", "description":
                                 "The hold lapses after this day: from today to a year "
                                 "ahead."}}),
        "HoldRequest": obj({
            "reader": string("Staff only: for whom."), "record_id": {"type": "integer"},
            "barcode": string("A specific copy instead of any copy of the title."),
            "pickup_site": string(),
            "not_needed_after": {"type": "string", "format": "date", "description":
                                 "Optional: the hold lapses after this day (default: the "
                                 "site's policy)."},
        }, required=("pickup_site",)),
        "DigitalLoan": obj({
            "@id": uri(), "@type": {"const": "DigitalLoan"}, "id": {"type": "integer"},
            "item_uid": string(), "title": string(), "started": time, "expires": time,
            "return": uri("POST here to return early."),
            "access_token": {"type": ["string", "null"],
                             "description": "Send as ?access= or X-Serepok-Access to the "
                                            "IIIF, PDF and audio addresses; lives an hour."},
        }, required=("@id", "@type", "id", "item_uid", "expires")),
        "DigitalWait": obj({
            "@id": uri(), "@type": {"const": "DigitalWait"}, "id": {"type": "integer"},
            "item_uid": string(), "title": string(), "joined": time,
            "position": {"type": ["integer", "null"]},
        }, required=("@id", "@type", "id", "item_uid")),
        "DigitalLoans": obj({"@id": uri(), "@type": string(), "items_total": {"type": "integer"},
                             "items": {"type": "array", "items": {
                                 "oneOf": [ref("DigitalLoan"), ref("DigitalWait")]}}},
                            required=("@id", "items")),
        "DigitalBorrowRequest": obj({"reader": string("Staff only: for whom."),
                                     "item_uid": string()}, required=("item_uid",)),
    }


def responses():
    return {"CirculationRefused": {
        "description": "The circulation rules refuse it; error.code says why.",
        "content": {"application/json": {"schema": ref("CirculationError")}}}}
