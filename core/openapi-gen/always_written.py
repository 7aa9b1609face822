#!/usr/bin/env python3
"""Writes `core/src/openapi/always_written.json`: the fields kube-apiserver writes at their
zero value.

kube-apiserver serializes the Go API structs with `encoding/json`. A field is written even
when it holds its zero value if

* its json tag lacks `omitempty` (and `omitzero`): a zero number is written as `0`, a string
  as `""`, a bool as `false`; a nil pointer, slice, map or interface as `null`; a value
  struct as its own encoding; or
* it is a non-pointer struct, even with `omitempty` (encoding/json never omits structs).
  A plain struct is written as an object holding its own always-written fields (`{}` here).
  The API's value types with their own `MarshalJSON` are written as that method writes their
  zero value: `metav1.Time` / `metav1.MicroTime` -> `null`, `resource.Quantity` -> `"0"`,
  `intstr.IntOrString` -> `0`, `metav1.Duration` -> `"0s"`, `runtime.RawExtension` ->
  `null` (see `MARSHALED_ZERO`; a type with an unlisted `MarshalJSON` is an error).

Embedded (anonymous) structs without a json name, like `metav1.TypeMeta` tagged
`json:",inline"`, contribute their own fields to the enclosing struct (TypeMeta's `apiVersion`
and `kind` are `omitempty`, so they never appear); an embedded nil pointer contributes nothing.
Fields tagged `json:"-"` and unexported fields are never written.

The tool reads the Go sources of `k8s.io/api`, `k8s.io/apimachinery`,
`k8s.io/apiextensions-apiserver` and `k8s.io/kube-aggregator` (checkouts, or git
directories read at `--rev`), parses the struct types of every package that defines a
definition of `schemas.json` (`io.k8s.api.apps.v1.DaemonSet` is type `DaemonSet` of package
`k8s.io/api/apps/v1`) and of the packages those import from the same modules, and writes,
for every definition of `schemas.json` that has always-written fields, the json field name
and the JSON written when the field is absent (`0`, `""`, `false`, `null`, `"0"`, `"0s"`,
or `{}` for a plain struct, which Gatehouse completes from the property's `$ref`). Only
properties that `schemas.json` lists are kept. One definition per line, keys sorted.

Regenerate (from the repository root; v0.32.9 are the Kubernetes 1.32 types that
`schemas.json` describes):

    for r in api apimachinery apiextensions-apiserver kube-aggregator; do
        git clone -q --depth 1 --branch v0.32.9 https://github.com/kubernetes/$r /tmp/k8s/$r
    done
    python3 core/openapi-gen/always_written.py /tmp/k8s/api /tmp/k8s/apimachinery \\
        /tmp/k8s/apiextensions-apiserver /tmp/k8s/kube-aggregator

With existing clones of those repositories (work trees or bare), pass `--rev v0.32.9` to read
that tag instead of the work trees. `--schemas` and `--out` default to
`core/src/openapi/schemas.json` and `core/src/openapi/always_written.json`.
"""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMAS = os.path.normpath(os.path.join(HERE, "..", "src", "openapi", "schemas.json"))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "src", "openapi", "always_written.json"))

META = "k8s.io/apimachinery/pkg/apis/meta/v1"
APIEXT = "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

# The JSON the custom `MarshalJSON` of each value type writes for its zero value.
MARSHALED_ZERO = {
    (META, "Time"): None,
    (META, "MicroTime"): None,
    (META, "Duration"): "0s",
    (META, "FieldsV1"): None,
    (META, "GroupVersion"): "",
    ("k8s.io/apimachinery/pkg/api/resource", "Quantity"): "0",
    ("k8s.io/apimachinery/pkg/util/intstr", "IntOrString"): 0,
    ("k8s.io/apimachinery/pkg/runtime", "RawExtension"): None,
    (APIEXT, "JSON"): None,
    (APIEXT, "JSONSchemaPropsOrArray"): None,
    (APIEXT, "JSONSchemaPropsOrBool"): False,
    (APIEXT, "JSONSchemaPropsOrStringArray"): None,
}

# Marker for "a plain struct, written as an object"; it is `{}` in the output.
STRUCT = object()

NUMBERS = {
    "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
    "uintptr", "float32", "float64", "byte", "rune", "complex64", "complex128",
}
PREDECLARED = NUMBERS | {"string", "bool", "error", "any"}


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------- sources


class Checkout:
    """A module's files in a directory."""

    def __init__(self, root):
        self.root = self.where = root

    def files(self):
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for f in filenames:
                yield os.path.relpath(os.path.join(dirpath, f), self.root).replace(os.sep, "/")

    def read(self, path):
        with open(os.path.join(self.root, path), encoding="utf-8") as f:
            return f.read()


class GitTree:
    """A module's files at one revision of a git repository (work tree or git directory)."""

    def __init__(self, repo, rev):
        self.repo, self.rev = repo, rev
        self.where = "%s at %s" % (repo, rev)

    def _git(self, *args):
        return subprocess.run(["git", "-C", self.repo, *args], check=True,
                              capture_output=True).stdout.decode("utf-8")

    def files(self):
        return self._git("ls-tree", "-r", "--name-only", self.rev).splitlines()

    def read(self, path):
        return self._git("show", "%s:%s" % (self.rev, path))


# ---------------------------------------------------------------------------- Go lexer

TOKEN = re.compile(r"""
    (?P<space>[ \t\r]+)
  | (?P<newline>\n)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)*')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
  | (?P<op>\.\.\.|\+\+|--|<-|:=|&&|\|\||[-+*/%&|^<>=!~(){}\[\],;.:])
""", re.X | re.S)

# After these tokens a newline ends the statement (Go's semicolon insertion).
ENDS_LINE = {"ident", "number", "string", "raw", "char"}
ENDS_LINE_OPS = {")", "]", "}", "++", "--"}


def tokenize(src):
    """Go tokens as (kind, text); newlines that end a statement become (";", ";")."""
    out = []
    pos = 0

    def newline():
        if out and (out[-1][0] in ENDS_LINE or out[-1][1] in ENDS_LINE_OPS):
            out.append((";", ";"))

    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m:
            raise GenError("cannot tokenize at %r" % src[pos:pos + 30])
        pos = m.end()
        kind, text = m.lastgroup, m.group()
        if kind in ("space", "line_comment"):
            continue
        if kind == "newline" or (kind == "block_comment" and "\n" in text):
            newline()
        elif kind == "block_comment":
            continue
        elif kind == "op":
            out.append((";" if text == ";" else "op", text))
        else:
            out.append((kind, text))
    newline()
    return out


def string_value(tok):
    kind, text = tok
    if kind == "raw":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text[1:-1]


# ---------------------------------------------------------------------------- Go parser
#
# Type expressions: ("ref", qualifier or None, name), ("ptr", t), ("slice", t), ("array", t),
# ("map", k, v), ("struct", [Field]), ("interface",), ("func",), ("chan", t).


class Field:
    def __init__(self, name, type_, tag, embedded):
        self.name, self.type, self.tag, self.embedded = name, type_, tag, embedded


class TypeDecl:
    def __init__(self, pkg, name, type_, alias, imports):
        self.pkg, self.name, self.type, self.alias, self.imports = pkg, name, type_, alias, imports


class Parser:
    def __init__(self, tokens):
        self.toks, self.i = tokens, 0

    def peek(self, ahead=0):
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else ("eof", "")

    def next(self):
        tok = self.peek()
        self.i += 1
        return tok

    def accept(self, text):
        if self.peek()[1] == text and self.peek()[0] in ("op", ";", "ident"):
            self.i += 1
            return True
        return False

    def expect(self, text):
        if not self.accept(text):
            raise GenError("expected %r, found %r" % (text, self.peek()[1]))

    def skip_balanced(self):
        """Skips one bracketed group starting at the current opening bracket."""
        depth = 0
        while True:
            kind, text = self.next()
            if kind == "eof":
                raise GenError("unbalanced brackets")
            if kind == "op" and text in "([{":
                depth += 1
            elif kind == "op" and text in ")]}":
                depth -= 1
                if depth == 0:
                    return

    def skip_statement(self):
        """Skips to the end of a top-level declaration (brackets balanced)."""
        while True:
            kind, text = self.peek()
            if kind in ("eof", ";"):
                self.i += 1
                return
            if kind == "op" and text in "([{":
                self.skip_balanced()
            else:
                self.i += 1

    # -- types

    def type_name(self):
        kind, first = self.next()
        if kind != "ident":
            raise GenError("expected a type name, found %r" % first)
        if self.peek()[1] == "." and self.peek()[0] == "op":
            self.i += 1
            return ("ref", first, self.next()[1])
        return ("ref", None, first)

    def parse_type(self):
        kind, text = self.peek()
        if kind == "op" and text == "*":
            self.i += 1
            return ("ptr", self.parse_type())
        if kind == "op" and text == "(":
            self.i += 1
            t = self.parse_type()
            self.expect(")")
            return t
        if kind == "op" and text == "[":
            if self.peek(1)[1] == "]":
                self.i += 2
                return ("slice", self.parse_type())
            self.skip_balanced()
            return ("array", self.parse_type())
        if kind == "op" and text == "<-":
            self.i += 1
            self.expect("chan")
            return ("chan", self.parse_type())
        if kind != "ident":
            raise GenError("expected a type, found %r" % text)
        if text == "map":
            self.i += 1
            self.expect("[")
            key = self.parse_type()
            self.expect("]")
            return ("map", key, self.parse_type())
        if text == "chan":
            self.i += 1
            self.accept("<-")
            return ("chan", self.parse_type())
        if text == "struct":
            self.i += 1
            return ("struct", self.parse_fields())
        if text == "interface":
            self.i += 1
            self.skip_balanced()
            return ("interface",)
        if text == "func":
            self.i += 1
            self.skip_balanced()  # parameters
            nxt = self.peek()
            if nxt[1] == "(":
                self.skip_balanced()
            elif nxt[0] == "ident" or nxt[1] in ("*", "["):
                self.parse_type()
            return ("func",)
        return self.type_name()

    def parse_fields(self):
        self.expect("{")
        fields = []
        while not self.accept("}"):
            if self.accept(";"):
                continue
            kind, text = self.peek()
            nxt = self.peek(1)
            embedded = (kind == "op" and text == "*") or (
                kind == "ident" and (nxt[1] in (".", ";", "}") or nxt[0] in ("string", "raw")))
            if embedded:
                pointer = self.accept("*")
                t = self.type_name()
                names, type_ = [t[2]], ("ptr", t) if pointer else t
            else:
                names = [self.next()[1]]
                while self.accept(","):
                    names.append(self.next()[1])
                type_ = self.parse_type()
            tag = string_value(self.next()) if self.peek()[0] in ("string", "raw") else ""
            for name in names:
                fields.append(Field(name, type_, tag, embedded))
        return fields

    # -- files

    def parse_file(self, pkg_path):
        """Returns (package name, [TypeDecl], names of types with a JSON/text marshaller)."""
        self.expect("package")
        pkg_name = self.next()[1]
        imports, decls, marshalers = [], [], set()
        while self.peek()[0] != "eof":
            kind, text = self.next()
            if kind == ";":
                continue
            if text == "import":
                for spec in self.group():
                    name = spec[0][1] if len(spec) == 2 else None
                    imports.append((name, string_value(spec[-1])))
            elif text == "type":
                if self.accept("("):
                    while not self.accept(")"):
                        if not self.accept(";"):
                            self.type_spec(pkg_path, imports, decls)
                else:
                    self.type_spec(pkg_path, imports, decls)
            elif text == "func":
                receiver = None
                if self.peek()[1] == "(":
                    start = self.i
                    self.skip_balanced()
                    idents = [t for k, t in self.toks[start:self.i] if k == "ident"]
                    receiver = idents[-1] if idents else None
                name = self.next()[1]
                if receiver and name in ("MarshalJSON", "MarshalText"):
                    marshalers.add(receiver)
                self.skip_func()
            else:
                self.i -= 1
                self.skip_statement()
        return pkg_name, decls, marshalers

    def group(self):
        """The token lists of a `(spec; spec)` group or of one spec."""
        specs = []
        if self.accept("("):
            while not self.accept(")"):
                spec = []
                while self.peek()[0] != ";" and self.peek()[1] != ")":
                    spec.append(self.next())
                self.accept(";")
                if spec:
                    specs.append(spec)
        else:
            spec = []
            while self.peek()[0] not in (";", "eof"):
                spec.append(self.next())
            specs.append(spec)
        return specs

    def type_spec(self, pkg_path, imports, decls):
        start = self.i
        name = self.next()[1]
        try:
            if self.peek()[1] == "[" and self.peek(1)[0] == "ident" and self.peek(2)[0] == "ident":
                raise GenError("generic type")
            alias = self.accept("=")
            decls.append(TypeDecl(pkg_path, name, self.parse_type(), alias, imports))
        except GenError as e:
            # Kept so that a use of the type reports it; API types are all parseable.
            decls.append(TypeDecl(pkg_path, name, ("unparsed", str(e)), False, imports))
            self.i = start
            self.skip_statement()

    def skip_func(self):
        depth = 0
        while True:
            kind, text = self.peek()
            if kind == "eof" or (kind == ";" and depth == 0):
                return
            if kind == "op" and text in "([":
                depth += 1
            elif kind == "op" and text in ")]":
                depth -= 1
            elif kind == "op" and text == "{" and depth == 0:
                self.skip_balanced()
                return
            self.i += 1


# ---------------------------------------------------------------------------- packages


class Package:
    def __init__(self, path, name, types, marshalers):
        self.path, self.name, self.types, self.marshalers = path, name, types, marshalers


class Universe:
    """The Go packages of the given modules, parsed on first use."""

    def __init__(self, sources):
        self.modules = {}  # module path -> (source, {dir: [files]})
        for src in sources:
            files = list(src.files())
            if "go.mod" not in files:
                raise GenError("no go.mod in %s" % src.where)
            module = re.search(r"^module\s+(\S+)", src.read("go.mod"), re.M).group(1)
            dirs = {}
            for f in files:
                d, _, base = f.rpartition("/")
                if base.endswith(".go") and not base.endswith("_test.go"):
                    dirs.setdefault(d, []).append(f)
            self.modules[module] = (src, dirs)
        self.packages = {}

    def module_of(self, import_path):
        for module in sorted(self.modules, key=len, reverse=True):
            if import_path == module or import_path.startswith(module + "/"):
                return module
        return None

    def package(self, import_path):
        """The parsed package, or None when it is not in the given modules."""
        if import_path in self.packages:
            return self.packages[import_path]
        module = self.module_of(import_path)
        pkg = None
        if module is not None:
            src, dirs = self.modules[module]
            files = dirs.get(import_path[len(module) + 1:], [])
            if files:
                name, types, marshalers = None, {}, set()
                for f in sorted(files):
                    try:
                        n, decls, m = Parser(tokenize(src.read(f))).parse_file(import_path)
                    except GenError as e:
                        raise GenError("%s/%s: %s" % (import_path, f, e))
                    name = name or n
                    types.update((d.name, d) for d in decls)
                    marshalers |= m
                pkg = Package(import_path, name, types, marshalers)
        self.packages[import_path] = pkg
        return pkg

    def definition_type(self, definition):
        """The (import path, type name) of an OpenAPI definition name, if in the modules."""
        for module in self.modules:
            host, _, rest = module.partition("/")
            prefix = ".".join(reversed(host.split("."))) + "." + rest.replace("/", ".")
            if definition.startswith(prefix + "."):
                pkg_dir, _, name = definition[len(prefix) + 1:].rpartition(".")
                return module + "/" + pkg_dir.replace(".", "/"), name
        return None

    def lookup(self, ref, decl):
        """Resolves a ("ref", qualifier, name) used in `decl`'s file: a TypeDecl, or
        ("basic", name), or ("external", import path, name)."""
        _, qual, name = ref
        if qual is None:
            pkg = self.package(decl.pkg)
            if name in pkg.types:
                return pkg.types[name]
            if name in PREDECLARED:
                return ("basic", name)
            raise GenError("unknown type %s in %s" % (name, decl.pkg))
        for alias, path in decl.imports:
            if alias is not None and alias != qual:
                continue
            pkg = self.package(path)
            pkg_name = alias or (pkg.name if pkg else path.rstrip("/").rsplit("/", 1)[-1])
            if pkg_name == qual:
                if pkg is None:
                    return ("external", path, name)
                if name not in pkg.types:
                    raise GenError("unknown type %s.%s" % (path, name))
                return pkg.types[name]
        raise GenError("unknown package %s in %s" % (qual, decl.pkg))


# ---------------------------------------------------------------------------- encoding/json


class Encoder:
    """What encoding/json writes for the zero value of each field of a struct."""

    def __init__(self, universe):
        self.u = universe

    def resolve(self, t, decl):
        """Follows type names to a type expression (with the declaration it belongs to).
        Stops at a named type with a marshaller: returns ("marshaled", TypeDecl)."""
        while t[0] == "ref":
            target = self.u.lookup(t, decl)
            if isinstance(target, tuple):
                if target[0] == "external":
                    raise GenError("type %s.%s is outside the given sources" % target[1:])
                return target, decl
            key = (target.pkg, target.name)
            if key in MARSHALED_ZERO or target.name in self.u.package(target.pkg).marshalers:
                return ("marshaled", target), target
            t, decl = target.type, target
        if t[0] == "unparsed":
            raise GenError("cannot parse type %s.%s: %s" % (decl.pkg, decl.name, t[1]))
        return t, decl

    def zero(self, t, decl):
        """The JSON encoding/json writes for a zero value of type `t` (STRUCT: an object)."""
        t, decl = self.resolve(t, decl)
        kind = t[0]
        if kind == "marshaled":
            key = (t[1].pkg, t[1].name)
            if key not in MARSHALED_ZERO:
                raise GenError("%s.%s has its own MarshalJSON: add its zero to MARSHALED_ZERO" % key)
            return MARSHALED_ZERO[key]
        if kind == "basic":
            name = t[1]
            return "" if name == "string" else False if name == "bool" else 0 if name in NUMBERS else None
        if kind in ("ptr", "slice", "map", "interface"):
            return None
        if kind == "struct":
            self.check_no_promoted_marshaler(t, decl)
            return STRUCT
        raise GenError("encoding/json cannot write a zero %s (%s)" % (kind, decl.name))

    def is_struct(self, t, decl):
        t, decl = self.resolve(t, decl)
        while t[0] == "marshaled":
            t, decl = self.resolve(t[1].type, t[1])
        return t[0] == "struct"

    def check_no_promoted_marshaler(self, struct, decl):
        for f in struct[1]:
            if f.embedded:
                t = f.type[1] if f.type[0] == "ptr" else f.type
                if self.resolve(t, decl)[0][0] == "marshaled":
                    raise GenError("%s embeds a type with MarshalJSON (%s)" % (decl.name, f.name))

    def fields(self, struct, decl):
        """encoding/json's field list of a struct type: [(json name, type, decl, options,
        behind an embedded pointer)], after promotion of embedded structs and Go's
        dominance rules for duplicate names."""
        found = {}  # json name -> [(depth, tagged, entry)]
        level = [(struct, decl, False)]
        depth = 0
        while level:
            next_level = []
            for st, d, via_ptr in level:
                for f in st[1]:
                    tag = re.search(r'(?:^|\s)json:"([^"]*)"', f.tag)
                    name, _, opts = (tag.group(1) if tag else "").partition(",")
                    if name == "-" and not opts:
                        continue
                    ptr = f.type[0] == "ptr"
                    base = f.type[1] if ptr and f.embedded else f.type
                    if f.embedded and not name and self.is_struct(base, d):
                        if self.resolve(base, d)[0][0] == "marshaled":
                            continue  # caught by check_no_promoted_marshaler
                        inner, inner_decl = self.resolve(base, d)
                        next_level.append((inner, inner_decl, via_ptr or ptr))
                        continue
                    if not f.name[0].isupper() and not (f.embedded and self.is_struct(base, d)):
                        continue  # unexported
                    entry = (name or f.name, f.type, d, opts.split(","), via_ptr)
                    found.setdefault(entry[0], []).append((depth, bool(name), entry))
            level = next_level
            depth += 1
        out = []
        for name, cands in found.items():
            top = min(c[0] for c in cands)
            cands = [c for c in cands if c[0] == top]
            tagged = [c for c in cands if c[1]]
            if len(cands) == 1:
                out.append(cands[0][2])
            elif len(tagged) == 1:
                out.append(tagged[0][2])
        return out

    def always_written(self, decl):
        """{json name: zero JSON} of the fields written even when zero, for a struct type."""
        t, d = self.resolve(("ref", None, decl.name), decl)
        if t[0] != "struct":
            return {}
        self.check_no_promoted_marshaler(t, d)
        out = {}
        for name, ftype, fdecl, opts, via_ptr in self.fields(t, d):
            if via_ptr or "omitzero" in opts:
                continue
            if "omitempty" in opts and not self.is_struct(ftype, fdecl):
                continue
            if "string" in opts:
                raise GenError("%s: the ,string option is not supported" % name)
            out[name] = self.zero(ftype, fdecl)
        return out


# ---------------------------------------------------------------------------- main


def has_ref(prop):
    return "$ref" in prop or any("$ref" in s for s in prop.get("allOf", []))


def build(universe, schemas):
    enc = Encoder(universe)
    table, unknown = {}, []
    for definition in sorted(schemas):
        props = schemas[definition].get("properties")
        where = universe.definition_type(definition)
        pkg = universe.package(where[0]) if where else None
        if pkg is None or where[1] not in pkg.types:
            unknown.append(definition)
            continue
        if not props:
            continue
        try:
            fields = enc.always_written(pkg.types[where[1]])
        except GenError as e:
            raise GenError("%s: %s" % (definition, e))
        kept = {}
        for name, zero in fields.items():
            if name not in props:
                continue
            if zero is STRUCT:
                if not has_ref(props[name]):
                    print("note: %s.%s is a struct without a $ref in schemas.json"
                          % (definition, name), file=sys.stderr)
                zero = {}
            kept[name] = zero
        if kept:
            table[definition] = kept
    return table, unknown


def write(table, path):
    lines = ["%s: %s" % (json.dumps(k), json.dumps(v, sort_keys=True)) for k, v in sorted(table.items())]
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sources", nargs="+",
                    help="checkouts (or, with --rev, git repositories) of k8s.io/api, "
                         "k8s.io/apimachinery, k8s.io/apiextensions-apiserver, k8s.io/kube-aggregator")
    ap.add_argument("--rev", help="read the sources at this git revision, e.g. v0.32.9")
    ap.add_argument("--schemas", default=DEFAULT_SCHEMAS)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    sources = [GitTree(s, args.rev) if args.rev else Checkout(s) for s in args.sources]
    with open(args.schemas, encoding="utf-8") as f:
        schemas = json.load(f)
    try:
        table, unknown = build(Universe(sources), schemas)
    except (GenError, subprocess.CalledProcessError) as e:
        sys.exit("always_written: %s" % e)
    for definition in unknown:
        print("note: no Go type for %s" % definition, file=sys.stderr)
    write(table, args.out)
    print("wrote %s: %d definitions, %d fields" % (
        args.out, len(table), sum(len(v) for v in table.values())), file=sys.stderr)


if __name__ == "__main__":
    main()
