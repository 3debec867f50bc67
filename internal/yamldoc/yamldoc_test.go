package yamldoc

import (
	"encoding/json"
	"strings"
	"testing"
)

type spec struct {
	Name  string          `json:"name"`
	Count int             `json:"count,omitempty"`
	Items []item          `json:"items,omitempty"`
	Doc   json.RawMessage `json:"doc,omitempty"`
	Data  map[string]string
}

type item struct {
	AccessKeys []string `json:"accessKeys"`
}

func decode(t *testing.T, src string, strict bool) (spec, error) {
	t.Helper()
	var s spec
	d, err := Parse("f.yaml", []byte(src))
	if err != nil {
		return s, err
	}
	return s, d.Decode(&s, strict)
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, want string }{
		{"name: a\nitems:\n  - accessKeys: [x]\n  - accesKeys: [y]\n", "f.yaml:4: items[1].accesKeys: unknown field (did you mean accessKeys?)"},
		{"name: a\nzzzzzzzz: 1\n", "f.yaml:2: zzzzzzzz: unknown field (known fields: Data, count, doc, items, name)"},
		{"name: a\nname: b\n", "f.yaml:2: name: repeated field (first at line 1)"},
		{"count: many\n", `f.yaml:1: count: want an integer, not "many"`},
		{"name: [a]\n", "f.yaml:1: name: want a string, not a list"},
		{"items: {a: 1}\n", "f.yaml:1: items: want a list, not a mapping"},
		{"name: a\n  b: [\n", "f.yaml:2: not valid YAML: "},
		{"doc: {a: .inf}\n", "f.yaml:1: doc: not representable in JSON"},
	} {
		_, err := decode(t, tc.src, true)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
		if err != nil && !strings.Contains(tc.want, "JSON") && strings.Contains(err.Error(), "JSON") {
			t.Errorf("%q: a YAML error speaks of JSON: %v", tc.src, err)
		}
	}
}

func TestDecodeValues(t *testing.T) {
	t.Parallel()
	// JSON is YAML; unquoted digits stay a string; case-insensitive field names (as
	// encoding/json); a non-strict decode ignores unknown fields; aliases are followed.
	s, err := decode(t, `{"NAME": 012345678910, "count": 3, "doc": {"Version": 2012-10-17, "n": [1, true, null]}, "other": 1, "data": {"k": "v"}}`, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "012345678910" || s.Count != 3 || s.Data["k"] != "v" {
		t.Errorf("%+v", s)
	}
	if string(s.Doc) != `{"Version":"2012-10-17","n":[1,true,null]}` {
		t.Errorf("doc: %s", s.Doc)
	}
	if _, err := decode(t, `{"other": 1}`, true); err == nil {
		t.Error("strict decode accepted an unknown field")
	}
	s, err = decode(t, "a: &k [x, y]\nitems: [{accessKeys: *k}]\n", false)
	if err != nil || len(s.Items) != 1 || strings.Join(s.Items[0].AccessKeys, ",") != "x,y" {
		t.Errorf("alias: %+v %v", s, err)
	}
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		bomb += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	bomb += "doc: *h\n"
	if _, err := decode(t, bomb, false); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("alias bomb: %v", err)
	}
}

func TestLocateAndEmbedded(t *testing.T) {
	t.Parallel()
	src := "top:\n  list:\n    - a: 1\n    - a: 2\n      b: 3\ninner: |\n  - x: 1\n  - y: [\nflat: \"- x: 1\\n- y: 2\"\n"
	d, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for path, line := range map[string]int{"top": 1, "top.list[1].b": 5, "top.list[1].missing": 4, "top.list[7]": 2, "top.list[0].a[0]": 3, "": 1} {
		if got := d.Line(path); got != line {
			t.Errorf("Line(%q) = %d, want %d", path, got, line)
		}
	}
	if err := d.Locate(errorString("top.list[1].b: too big")); err.Error() != "f.yaml:5: top.list[1].b: too big" {
		t.Errorf("Locate: %v", err)
	}
	if err := d.Locate(errorString("something else: entirely")); err.Error() != "f.yaml: something else: entirely" {
		t.Errorf("Locate without a path: %v", err)
	}
	if _, err := d.Embedded("inner", []byte("- x: 1\n- y: [\n")); err == nil || !strings.HasPrefix(err.Error(), "f.yaml:8: not valid YAML") {
		t.Errorf("embedded literal block: %v", err)
	}
	e, err := d.Embedded("flat", []byte("- x: 1\n- y: 2\n"))
	if err != nil || e.Line("[1].y") != 9 {
		t.Errorf("embedded flow string: every line is the string's own: %v %d", err, e.Line("[1].y"))
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
