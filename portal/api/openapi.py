"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

Written as Python data (no YAML dependency).  The schemas of the content
types are generated from their field schemas in :mod:`repository.resources`,
so a new field cannot be missing here; a functional test checks that every
route and view of the API appears in ``paths`` and nothing more.
"""
from federation.records import FILTER_FIELDS, MAX_ROWS, MAX_WINDOW, SORTS, YEAR_RANGES
from repository.resources import CONTENT_TYPES
from repository.workflow import STATE_TITLES, TRANSITIONS

from .http import DEFAULT_BATCH, MAX_BATCH
from . import openapi_readers
from . import openapi_circulation

VERSION = "1.0.0"
#: Content types the API can create (sites are made from the command line).
CREATABLE = [name for name in CONTENT_TYPES if name not in ("Root", "Site")]
ERROR_TYPES = [
    "BadRequest", "MalformedJSON", "ValidationError", "BadCSRFToken", "Unauthorized",
    "InvalidCredentials", "Forbidden", "NotFound", "MethodNotAllowed", "Conflict",
    "PayloadTooLarge", "UnsupportedMediaType", "TooManyRequests", "ServerError",
]


FILTER_HELP = {
    "library": "Held by this library (code); repeat for several.",
    "format": "book, ebook, digital, audiobook, serial, map, video…",
    "language": "ISO 639 code: vie, eng, fra, ede…",
    "year": "A period: " + ", ".join(label for label, _low, _high in YEAR_RANGES) + ".",
    "subject": "A subject heading as catalogued.",
    "author": "An author as catalogued.",
    "collection": "A collection name.",
    "available": "On the shelf now at this library; `online` for a digital copy, "
                 "`*` for anywhere.",
}


def ref(name, kind="schemas"):
    return {"$ref": f"#/components/{kind}/{name}"}


def string(description=None, **kw):
    schema = {"type": "string", **kw}
    if description:
        schema["description"] = description
    return schema


def uri(description=None):
    return string(description, format="uri")


def obj(properties, required=(), description=None, additional=False):
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    if additional is not None:
        schema["additionalProperties"] = additional
    return schema


def field_schema(field):
    """JSON Schema of one repository field as the API returns it."""
    kind = field.kind
    if kind == "list":
        schema = {"type": "array", "items": {"type": "string", "maxLength": field.max_length}}
    elif kind == "int":
        schema = {"type": ["integer", "null"]}
    elif kind == "year":
        schema = {"type": ["integer", "null"], "minimum": 1000}
    elif kind == "isbn":
        schema = {"type": "string", "pattern": "^((97[89])?[0-9]{9}[0-9X])?$",
                  "description": "ISBN-10 or ISBN-13; hyphens and spaces are accepted on input."}
    elif kind == "language":
        schema = {"type": "string", "pattern": "^([a-z]{3})?$"}
    else:
        schema = {"type": "string", "maxLength": field.max_length}
    schema["title"] = str(field.title)
    if field.help and "description" not in schema:
        schema["description"] = str(field.help)
    if field.marc:
        schema["x-marc"] = field.marc
    return schema


def content_schemas():
    schemas = {}
    for name, cls in CONTENT_TYPES.items():
        fields = {f.name: field_schema(f) for f in cls.schema}
        extra = {"@type": {"const": name}}
        if name == "Audiobook":
            extra["duration"] = {"type": "number", "description": "Seconds, all tracks."}
            extra["tracks"] = {"type": "array", "items": ref("Track")}
        if hasattr(cls, "cover"):
            extra["cover_url"] = {"type": ["string", "null"], "format": "uri"}
        if cls.is_container:
            extra["items"] = {"type": "array", "items": ref("ContentSummary")}
            extra["items_total"] = {"type": "integer", "minimum": 0}
            extra["batching"] = ref("Batching")
        schemas[name] = {
            "description": str(cls.__doc__ or name).strip().splitlines()[0],
            "allOf": [ref("ContentBase"), obj({**extra, **fields}, additional=None)],
        }
        if name in CREATABLE:
            required = ["@type"] + [f.name for f in cls.schema if f.required]
            schemas[name + "Create"] = obj(
                {"@type": {"const": name},
                 "name": string("URL name; made from the title when absent.",
                                pattern="^[a-z0-9][a-z0-9-]{0,79}$"),
                 **{f.name: input_schema(f) for f in cls.schema}},
                required=required)
        schemas[name + "Patch"] = obj(
            {f.name: input_schema(f) for f in cls.schema},
            description="Only the fields sent are changed. Read-only keys of the "
                        "representation (@id, state, items...) are ignored.",
            additional=True)
    return schemas


def input_schema(field):
    """What a client may send for a field: its stored form, or null for empty."""
    schema = field_schema(field)
    if field.kind == "isbn":
        schema["pattern"] = "^[0-9Xx -]*$"
    if field.kind in ("int", "year"):
        schema["type"] = ["integer", "string", "null"]
    elif field.kind == "list":
        schema["type"] = ["array", "null"]
    else:
        schema["type"] = ["string", "null"]
    return schema


def error_response(description, types):
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error"), "example": {
            "error": {"type": types[0], "message": "…"}}}},
    }


RESPONSES = {
    "BadRequest": error_response(
        "Malformed JSON, a body that is not an object, invalid fields (error.fields says "
        "which) or a missing CSRF token on a session request.",
        ["ValidationError", "MalformedJSON", "BadRequest", "BadCSRFToken"]),
    "Unauthorized": error_response("Not signed in, or the login or password is wrong.",
                                   ["Unauthorized", "InvalidCredentials"]),
    "Forbidden": error_response("Signed in, but not allowed to do this here.", ["Forbidden"]),
    "NotFound": error_response(
        "Nothing at this address, or nothing this user may see (a private object is a 404, "
        "not a 403, for those who may not view it).", ["NotFound"]),
    "MethodNotAllowed": error_response("The address does not accept this method (see Allow).",
                                       ["MethodNotAllowed"]),
    "Conflict": error_response("The name is taken, or the transition does not start from the "
                               "current state.", ["Conflict"]),
    "PayloadTooLarge": error_response("The body is larger than serepok.api.max_body_bytes.",
                                      ["PayloadTooLarge"]),
    "UnsupportedMediaType": error_response("The body is not sent as application/json.",
                                           ["UnsupportedMediaType"]),
    "TooManyRequests": error_response("Rate limited; Retry-After says when to try again.",
                                      ["TooManyRequests"]),
}


def errors(*names):
    codes = {"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
             "MethodNotAllowed": "405", "Conflict": "409", "PayloadTooLarge": "413",
             "UnsupportedMediaType": "415", "TooManyRequests": "429"}
    return {codes[n]: ref(n, "responses") for n in names}


def json_ok(description, schema, headers=None):
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def body(schema, description=None):
    request = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        request["description"] = description
    return request


WRITE_ERRORS = ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "PayloadTooLarge",
                "UnsupportedMediaType", "TooManyRequests")
LOCATION = {"Location": {"description": "The address (@id) of what was created.",
                         "schema": {"type": "string", "format": "uri"}}}


def paths():
    path_param = [ref("ContentPath", "parameters")]
    batch = [ref("BStart", "parameters"), ref("BSize", "parameters")]
    content_any = {"oneOf": [ref(n) for n in CONTENT_TYPES],
                   "discriminator": {"propertyName": "@type"}}
    return {
        "/api/v1": {"get": {
            "operationId": "entryPoint", "tags": ["content"],
            "summary": "Entry point: the sites and the addresses of the API",
            "responses": {"200": json_ok("The entry point", ref("EntryPoint"))}}},
        "/api/v1/openapi.json": {"get": {
            "operationId": "openapi", "tags": ["meta"], "summary": "This document",
            "responses": {"200": json_ok("OpenAPI 3.1", {"type": "object"})}}},
        "/api/v1/content/{path}": {
            "parameters": path_param,
            "get": {
                "operationId": "readContent", "tags": ["content"],
                "summary": "Read an object; a container lists the children you may see",
                "parameters": batch,
                "responses": {"200": json_ok("The object", content_any),
                              **errors("BadRequest", "NotFound")}},
            "post": {
                "operationId": "createContent", "tags": ["content"],
                "summary": "Create an object inside this container (new objects are private)",
                "requestBody": body({"oneOf": [ref(n + "Create") for n in CREATABLE],
                                     "discriminator": {"propertyName": "@type"}}),
                "responses": {"201": json_ok("Created", content_any, LOCATION),
                              **errors(*WRITE_ERRORS, "MethodNotAllowed", "Conflict")}},
            "patch": {
                "operationId": "updateContent", "tags": ["content"],
                "summary": "Change some fields of an object",
                "requestBody": body({"oneOf": [ref(n + "Patch") for n in CONTENT_TYPES]}),
                "responses": {"200": json_ok("The changed object", content_any),
                              **errors(*WRITE_ERRORS)}},
            "delete": {
                "operationId": "deleteContent", "tags": ["content"],
                "summary": "Delete an object and everything below it",
                "responses": {"204": {"description": "Deleted"},
                              **errors("Unauthorized", "Forbidden", "NotFound",
                                       "TooManyRequests")}},
        },
        "/api/v1/content/{path}/@move": {"parameters": path_param, "post": {
            "operationId": "moveContent", "tags": ["content"],
            "summary": "Move an object to another container of the same site",
            "requestBody": body(ref("MoveRequest")),
            "responses": {"200": json_ok("The object at its new address", content_any),
                          **errors(*WRITE_ERRORS, "Conflict")}}},
        "/api/v1/content/{path}/@transition": {"parameters": path_param, "post": {
            "operationId": "transitionContent", "tags": ["workflow"],
            "summary": "Run a workflow transition (publish, share_internally, retract)",
            "requestBody": body(ref("TransitionRequest")),
            "responses": {"200": json_ok("The object in its new state", content_any),
                          **errors(*WRITE_ERRORS, "Conflict")}}},
        "/api/v1/content/{path}/@workflow": {"parameters": path_param, "get": {
            "operationId": "readWorkflow", "tags": ["workflow"],
            "summary": "State, the transitions you may run, and the history (staff)",
            "responses": {"200": json_ok("The workflow", ref("Workflow")),
                          **errors("Unauthorized", "Forbidden", "NotFound")}}},
        "/api/v1/search": {"get": {
            "operationId": "search", "tags": ["search"],
            "summary": "Search a site's catalogue, or without a site the union catalogue "
                       "(with or without Vietnamese diacritics)",
            "description": "With `site`: that site's content you may see (`SearchResults`). "
                           "Without `site`: the union catalogue of both sites, the commune "
                           "libraries, digital items and audiobooks, answered as "
                           "`/api/v1/records` answers (`RecordSearchResults`, with facets); "
                           "its parameters apply (facet filters, `year_from`, `year_to`, "
                           "sorts `relevance`, `newest`, `oldest`, `title`, `author`), and "
                           "`type` may be `DigitalItem` or `Audiobook` (format `digital`, "
                           "`audiobook`). Rate limited with the `search` rule.",
            "parameters": [
                {"name": "site", "in": "query", "schema": string(),
                 "description": "The site's name, e.g. bmt or tuy-hoa; leave it out to "
                                "search the union catalogue."},
                {"name": "q", "in": "query", "schema": string(maxLength=500),
                 "description": "Words to find; empty lists everything you may see (a "
                                "site: at most 200 characters)."},
                {"name": "type", "in": "query", "schema": {"enum": list(CONTENT_TYPES)},
                 "description": "Without a site: DigitalItem or Audiobook."},
                {"name": "sort", "in": "query",
                 "schema": {"enum": sorted({"relevance", "title", "modified", *SORTS})},
                 "description": "A site: relevance, title, modified. The union catalogue: "
                                + ", ".join(SORTS) + "."},
                *[{"name": name, "in": "query", "explode": True,
                   "schema": {"type": "array", "items": string(maxLength=200)},
                   "description": "Without a site: " + FILTER_HELP[name]}
                  for name in FILTER_FIELDS],
                {"name": "year_from", "in": "query", "schema": {"type": "integer"},
                 "description": "Without a site: first year of publication (inclusive)."},
                {"name": "year_to", "in": "query", "schema": {"type": "integer"},
                 "description": "Without a site: last year of publication (inclusive)."},
                *batch],
            "responses": {"200": json_ok("Results you may see", {"oneOf": [
                              ref("SearchResults"), ref("RecordSearchResults")]}),
                          **errors("BadRequest", "TooManyRequests")}}},
        "/api/v1/records": {"get": {
            "operationId": "searchRecords", "tags": ["catalogue"],
            "summary": "Search the union catalogue: both sites, commune libraries, digital "
                       "items and audiobooks, with facets",
            "description": "The parameters of the reader's search page `/search`. Words "
                           "match with or without Vietnamese diacritics, exact diacritics "
                           "first; `\"a phrase\"`, `title:`, `author:`, `subject:`, `isbn:` "
                           "(ISBN-10 or -13, hyphens or not). Facet filters: values of one "
                           "field are alternatives (OR), different fields all apply (AND). "
                           f"At most the first {MAX_WINDOW} results can be paged through. "
                           "Rate limited with the `search` rule.",
            "parameters": [
                {"name": "q", "in": "query", "schema": string(maxLength=500),
                 "description": "Words to find; empty lists the newest records."},
                *[{"name": name, "in": "query", "explode": True,
                   "schema": {"type": "array", "items": string(maxLength=200)},
                   "description": FILTER_HELP[name]} for name in FILTER_FIELDS],
                {"name": "year_from", "in": "query", "schema": {"type": "integer"},
                 "description": "First year of publication (inclusive)."},
                {"name": "year_to", "in": "query", "schema": {"type": "integer"},
                 "description": "Last year of publication (inclusive)."},
                {"name": "sort", "in": "query",
                 "schema": {"enum": list(SORTS), "default": "relevance"},
                 "description": "`title` and `author` in Vietnamese alphabetical order."},
                ref("BStart", "parameters"),
                {"name": "b_size", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS,
                            "default": DEFAULT_BATCH}}],
            "responses": {"200": json_ok("Records found, with facet counts",
                                         ref("RecordSearchResults")),
                          **errors("BadRequest", "TooManyRequests")}}},
        "/api/v1/records/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": string(maxLength=200),
                            "description": "The union record's id (stable across harvests)."}],
            "get": {
                "operationId": "readRecord", "tags": ["catalogue"],
                "summary": "One union record: holdings per library, availability, links",
                "responses": {"200": json_ok("The record", ref("Record")),
                              **errors("NotFound")}}},
        "/api/v1/tokens": {
            "get": {
                "operationId": "listTokens", "tags": ["accounts"],
                "summary": "Your tokens that still work",
                "responses": {"200": json_ok("Tokens", ref("ApiTokens")),
                              **errors("Unauthorized")}},
            "post": {
                "operationId": "createToken", "tags": ["accounts"], "security": [{}],
                "summary": "Sign in with login and password; get a bearer token",
                "description": "Rate limited like the sign-in form (the `login` rule). "
                               "No CSRF token is needed.",
                "requestBody": body(ref("TokenRequest")),
                "responses": {"201": json_ok("The token; its value is shown only once",
                                             ref("ApiToken"), LOCATION),
                              **errors("BadRequest", "Unauthorized", "PayloadTooLarge",
                                       "UnsupportedMediaType", "TooManyRequests")}},
        },
        "/api/v1/tokens/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "delete": {
                "operationId": "revokeToken", "tags": ["accounts"],
                "summary": "Revoke one of your tokens",
                "responses": {"204": {"description": "Revoked"},
                              **errors("Unauthorized", "NotFound", "TooManyRequests")}}},
        "/api/v1/me": {"get": {
            "operationId": "me", "tags": ["accounts"],
            "summary": "Who you are: account roles and roles on each site",
            "responses": {"200": json_ok("The signed-in user", ref("User")),
                          **errors("Unauthorized")}}},
        **openapi_readers.paths(),
        **openapi_circulation.paths(),
    }


def schemas():
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    time = string(format="date-time")
    ref_obj = obj({"@id": uri(), "@type": string(), "title": string()})
    return {
        "Error": obj({"error": obj({
            "type": {"enum": ERROR_TYPES},
            "message": string("For people; in Vietnamese unless Accept-Language asks for English."),
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Validation errors: one message per field."},
        }, required=("type", "message"))}, required=("error",)),
        "ContentBase": obj({
            "@id": uri("The API address of the object."),
            "@type": {"enum": list(CONTENT_TYPES)},
            "name": string("The last segment of the path."),
            "uid": string("A stable identifier that survives moves.", pattern="^[0-9a-f]{32}$"),
            "type_title": string(),
            "state": {"enum": list(STATE_TITLES)},
            "state_title": string(),
            "created": time,
            "modified": time,
            "parent": {"oneOf": [ref_obj, {"type": "null"}]},
            "html_url": uri("The public page of the object."),
        }, required=("@id", "@type", "name", "uid", "state", "created", "modified", "parent"),
            additional=None),
        "ContentSummary": obj({
            "@id": uri(), "@type": {"enum": list(CONTENT_TYPES)}, "name": string(),
            "title": string(), "description": string(), "state": {"enum": list(STATE_TITLES)},
            "modified": time}, required=("@id", "@type", "name", "title", "state")),
        "Batching": obj({"@id": uri(), "first": uri(), "last": uri(), "prev": uri(),
                         "next": uri()}, required=("@id", "first", "last")),
        "Track": obj({
            "uid": string(), "order": {"type": "integer", "minimum": 1}, "title": string(),
            "duration": {"type": "number", "description": "Seconds."},
            "media_type": string(), "size": {"type": "integer"},
            "stream_url": uri("Streams the audio; supports HTTP Range requests."),
        }, required=("uid", "order", "title", "duration", "stream_url")),
        **content_schemas(),
        "MoveRequest": obj({
            "target": string("Path (/bmt/dia-chi) or API address of the new container, "
                             "in the same site."),
            "name": string("A new URL name; the current one when absent.",
                           pattern="^[a-z0-9][a-z0-9-]{0,79}$"),
        }, required=("target",)),
        "TransitionRequest": obj({
            "transition": {"enum": list(TRANSITIONS)},
            "comment": string(maxLength=1000),
        }, required=("transition",)),
        "Workflow": obj({
            "@id": uri(), "@type": {"const": "Workflow"}, "object": uri(),
            "state": {"enum": list(STATE_TITLES)}, "state_title": string(),
            "transitions": {"type": "array", "items": obj({
                "@id": uri(), "name": {"enum": list(TRANSITIONS)}, "title": string(),
                "target": {"enum": list(STATE_TITLES)}})},
            "history": {"type": "array", "items": obj({
                "transition": string(), "from": string(), "to": string(),
                "actor": {"type": ["string", "null"], "description": "User id."},
                "actor_name": {"type": ["string", "null"]},
                "comment": string(), "time": time})},
        }, required=("@id", "@type", "state", "transitions", "history")),
        "SearchResults": obj({
            "@id": uri(), "@type": {"const": "SearchResults"}, "site": uri(), "q": string(),
            "sort": {"enum": ["relevance", "title", "modified"]},
            "items_total": {"type": "integer"},
            "items": {"type": "array", "items": ref("ContentSummary")},
            "batching": ref("Batching"),
        }, required=("@id", "@type", "items_total", "items")),
        "Holding": obj({
            "library": string("Library code: bmt, tuy-hoa, or a commune library's code."),
            "library_name": string(), "site": string(), "call_number": string(),
            "location": string(),
            "items": {"type": "integer", "minimum": 0, "description": "Copies held."},
            "available": {"type": "integer", "minimum": 0,
                          "description": "Copies on the shelf now."},
        }, required=("library", "items", "available")),
        "Record": obj({
            "@id": uri(), "@type": {"const": "Record"}, "id": string(),
            "title": string(), "subtitle": string(),
            "authors": {"type": "array", "items": string()},
            "subjects": {"type": "array", "items": string()},
            "publisher": string(), "year": {"type": ["integer", "null"]},
            "language": string("ISO 639-2/3 code: vie, eng, fra, ede…"),
            "isbns": {"type": "array", "items": string()},
            "format": string("book, ebook, digital, audiobook, serial, map, video…"),
            "format_title": string(), "description": string(),
            "collections": {"type": "array", "items": string()},
            "url": {"type": ["string", "null"], "format": "uri",
                    "description": "The digital copy or e-resource, when there is one."},
            "holdings": {"type": "array", "items": ref("Holding")},
            "available_at": {"type": "array", "items": string(),
                             "description": "Libraries with a copy on the shelf now, and "
                                            "`online` for a digital copy."},
            "html_url": uri("The record's page for readers."),
            "qr_url": uri("A PNG QR code of html_url."),
            "citations": obj({"apa": string("APA-style reference, plain text."),
                              "ris": uri(), "bibtex": uri()}),
            "highlights": obj({"title": string(), "description": string()},
                              description="In search results: HTML with matched words in "
                                          "<mark>, the rest escaped."),
        }, required=("@id", "@type", "id", "title", "holdings", "html_url")),
        "RecordSearchResults": obj({
            "@id": uri(), "@type": {"const": "RecordSearchResults"}, "q": string(),
            "filters": {"type": "object", "additionalProperties": {
                "type": "array", "items": string()}},
            "year_from": {"type": ["integer", "null"]}, "year_to": {"type": ["integer", "null"]},
            "sort": {"enum": list(SORTS)},
            "items_total": {"type": "integer", "minimum": 0},
            "items": {"type": "array", "items": ref("Record")},
            "facets": {"type": "object", "additionalProperties": {
                "type": "array", "items": obj({"value": string(), "label": string(),
                                               "count": {"type": "integer"}})}},
            "approximate_facets": {"type": "array", "items": string(),
                                   "description": "Facets whose counts are estimated."},
            "html_url": uri("The same search on the reader's page."),
            "batching": ref("Batching"),
        }, required=("@id", "@type", "items_total", "items", "facets", "batching")),
        "EntryPoint": obj({
            "@id": uri(), "@type": {"const": "EntryPoint"}, "title": string(),
            "sites": {"type": "array", "items": obj({
                "@id": uri(), "@type": {"const": "Site"}, "name": string(), "title": string(),
                "code": string()})},
            "links": obj({k: uri() for k in ("content", "search", "records", "tokens", "me",
                                             "openapi")}),
        }, required=("@id", "@type", "sites", "links")),
        "TokenRequest": obj({
            "login": string(maxLength=100), "password": string(maxLength=1000),
            "name": string("What the token is for, e.g. the phone's name.", maxLength=100),
        }, required=("login", "password")),
        "ApiToken": obj({
            "@id": uri(), "@type": {"const": "ApiToken"}, "id": {"type": "integer"},
            "name": string(), "created": time, "expires": nullable_time,
            "last_used": nullable_time,
            "token": string("Only in the answer to POST /api/v1/tokens: send it as "
                            "`Authorization: Bearer <token>`."),
        }, required=("@id", "@type", "id", "created")),
        "ApiTokens": obj({
            "@id": uri(), "@type": {"const": "ApiTokens"},
            "items": {"type": "array", "items": ref("ApiToken")},
            "items_total": {"type": "integer"}}),
        "User": obj({
            "@id": uri(), "@type": {"const": "User"}, "id": {"type": "integer"},
            "login": string(), "display_name": string(), "email": string(),
            "home_site": string(), "roles": {"type": "array", "items": string()},
            "sites": {"type": "array", "items": obj({
                "@id": uri(), "name": string(), "title": string(),
                "roles": {"type": "array", "items": string()}})},
            "tokens": uri(),
            "csrf_token": string("Only for a session (cookie) sign-in: send it back in "
                                 "X-CSRF-Token on POST, PATCH and DELETE."),
        }, required=("@id", "@type", "id", "login", "roles", "sites")),
        **openapi_readers.schemas(),
        **openapi_circulation.schemas(),
    }


def document(server_url):
    """The whole OpenAPI document, with ``server_url`` (the portal's address) as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Serepok API",
            "version": VERSION,
            "description": (
                "API JSON của thư viện số Serepok (Thư viện tỉnh Đắk Lắk). "
                "The JSON API of the Serepok digital library. Every representation has "
                "`@id` and `@type`; every error is `{\"error\": {\"type\", \"message\"}}`. "
                "Apps sign in with a bearer token (POST /api/v1/tokens); a browser signed in "
                "with the session cookie sends the CSRF token (GET /api/v1/me) in "
                "`X-CSRF-Token` on POST, PATCH and DELETE. Messages are in Vietnamese unless "
                "`Accept-Language: en` asks for English."),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}, {"session": []}, {}],
        "tags": [{"name": n} for n in ("content", "workflow", "search", "catalogue", "accounts",
                                        "circulation", "meta")],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": {**RESPONSES, **openapi_circulation.responses()},
            "parameters": {
                "ContentPath": {
                    "name": "path", "in": "path", "required": True,
                    "schema": {"type": "string"},
                    "description": "The object's path in the repository, e.g. "
                                   "bmt/dia-chi (slashes included, not escaped). "
                                   "/api/v1/content itself is the portal root.",
                    "x-slashes": True},
                "BStart": {"name": "b_start", "in": "query",
                           "schema": {"type": "integer", "minimum": 0, "default": 0}},
                "BSize": {"name": "b_size", "in": "query",
                          "schema": {"type": "integer", "minimum": 1, "maximum": MAX_BATCH,
                                     "default": DEFAULT_BATCH}},
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A token from POST /api/v1/tokens."},
                "session": {"type": "apiKey", "in": "cookie", "name": "serepok_session",
                            "description": "The browser's sign-in; unsafe methods also "
                                           "need the X-CSRF-Token header."},
            },
        },
    }
