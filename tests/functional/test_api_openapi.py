"""The OpenAPI document describes exactly the API the app serves, and what it answers."""
import json
import re

import pytest

from .api_support import DOCS, call, people  # noqa: F401  (fixture)


def api_operations(app):
    """``{(path, method)}`` of every view the app registers on an /api/ route."""
    from pyramid.interfaces import IRoutesMapper
    mapper = app.registry.getUtility(IRoutesMapper)
    found = set()
    for item in app.registry.introspector.get_category("views"):
        view = item["introspectable"]
        route = mapper.get_route(view["route_name"]) if view["route_name"] else None
        if route is None or not route.pattern.startswith("/api/"):
            continue
        path = route.pattern.replace("*traverse", "/{path}")
        if view["name"]:
            path += "/" + view["name"]
        methods = view["request_methods"]
        assert methods, f"{path}: an API view must say which method it answers"
        for method in [methods] if isinstance(methods, str) else methods:
            found.add((path, method.lower()))
    return found


def documented_operations(document):
    return {(path, method) for path, item in document["paths"].items()
            for method in item if method != "parameters"}


def test_every_api_route_is_documented_and_nothing_else(testapp):
    document = testapp.get("/api/v1/openapi.json").json
    served = api_operations(testapp.app)
    documented = documented_operations(document)
    assert served, "no API views found"
    assert served - documented == set(), "served but not in the OpenAPI document"
    assert documented - served == set(), "in the OpenAPI document but not served"


def test_document_is_openapi_31_and_its_references_resolve(testapp):
    document = testapp.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://localhost"}]
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))
    assert refs
    for ref in set(refs):
        node = document
        for part in ref.lstrip("#/").split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]
    operation_ids = [op["operationId"] for _p, item in document["paths"].items()
                     for m, op in item.items() if m != "parameters"]
    assert len(operation_ids) == len(set(operation_ids))
    # every error status an operation lists is a documented error response
    for _path, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            for status, response in op["responses"].items():
                if status >= "400":
                    assert "$ref" in response and "#/components/responses/" in response["$ref"]
    DOCS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    path = DOCS / "openapi.json"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def test_every_field_of_every_type_is_in_the_document(testapp):
    from repository.resources import CONTENT_TYPES
    schemas = testapp.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name, cls in CONTENT_TYPES.items():
        properties = schemas[name]["allOf"][1]["properties"]
        for field in cls.schema:
            assert field.name in properties, f"{name}.{field.name}"
        if name not in ("Root", "Site"):
            create = schemas[name + "Create"]
            assert {f.name for f in cls.schema if f.required} <= set(create["required"])


class Mismatch(AssertionError):
    pass


def check(value, schema, document, where="$"):
    """Check ``value`` against a schema of the document, strictly: an object may carry
    only documented keys (properties merged over ``allOf``)."""
    if "$ref" in schema:
        node = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return check(value, node, document, where)
    if "oneOf" in schema:
        options = schema["oneOf"]
        if "discriminator" in schema and isinstance(value, dict):
            options = [o for o in options if o["$ref"].rsplit("/", 1)[1] == value.get("@type")]
        errors = []
        for option in options:
            try:
                return check(value, option, document, where)
            except Mismatch as exc:
                errors.append(str(exc))
        raise Mismatch(f"{where}: matches none of oneOf: {errors}")
    if "allOf" in schema:
        parts = [resolve(p, document) for p in schema["allOf"]]
        merged = {"type": "object", "properties": {}, "required": []}
        for part in parts:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return check(value, merged, document, where)
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        kinds = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
                 "array": list, "object": dict, "null": type(None)}
        if not any(isinstance(value, kinds[t]) and not (t in ("integer", "number")
                                                       and isinstance(value, bool))
                   for t in types):
            raise Mismatch(f"{where}: {value!r} is not {types}")
    if "const" in schema and value != schema["const"]:
        raise Mismatch(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise Mismatch(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise Mismatch(f"{where}: {value!r} does not match {schema['pattern']}")
        if len(value) > schema.get("maxLength", len(value)):
            raise Mismatch(f"{where}: too long")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], document, f"{where}[{i}]")
    if isinstance(value, dict) and ("properties" in schema or schema.get("type") == "object"):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                raise Mismatch(f"{where}: {key} is missing")
        for key, item in value.items():
            if key not in properties:
                if schema.get("additionalProperties") not in (None, False) and isinstance(
                        schema["additionalProperties"], dict):
                    check(item, schema["additionalProperties"], document, f"{where}.{key}")
                    continue
                raise Mismatch(f"{where}: {key} is not documented")
            check(item, properties[key], document, f"{where}.{key}")
    return True


def resolve(schema, document):
    if "$ref" in schema:
        node = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return resolve(node, document)
    return schema


def response_schema(document, path, method, status):
    response = document["paths"][path][method]["responses"][str(status)]
    response = resolve(response, document)
    return response["content"]["application/json"]["schema"]


ANSWERS = [
    # (who, method, url, body, documented path, status)
    (None, "GET", "/api/v1", None, "/api/v1", 200),
    (None, "GET", "/api/v1/content", None, "/api/v1/content/{path}", 200),
    (None, "GET", "/api/v1/content/bmt", None, "/api/v1/content/{path}", 200),
    (None, "GET", "/api/v1/content/bmt/dia-chi?b_size=1", None, "/api/v1/content/{path}", 200),
    (None, "GET", "/api/v1/content/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau",
     None, "/api/v1/content/{path}", 200),
    (None, "GET", "/api/v1/content/bmt/sach-noi/chuyen-ke-ben-bep-lua-nha-dai-sach-noi-mau",
     None, "/api/v1/content/{path}", 200),
    (None, "GET", "/api/v1/content/bmt/noi-quy-thu-vien", None, "/api/v1/content/{path}", 200),
    (None, "GET", "/api/v1/content/bmt/khai-truong-khong-gian-doc-sach-cho-thieu-nhi", None,
     "/api/v1/content/{path}", 200),
    ("librarian-bmt", "POST", "/api/v1/content/bmt/dia-chi",
     {"@type": "DigitalItem", "title": "Mới", "isbn": "978-0-306-40615-7", "year": "1999"},
     "/api/v1/content/{path}", 201),
    ("librarian-bmt", "PATCH", "/api/v1/content/bmt/dia-chi", {"subjects": ["Địa chí"]},
     "/api/v1/content/{path}", 200),
    ("librarian-bmt", "GET",
     "/api/v1/content/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc/@workflow", None,
     "/api/v1/content/{path}/@workflow", 200),
    ("librarian-bmt", "POST",
     "/api/v1/content/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc/@transition",
     {"transition": "publish"}, "/api/v1/content/{path}/@transition", 200),
    ("librarian-bmt", "POST",
     "/api/v1/content/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc/@move",
     {"target": "/bmt/quy-hiem"}, "/api/v1/content/{path}/@move", 200),
    (None, "GET", "/api/v1/search?site=bmt&q=ca phe", None, "/api/v1/search", 200),
    ("manager", "GET", "/api/v1/me", None, "/api/v1/me", 200),
    ("manager", "GET", "/api/v1/tokens", None, "/api/v1/tokens", 200),
    (None, "POST", "/api/v1/tokens", {"login": "nobody", "password": "x"}, "/api/v1/tokens",
     401),
    ("reader", "PATCH", "/api/v1/content/bmt/dia-chi", {"title": "x"},
     "/api/v1/content/{path}", 403),
    ("librarian-bmt", "POST", "/api/v1/content/bmt/dia-chi", {"@type": "DigitalItem"},
     "/api/v1/content/{path}", 400),
]


@pytest.mark.parametrize("who, method, url, body, path, status", ANSWERS,
                         ids=[f"{a[1]} {a[2]} {a[5]}" for a in ANSWERS])
def test_answers_match_the_document(testapp, people, who, method, url, body, path, status):
    document = testapp.get("/api/v1/openapi.json").json
    response = call(testapp, method, url, body, headers=people.headers(who), status=status)
    check(response.json, response_schema(document, path, method.lower(), status), document)


def test_the_strict_check_notices_an_undocumented_key(testapp, people):
    document = testapp.get("/api/v1/openapi.json").json
    item = call(testapp, "GET",
                "/api/v1/content/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau").json
    schema = response_schema(document, "/api/v1/content/{path}", "get", 200)
    check(item, schema, document)
    with pytest.raises(Mismatch):
        check({**item, "secret_field": 1}, schema, document)
    with pytest.raises(Mismatch):
        check({**item, "year": "1975"}, schema, document)
