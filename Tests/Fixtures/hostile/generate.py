#!/usr/bin/env python3
"""Generates cases.jsonl: the hostile request corpus replayed by HostileCorpusTests (issue 10).

Run from anywhere: `python3 Tests/Fixtures/hostile/generate.py` rewrites cases.jsonl beside it.

One JSON object per line:
  name      unique, readable case name
  method    HTTP method
  path      relative to /scim/default (or absolute from the server root when it starts with //)
  headers   [[name, value], ...]; Authorization is replaced only when given here
  body      request body as text, or null; or
  body64    request body as base64 (bytes that are not UTF-8)
  status    the documented answer (always 4xx)
  scimType  the expected RFC 7644 scimType, or null when the status says it all

Placeholders the replay substitutes: {USER_ID} {USER2_ID} {GROUP_ID} (resources the test creates
legitimately), {TOKEN} {NODE_TOKEN}; <<HUGE:N>> becomes N times "A" and <<SEQ:N:TEMPLATE>> becomes
TEMPLATE N times, joined with ",", each "#" in it replaced by the index, so 10 MB strings and
huge arrays are not stored on disk. Every case must be refused and store nothing.
"""
import base64
import json
import os

CW = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8"
KEY = "ssh-ed25519 " + ED25519 + " ada@laptop"
TEN_MB = 10 * 1024 * 1024

cases = []


def add(name, method, path, body=None, status=400, scim_type=None, headers=None, body64=None):
    if any(c["name"] == name for c in cases):
        raise SystemExit(f"duplicate case name {name}")
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False)
    cases.append({"name": name, "method": method, "path": path, "headers": headers or [],
                  "body": body, "body64": body64, "status": status, "scimType": scim_type})


def new_user(ext, user_name="hostile@example.com"):
    return {"schemas": [USER, CW], "userName": user_name, "active": True, CW: ext}


def put_user(ext):
    # The legitimate second user (grace) sent back whole with one hostile attribute.
    return {"schemas": [USER, CW], "userName": "grace@example.com", "active": True,
            CW: dict({"sunkPosixUsername": "grace"}, **ext)}


def patch_ext(attribute, value):
    return {"schemas": [PATCH], "Operations": [{"op": "replace", "path": f"{CW}:{attribute}", "value": value}]}


def every_write(prefix, attribute, value, status=400, scim_type="invalidValue", methods=("POST", "PUT", "PATCH")):
    """The value as sent in a create, a profile push (PUT) and a PATCH."""
    if "POST" in methods:
        add(f"{prefix}-post", "POST", "/Users", new_user({attribute: value}), status, scim_type)
    if "PUT" in methods:
        add(f"{prefix}-put", "PUT", "/Users/{USER2_ID}", put_user({attribute: value}), status, scim_type)
    if "PATCH" in methods:
        add(f"{prefix}-patch", "PATCH", "/Users/{USER2_ID}", patch_ext(attribute, value), status, scim_type)


def huge_body(template_value_key, where):
    """A body whose one string is 10 MB (placeholder expanded at replay): 413 before parsing."""
    return json.dumps(where).replace('"@HUGE@"', '"<<HUGE:%d>>"' % TEN_MB)


# --- sunkPosixUsername ------------------------------------------------------------------------
names = {
    "colon": "ada:x", "newline": "ada\nroot", "cr": "ada\rroot", "nul": "ada\u0000", "tab": "ada\tx",
    "bidi-rlo": "\u202eada", "bidi-lri": "ada\u2066x", "zero-width": "ad\u200ba", "space": "a b",
    "leading-dash": "-ada", "uppercase": "Ada", "dot-dot": "..", "slash": "a/b", "traversal": "../etc",
    "comma": "a,b", "equals": "a=b", "non-ascii": "\u00e4da", "too-long": "a" * 33, "digit-first": "1ada",
    "root": "root", "daemon": "daemon", "sshd": "sshd", "nobody": "nobody", "slurm": "slurm", "munge": "munge",
    "www-data": "www-data", "number": 42, "list": ["ada"], "object": {"name": "ada"}, "bool": True,
}
for label, value in names.items():
    every_write(f"posix-username-{label}", "sunkPosixUsername", value)

# --- sunkPosixUserId / sunkPosixGroupId ---------------------------------------------------------
ids = {
    "zero": 0, "nobody-65534": 65534, "minus-one": -1, "two-pow-32": 4294967296, "two-pow-31": 2147483648,
    "reserved-60000": 60000, "reserved-65535": 65535, "below-range": 9999, "fraction": 100001.5,
    "hex-string": "0x10", "text": "abc", "bool": True, "list": [100001], "string-minus": "-5",
    "exponent-string": "1e5", "int64-max": 9223372036854775807, "huge-double": 1e300,
}
for attribute, short in [("sunkPosixUserId", "uid"), ("sunkPosixGroupId", "gid")]:
    for label, value in ids.items():
        every_write(f"{short}-{label}", attribute, value, methods=("POST", "PATCH"))
    # 1e309 overflows a double: not a number JSON can carry. Written raw.
    add(f"{short}-1e309-post", "POST", "/Users",
        json.dumps(new_user({attribute: 1})).replace(f'"{attribute}": 1', f'"{attribute}": 1e309'), 400, None)
    add(f"{short}-1e309-patch", "PATCH", "/Users/{USER2_ID}",
        json.dumps(patch_ext(attribute, 1)).replace('"value": 1', '"value": 1e309'), 400, None)
add("uid-taken-post", "POST", "/Users", new_user({"sunkPosixUserId": 100001}), 409, "uniqueness")
add("uid-taken-patch", "PATCH", "/Users/{USER2_ID}", patch_ext("sunkPosixUserId", 100001), 409, "uniqueness")

# --- sunkPreferredHomeDirectory ---------------------------------------------------------------
homes = {
    "root": "/", "etc": "/etc/ada", "root-home": "/root/ada", "traversal": "/home/../etc", "traversal-deep":
    "/home/a/../../etc/shadow", "dot": "/home/./ada", "double-slash": "//home/ada", "relative": "home/ada",
    "colon": "/home/ada:x", "newline": "/home/ada\n/etc", "nul": "/home/ada\u0000", "bidi": "/home/\u202eada",
    "prefix-itself": "/home", "usr": "/usr/ada", "var": "/var/ada", "tmp": "/tmp/ada", "proc": "/proc/1",
    "trailing-dotdot": "/home/ada/..", "other-prefix": "/data/ada", "number": 7, "tilde": "~ada",
    "cr": "/home/ada\rx",
}
for label, value in homes.items():
    every_write(f"home-{label}", "sunkPreferredHomeDirectory", value)
add("home-taken-post", "POST", "/Users", new_user({"sunkPreferredHomeDirectory": "/home/ada"}), 409, "uniqueness")

# --- sunkLoginShell ---------------------------------------------------------------------------
shells = {
    "unknown": "/bin/evil", "newline": "/bin/bash\n", "relative": "bash", "traversal": "/bin/../bin/bash",
    "tmp": "/tmp/sh", "arguments": "/bin/bash -c id", "fake-nologin": "/home/x/nologin", "colon": "/bin/bash:x",
    "nul": "/bin/bash\u0000", "number": 1, "python": "/usr/bin/python3",
}
for label, value in shells.items():
    every_write(f"shell-{label}", "sunkLoginShell", value)

# --- sunkSshKeys ------------------------------------------------------------------------------
keys = {
    "command-option": [f'command="rm -rf /" {KEY}'], "from-option": [f'from="*" {KEY}'],
    "restrict-option": [f"restrict,pty {KEY}"], "cert-authority": [f"cert-authority {KEY}"],
    "environment": [f'environment="LD_PRELOAD=/tmp/x.so" {KEY}'],
    "dss": ["ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7 x"],
    "certificate": ["ssh-ed25519-cert-v01@openssh.com " + ED25519 + " x"],
    "garbage-base64": ["ssh-ed25519 !!!notbase64!!! x"], "type-mismatch": ["ssh-rsa " + ED25519 + " x"],
    "newline-two-keys": [KEY + "\n" + KEY.replace("laptop", "other")], "comment-newline": [KEY + "\ncommand=x"],
    "nul": [KEY + "\u0000"], "thirty-three": [KEY] * 1 + [f"ssh-ed25519 {ED25519} k{i}" for i in range(32)],
    "not-a-list": {"key": KEY}, "numbers": [1, 2], "truncated": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQw"],
    "bidi-comment": [KEY + " \u202etxt.exe"],
}
for label, value in keys.items():
    every_write(f"keys-{label}", "sunkSshKeys", value)

# --- userName and displayName -------------------------------------------------------------------
for label, value in {"newline": "ada\n@example.com", "nul": "ada\u0000@example.com", "cr": "ada\r@x",
                     "escape": "ada\u001b[31m@x", "del": "ada\u007f@x", "number": 5, "list": ["a@x"]}.items():
    add(f"username-{label}-post", "POST", "/Users", {"schemas": [USER], "userName": value})
    add(f"username-{label}-put", "PUT", "/Users/{USER2_ID}", {"schemas": [USER], "userName": value})
add("username-missing", "POST", "/Users", {"schemas": [USER], "displayName": "No Name"}, 400, "invalidValue")
add("username-duplicate-case", "POST", "/Users", {"schemas": [USER], "userName": "ADA@example.com"}, 409, "uniqueness")
add("username-put-taken", "PUT", "/Users/{USER2_ID}", {"schemas": [USER], "userName": "ada@EXAMPLE.com"}, 409, "uniqueness")
add("username-patch-taken", "PATCH", "/Users/{USER2_ID}",
    {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": "Ada@example.com"}]},
    409, "uniqueness")

for label, value in {"newline": "HPC\nroot", "nul": "HPC\u0000", "cr": "x\ry", "escape": "\u001b[2J"}.items():
    add(f"group-name-{label}-post", "POST", "/Groups", {"schemas": [GROUP], "displayName": value}, 400, "invalidValue")
    add(f"group-name-{label}-patch", "PATCH", "/Groups/{GROUP_ID}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": value}]}, 400, "invalidValue")
for reserved in ["root", "sudo", "wheel", "docker", "adm", "shadow", "Sudo", "SUDO!"]:
    add(f"group-reserved-{reserved}", "POST", "/Groups", {"schemas": [GROUP], "displayName": reserved}, 409, "uniqueness")
add("group-duplicate", "POST", "/Groups", {"schemas": [GROUP], "displayName": "HPC"}, 409, "uniqueness")
add("group-missing-name", "POST", "/Groups", {"schemas": [GROUP], "members": []}, 400, "invalidValue")
add("group-nested-post", "POST", "/Groups", {"schemas": [GROUP], "displayName": "outer", "members": [{"value": "{GROUP_ID}"}]},
    400, "invalidValue")
add("group-unknown-member-post", "POST", "/Groups",
    {"schemas": [GROUP], "displayName": "outer", "members": [{"value": "{USER_ID}"}, {"value": "no-such-user"}]},
    400, "invalidValue")
add("group-nested-patch", "PATCH", "/Groups/{GROUP_ID}",
    {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": "{GROUP_ID}"}]}]},
    400, "invalidValue")
add("group-member-without-value", "PATCH", "/Groups/{GROUP_ID}",
    {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"display": "x"}]}]},
    400, "invalidValue")
add("group-member-number", "POST", "/Groups", {"schemas": [GROUP], "displayName": "numbers", "members": [{"value": 7}]},
    400, "invalidValue")
add("group-rename-to-reserved", "PATCH", "/Groups/{GROUP_ID}",
    {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"displayName": "root"}}]}, 409, "uniqueness")

# --- 10 MB strings (413 before anything is parsed) ----------------------------------------------
for attribute in ["sunkPosixUsername", "sunkPreferredHomeDirectory", "sunkLoginShell", "sunkSshKeys"]:
    value = ["@HUGE@"] if attribute == "sunkSshKeys" else "@HUGE@"
    add(f"huge-{attribute}-post", "POST", "/Users", huge_body(attribute, new_user({attribute: value})), 413)
    add(f"huge-{attribute}-patch", "PATCH", "/Users/{USER2_ID}", huge_body(attribute, patch_ext(attribute, value)), 413)
add("huge-username", "POST", "/Users", huge_body("userName", {"schemas": [USER], "userName": "@HUGE@"}), 413)
add("huge-group-name", "POST", "/Groups", huge_body("displayName", {"schemas": [GROUP], "displayName": "@HUGE@"}), 413)
add("huge-search-filter", "POST", "/.search",
    huge_body("filter", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "@HUGE@"}), 413)

# --- malformed JSON, deep nesting, huge arrays --------------------------------------------------
malformed = {
    "truncated": '{"userName": "a@x"', "missing-value": '{"userName":}', "trailing-comma": '{"userName": "a@x",}',
    "array": '[]', "string": '"a@x"', "null": 'null', "number": '42', "empty": '', "single-quotes": "{'userName': 'a@x'}",
    "nan": '{"userName": "a@x", "x": NaN}', "comment": '{"userName": "a@x" /* c */}', "bare-word": 'userName',
    "deep-nesting": '{"userName": "a@x", "x": ' + '[' * 70 + ']' * 70 + '}',
    "deep-objects": '{"userName": "a@x", "x": ' + '{"a":' * 70 + '1' + '}' * 70 + '}',
    "unterminated-string": '{"userName": "a@x}', "control-in-string": '{"userName": "a\u0001@x"}',
    "bad-escape": '{"userName": "a\\q@x"}', "lone-surrogate": '{"userName": "a\\ud800@x"}',
}
for label, text in malformed.items():
    add(f"json-{label}-users", "POST", "/Users", text, 400, None)
    add(f"json-{label}-groups", "POST", "/Groups", text, 400, None)
    add(f"json-{label}-patch", "PATCH", "/Users/{USER2_ID}", text, 400, None)
for label, raw in {"latin1": b'{"userName": "caf\xe9@x"}', "overlong": b'{"userName": "\xc0\xaf@x"}',
                   "utf16": '{"userName": "a@x"}'.encode("utf-16"), "truncated-utf8": b'{"userName": "\xe2\x82@x"}'}.items():
    add(f"bytes-{label}-users", "POST", "/Users", None, 400, None, body64=base64.b64encode(raw).decode())
    add(f"bytes-{label}-groups", "POST", "/Groups", None, 400, None, body64=base64.b64encode(raw).decode())
add("array-emails-101", "POST", "/Users",
    {"schemas": [USER], "userName": "many@x", "emails": [{"value": f"e{i}@x"} for i in range(101)]}, 400, "invalidValue")
add("array-phones-5000", "POST", "/Users",
    '{"schemas": ["%s"], "userName": "many@x", "phoneNumbers": [<<SEQ:5000:{"value": "+1 555 #"}>>]}' % USER,
    400, "invalidValue")
add("array-numbers-as-emails", "POST", "/Users",
    '{"schemas": ["%s"], "userName": "many@x", "emails": [<<SEQ:50000:1>>]}' % USER, 400, "invalidValue")
add("array-ops-1001", "PATCH", "/Users/{USER2_ID}",
    '{"schemas": ["%s"], "Operations": [<<SEQ:1001:{"op": "add", "path": "emails", "value": [{"value": "e#@x"}]}>>]}' % PATCH,
    400, "tooMany")
add("array-members-200k", "POST", "/Groups",
    '{"schemas": ["%s"], "displayName": "big", "members": [<<SEQ:200000:{"value": "u#"}>>]}' % GROUP, 413, None)
add("array-nested-lists", "POST", "/Users", {"schemas": [USER], "userName": "many@x", "emails": [[{"value": "a@x"}]]},
    400, "invalidValue")

# --- filters --------------------------------------------------------------------------------
filters = {
    "no-value": 'userName eq', "open-paren": '(userName eq "a"', "bad-operator": 'userName xx "a"',
    "unknown-attribute": 'printer eq "a"', "dangling-and": 'userName eq "a" and', "unclosed-string": 'userName eq "a',
    "open-bracket": 'emails[type eq "work"', "not-without-paren": 'not userName eq "a"', "gt-bool": 'active gt true',
    "co-complex": 'name co "a"', "empty-parens": '()', "only-operator": 'eq', "nested-brackets": 'emails[type[x eq 1]]',
    "too-long": 'userName eq "' + "a" * 4100 + '"', "deep-parens": '(' * 70 + 'userName eq "a"' + ')' * 70,
    "unknown-urn": 'urn:x:y:z eq "a"', "bad-number": 'meta.version eq 1.2.3', "percent-broken": None,
}
from urllib.parse import quote
for label, text in filters.items():
    if text is None:
        add(f"filter-{label}", "GET", "/Users?filter=userName+eq+%zz", None, 400, "invalidFilter")
        continue
    add(f"filter-{label}-get", "GET", "/Users?filter=" + quote(text, safe=""), None, 400, "invalidFilter")
    add(f"filter-{label}-search", "POST", "/Users/.search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": text}, 400, "invalidFilter")
add("query-count-text", "GET", "/Users?count=ten", None, 400, "invalidValue")
add("query-startindex-overflow", "GET", "/Users?startIndex=1e309", None, 400, "invalidValue")
add("query-count-twice", "GET", "/Users?count=1&count=2", None, 400, "invalidValue")
add("query-attributes-bad", "GET", "/Users?attributes=%22%3B", None, 400, "invalidValue")

# --- PATCH paths and messages -------------------------------------------------------------------
def ops(*operations):
    return {"schemas": [PATCH], "Operations": list(operations)}
patch_cases = {
    "open-bracket": (ops({"op": "replace", "path": "emails[", "value": "x"}), "invalidPath"),
    "double-dot": (ops({"op": "replace", "path": "name..givenName", "value": "x"}), "invalidPath"),
    "unknown": (ops({"op": "replace", "path": "printer", "value": "x"}), "invalidPath"),
    "meta-created": (ops({"op": "replace", "path": "meta.created", "value": "x"}), "mutability"),
    "id": (ops({"op": "replace", "path": "id", "value": "x"}), "mutability"),
    "groups": (ops({"op": "add", "path": "groups", "value": [{"value": "{GROUP_ID}"}]}), "mutability"),
    "double-bracket": (ops({"op": "replace", "path": 'emails[type eq "work"]]', "value": "x"}), "invalidPath"),
    "unknown-urn": (ops({"op": "replace", "path": "urn:x:y:attr", "value": "x"}), "invalidPath"),
    "sub-of-simple": (ops({"op": "replace", "path": "userName.first", "value": "x"}), "invalidPath"),
    "filter-on-simple": (ops({"op": "replace", "path": 'userName[value eq "x"]', "value": "x"}), "invalidPath"),
    "op-move": (ops({"op": "move", "path": "userName", "value": "x"}), "invalidSyntax"),
    "op-missing": (ops({"path": "userName", "value": "x"}), "invalidSyntax"),
    "remove-no-path": (ops({"op": "remove"}), "noTarget"),
    "add-no-value": (ops({"op": "add", "path": "displayName"}), "invalidValue"),
    "path-number": (ops({"op": "replace", "path": 7, "value": "x"}), "invalidSyntax"),
    "no-operations": ({"schemas": [PATCH]}, "invalidSyntax"),
    "empty-operations": ({"schemas": [PATCH], "Operations": []}, "invalidSyntax"),
    "operations-object": ({"schemas": [PATCH], "Operations": {"op": "add"}}, "invalidSyntax"),
    "no-schemas": ({"Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}, "invalidSyntax"),
    "pathless-string": (ops({"op": "replace", "value": "x"}), "invalidValue"),
    "no-target-filter": (ops({"op": "replace", "path": 'emails[type eq "work" and value co "x"].value', "value": "x"}), "noTarget"),
    "active-text": (ops({"op": "replace", "path": "active", "value": "maybe"}), "invalidValue"),
}
for label, (body, scim_type) in patch_cases.items():
    add(f"patch-{label}", "PATCH", "/Users/{USER2_ID}", body, 400, scim_type)
for label, body, scim_type in [
    ("members-filter-add", ops({"op": "add", "path": 'members[value eq "{USER_ID}"]', "value": {"value": "{USER_ID}"}}), "invalidPath"),
    ("members-sub", ops({"op": "replace", "path": "members.display", "value": "x"}), "invalidPath"),
    ("members-bad-filter", ops({"op": "remove", "path": 'members[printer eq "x"]'}), "invalidPath"),
    ("group-unknown-path", ops({"op": "replace", "path": "userName", "value": "x"}), "invalidPath"),
]:
    add(f"patch-{label}", "PATCH", "/Groups/{GROUP_ID}", body, 400, scim_type)

# --- content types, auth, methods, endpoints ----------------------------------------------------
valid_user = json.dumps({"schemas": [USER], "userName": "typed@example.com"})
for label, content_type in {"text": "text/plain", "xml": "application/xml", "form": "application/x-www-form-urlencoded",
                            "multipart": "multipart/form-data; boundary=x", "octets": "application/octet-stream"}.items():
    add(f"content-type-{label}-users", "POST", "/Users", valid_user, 415, None, headers=[["Content-Type", content_type]])
    add(f"content-type-{label}-patch", "PATCH", "/Users/{USER2_ID}", json.dumps(patch_ext("sunkLoginShell", "/bin/zsh")),
        415, None, headers=[["Content-Type", content_type]])
for label, auth in {"none": None, "wrong": "Bearer not-a-token", "basic": "Basic YWRhOnB3", "empty-bearer": "Bearer ",
                    "token-no-scheme": "{TOKEN}", "node-token": "Bearer {NODE_TOKEN}"}.items():
    status = 403 if label == "node-token" else 401
    headers = [["Authorization", auth]] if auth is not None else [["Authorization", ""]]
    add(f"auth-{label}-post", "POST", "/Users", valid_user, status, None, headers=headers)
    add(f"auth-{label}-delete", "DELETE", "/Users/{USER_ID}", None, status, None, headers=headers)
add("auth-other-org", "POST", "//scim/other/Users", valid_user, 401, None)
add("auth-other-org-path-traversal", "POST", "//scim/default/../other/Users", valid_user, 404, None)
for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/ResourceTypes/User"]:
    add(f"method-post{path.replace('/', '-').lower()}", "POST", path, "{}", 405, None)
    add(f"method-delete{path.replace('/', '-').lower()}", "DELETE", path, None, 405, None)
add("method-put-users", "PUT", "/Users", valid_user, 405, None)
add("method-delete-groups", "DELETE", "/Groups", None, 405, None)
add("method-post-user-member", "POST", "/Users/{USER_ID}", valid_user, 405, None)
add("unknown-user-put", "PUT", "/Users/no-such-id", valid_user, 404, None)
add("unknown-user-delete", "DELETE", "/Users/no-such-id", None, 404, None)
add("unknown-group-patch", "PATCH", "/Groups/no-such-id", json.dumps(ops({"op": "replace", "path": "displayName", "value": "x"})), 404, None)
add("unknown-endpoint", "POST", "/Bulk", "{}", 404, None)
add("traversal-endpoint", "GET", "/Users/../../../etc/passwd", None, 404, None)
add("if-match-stale", "PATCH", "/Users/{USER2_ID}", json.dumps(patch_ext("sunkLoginShell", "/bin/zsh")), 412, None,
    headers=[["If-Match", 'W/"999"']])

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "cases.jsonl"), "w") as out:
    for case in cases:
        out.write(json.dumps(case, ensure_ascii=True, sort_keys=True) + "\n")
print(f"{len(cases)} cases written to cases.jsonl")
