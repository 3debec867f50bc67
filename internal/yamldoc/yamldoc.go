// Package yamldoc decodes YAML (and JSON, which is YAML) configuration documents into Go
// values by their json tags, as sigs.k8s.io/yaml does, but keeps the position of every node:
// each error names the file, the line and the field path, e.g.
//
//	identities.yaml:12: accounts[0].users[1].accesKeys: unknown field (did you mean accessKeys?)
package yamldoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem at a place of a document.
type Error struct {
	File string // "" when the document has no file
	Line int    // 1-based; 0 when unknown
	Path string // field path such as accounts[0].users[1].name; "" for syntax errors
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Doc is a parsed document.
type Doc struct {
	file string
	root *yaml.Node // nil for an empty document
	// Lines of an embedded document (a string inside another document) are mapped to the
	// outer file's: line n is base+n when the string was a literal block (|), else every
	// line is base (the string's own line).
	base    int
	literal bool
}

var syntaxRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses b (its first document). file names it in errors ("" for none).
func Parse(file string, b []byte) (*Doc, error) {
	return parse(&Doc{file: file}, b)
}

func parse(d *Doc, b []byte) (*Doc, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		msg := err.Error()
		line := 0
		if m := syntaxRe.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		return nil, &Error{File: d.file, Line: d.line(line), Msg: "not valid YAML: " + msg}
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		d.root = n.Content[0]
	}
	return d, nil
}

// line maps a line of this document to a line of its file.
func (d *Doc) line(n int) int {
	switch {
	case n == 0 || d.base == 0:
		return n
	case d.literal:
		return d.base + n
	default:
		return d.base
	}
}

// Embedded parses the string at path (a YAML document inside this one, such as the data of a
// ConfigMap) as a document whose errors point into this document's file.
func (d *Doc) Embedded(path string, b []byte) (*Doc, error) {
	e := &Doc{file: d.file}
	if n, _ := d.lookup(path); n != nil && n.Kind == yaml.ScalarNode {
		e.base, e.literal = d.line(n.Line), n.Style&yaml.LiteralStyle != 0
	}
	return parse(e, b)
}

// File is the file name the document's errors give.
func (d *Doc) File() string { return d.file }

// Line is the line of the deepest node of path in the document's file (0 if none).
func (d *Doc) Line(path string) int {
	_, line := d.lookup(path)
	return d.line(line)
}

var pathTokenRe = regexp.MustCompile(`\[(\d+)\]|[^.\[\]]+`)

// lookup walks path as far as the document goes and returns the node reached and the line of
// the deepest step (a mapping key's own line for fields).
func (d *Doc) lookup(path string) (*yaml.Node, int) {
	n := d.root
	if n == nil {
		return nil, 0
	}
	line := n.Line
	for _, m := range pathTokenRe.FindAllStringSubmatch(path, -1) {
		n = deref(n)
		switch {
		case m[1] != "" && n.Kind == yaml.SequenceNode:
			i, _ := strconv.Atoi(m[1])
			if i >= len(n.Content) {
				return n, line
			}
			n = n.Content[i]
			line = n.Line
		case m[1] != "":
			// an index into a single object (an IAM Statement given as an object): stay
		case n.Kind == yaml.MappingNode:
			k, v := field(n, m[0])
			if k == nil {
				return n, line
			}
			n, line = v, k.Line
		default:
			return n, line
		}
	}
	return n, line
}

// field finds a mapping's key, exactly or else case-insensitively (as encoding/json matches).
func field(n *yaml.Node, name string) (key, value *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i], n.Content[i+1]
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, name) {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

var fieldPathRe = regexp.MustCompile(`^([A-Za-z_][\w-]*|\[\d+\])(\[\d+\]|\.[A-Za-z_][\w-]*)*$`)

// Locate turns err into an *Error at its place when its message starts with a field path
// ("accounts[0].id: …", as validation code writes them); other errors get the file only.
func (d *Doc) Locate(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	msg := err.Error()
	if path, rest, ok := strings.Cut(msg, ": "); ok && fieldPathRe.MatchString(path) {
		return &Error{File: d.file, Line: d.Line(path), Path: path, Msg: rest}
	}
	return &Error{File: d.file, Msg: msg}
}

// Decode decodes the document into v (a pointer) by v's json tags. Strict refuses fields v
// does not have (naming the closest one); otherwise they are ignored. Field names match
// exactly or, as encoding/json matches them, case-insensitively.
func (d *Doc) Decode(v any, strict bool) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("yamldoc: Decode needs a non-nil pointer, not %T", v)
	}
	if d.root == nil {
		return nil
	}
	dec := decoder{d: d, strict: strict, budget: new(int)}
	*dec.budget = maxNodes
	return dec.value(d.root, rv.Elem(), "")
}

// maxNodes bounds the nodes a decode visits, so aliases cannot expand a small document into
// an exponential one ("billion laughs").
const maxNodes = 1 << 20

type decoder struct {
	d      *Doc
	strict bool
	budget *int
}

// spend counts a visited node; false once the budget is gone.
func (dec decoder) spend(n *yaml.Node, path string) error {
	if *dec.budget--; *dec.budget < 0 {
		return dec.errorf(n, path, "document too large (aliases expand to more than %d nodes)", maxNodes)
	}
	return nil
}

func (dec decoder) errorf(n *yaml.Node, path, format string, args ...any) error {
	return &Error{File: dec.d.file, Line: dec.d.line(n.Line), Path: path, Msg: fmt.Sprintf(format, args...)}
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a scalar"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func (dec decoder) value(n *yaml.Node, v reflect.Value, path string) error {
	n = deref(n)
	if err := dec.spend(n, path); err != nil {
		return err
	}
	if isNull(n) {
		v.SetZero()
		return nil
	}
	if v.Type() == rawMessageType {
		x, err := dec.plain(n, path)
		if err != nil {
			return err
		}
		b, err := json.Marshal(x)
		if err != nil {
			return dec.errorf(n, path, "not representable in JSON: %v", err)
		}
		v.SetBytes(b)
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return dec.value(n, v.Elem(), path)
	case reflect.Struct:
		return dec.structure(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return dec.errorf(n, path, "want a list, not %s", kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if err := dec.value(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode || v.Type().Key().Kind() != reflect.String {
			return dec.errorf(n, path, "want a mapping, not %s", kindName(n))
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			e := reflect.New(v.Type().Elem()).Elem()
			if err := dec.value(n.Content[i+1], e, join(path, k.Value)); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
		}
		v.Set(m)
		return nil
	case reflect.String:
		// Any scalar is its text, as sigs.k8s.io/yaml gives it to a string field (an
		// unquoted 012345678910 stays a string of digits).
		if n.Kind != yaml.ScalarNode {
			return dec.errorf(n, path, "want a string, not %s", kindName(n))
		}
		v.SetString(n.Value)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			return dec.errorf(n, path, "want an integer, not %q", n.Value)
		}
		v.SetInt(i)
		return nil
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			return dec.errorf(n, path, "want true or false, not %q", n.Value)
		}
		v.SetBool(b)
		return nil
	case reflect.Interface:
		x, err := dec.plain(n, path)
		if err != nil {
			return err
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	}
	return dec.errorf(n, path, "yamldoc: cannot decode into %s", v.Type())
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (dec decoder) structure(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return dec.errorf(n, path, "want a mapping, not %s", kindName(n))
	}
	fields := jsonFields(v.Type())
	seen := map[int]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		idx, ok := fields.find(k.Value)
		if !ok {
			if dec.strict {
				return dec.errorf(k, join(path, k.Value), "unknown field%s", fields.suggest(k.Value))
			}
			continue
		}
		if first := seen[idx]; first != nil {
			return dec.errorf(k, join(path, k.Value), "repeated field (first at line %d)", dec.d.line(first.Line))
		}
		seen[idx] = k
		if err := dec.value(n.Content[i+1], v.Field(idx), join(path, fields.names[idx])); err != nil {
			return err
		}
	}
	return nil
}

type structFields struct {
	names map[int]string // field index → json name
}

func jsonFields(t reflect.Type) structFields {
	f := structFields{names: map[int]string{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f.names[i] = name
	}
	return f
}

func (f structFields) find(key string) (int, bool) {
	for i, name := range f.names {
		if name == key {
			return i, true
		}
	}
	for i, name := range f.names {
		if strings.EqualFold(name, key) {
			return i, true
		}
	}
	return 0, false
}

// suggest names the field closest to a misspelt key, or lists the fields.
func (f structFields) suggest(key string) string {
	best, bestDist := "", 3
	var all []string
	for _, name := range f.names {
		all = append(all, name)
		if d := distance(strings.ToLower(key), strings.ToLower(name)); d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return " (did you mean " + best + "?)"
	}
	slices.Sort(all)
	return " (known fields: " + strings.Join(all, ", ") + ")"
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// plain converts n to the JSON-shaped value it stands for (maps, lists, strings, numbers,
// booleans, nil). Timestamps and other tags stay the text written.
func (dec decoder) plain(n *yaml.Node, path string) (any, error) {
	n = deref(n)
	if err := dec.spend(n, path); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k.Kind != yaml.ScalarNode {
				return nil, dec.errorf(k, path, "a mapping key must be a scalar")
			}
			if _, dup := m[k.Value]; dup {
				return nil, dec.errorf(k, join(path, k.Value), "repeated key")
			}
			x, err := dec.plain(n.Content[i+1], join(path, k.Value))
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			x, err := dec.plain(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		return l, nil
	case yaml.ScalarNode:
		var x any
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			if err := n.Decode(&x); err != nil {
				return nil, dec.errorf(n, path, "%v", err)
			}
			return x, nil
		}
		return n.Value, nil
	}
	return nil, dec.errorf(n, path, "unsupported YAML node")
}
