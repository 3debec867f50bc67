package eksapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/eksapi/model"
)

// Every request is checked against its operation's input shape in the EKS model
// (internal/eksapi/model) before the domain sees it: required members at every depth, JSON
// types, enums, string lengths and patterns, list and map sizes, numeric ranges, for the
// JSON body and the path and query-string members alike. A wrong JSON type is a
// SerializationException (the protocol's error, as for unparsable JSON); every other
// violation is the exception the operation declares for invalid input
// (model.Operation.ValidationError). Unknown body members are ignored, as AWS does, and
// dropped: the handler decodes only the members the model knows.

// validate checks r against its operation's input shape and replaces r.Body with the
// checked members.
func (a *API) validate(r *request) error {
	m := model.EKS()
	op := inputs()[r.Op]
	if op == nil {
		return nil
	}
	in, hasBody := op.shape, op.hasBody
	c := checker{m: m, code: op.code}
	doc := make(map[string]any, len(op.located))
	for _, name := range op.located {
		v, err := c.fromRequest(r, name, in.Members[name])
		if err != nil {
			return err
		}
		if v != nil {
			doc[name] = v
		}
	}
	if hasBody {
		var body any
		if err := r.decode(&body); err != nil {
			return err
		}
		switch b := body.(type) {
		case nil:
		case map[string]any:
			for name, v := range b {
				if ref, ok := in.Members[name]; ok && ref.Location == "" {
					doc[name] = v
				}
			}
		default:
			return errNotObject(jsonKindOf(body))
		}
	}
	checked, err := c.structure("", in, doc)
	if err != nil {
		return err
	}
	if hasBody {
		bodyDoc := map[string]any{}
		for name, v := range checked {
			if in.Members[name].Location == "" {
				bodyDoc[name] = v
			}
		}
		b, err := json.Marshal(bodyDoc)
		if err != nil {
			return err
		}
		r.Body = b
	}
	return nil
}

// opInput is what validate needs of an operation's input, worked out once from the model.
type opInput struct {
	shape   *model.Shape
	located []string // the path and query-string members
	hasBody bool     // the input has members in the JSON body
	code    string   // the exception for a constraint violation
}

// inputs are the operations' opInputs by operation name.
var inputs = sync.OnceValue(func() map[string]*opInput {
	m := model.EKS()
	out := map[string]*opInput{}
	for name, op := range m.Operations {
		in := &opInput{shape: m.Shape(op.Input), code: op.ValidationError()}
		for _, member := range slices.Sorted(maps.Keys(in.shape.Members)) {
			if in.shape.Members[member].Location == "" {
				in.hasBody = true
			} else {
				in.located = append(in.located, member)
			}
		}
		out[name] = in
	}
	return out
})

// fromRequest reads a path or query-string member as the JSON value its shape takes; nil
// when the request lacks it. Body members are read by validate.
func (c *checker) fromRequest(r *request, name string, ref *model.Ref) (any, error) {
	s := c.m.Shape(ref)
	switch ref.Location {
	case "uri":
		if v := r.PathValue(ref.LocationName); v != "" {
			return v, nil
		}
		return nil, nil
	case "querystring":
		q, err := r.query()
		if err != nil {
			return nil, err
		}
		vals, ok := q[ref.LocationName]
		if !ok {
			return nil, nil
		}
		switch s.Type {
		case "list":
			out := make([]any, len(vals))
			for i, v := range vals {
				out[i] = v
			}
			return out, nil
		case "integer", "long":
			n, err := strconv.ParseInt(vals[0], 10, 64)
			if err != nil {
				return nil, access.ErrNotNumber(c.code, name, vals[0])
			}
			return float64(n), nil
		case "boolean":
			b, err := strconv.ParseBool(vals[0])
			if err != nil {
				return nil, access.ErrEnum(c.code, name, vals[0], []string{"true", "false"})
			}
			return b, nil
		}
		return vals[0], nil
	}
	return nil, nil
}

// checker walks a JSON value against a model shape. For requests (output false) it checks
// every constraint and drops unknown structure members; for responses (output true, tests)
// it refuses unknown members and nulls and checks types, enums and required members only.
type checker struct {
	m      *model.Model
	code   string // the exception for a constraint violation (requests)
	output bool
}

func memberPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (c *checker) structure(path string, s *model.Shape, obj map[string]any) (map[string]any, error) {
	for _, req := range s.Required {
		if v, ok := obj[req]; !ok || v == nil {
			if c.output {
				return nil, fmt.Errorf("%s: required member missing", memberPath(path, req))
			}
			return nil, access.ErrRequired(c.code, memberPath(path, req))
		}
	}
	out := make(map[string]any, len(obj))
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		p := memberPath(path, name)
		ref, ok := s.Members[name]
		v := obj[name]
		switch {
		case !ok && c.output:
			return nil, fmt.Errorf("%s: not a member of the output shape", p)
		case !ok:
			continue
		case v == nil && c.output:
			return nil, fmt.Errorf("%s: null", p)
		case v == nil: // null is an absent member
			continue
		}
		cv, err := c.value(p, ref, v)
		if err != nil {
			return nil, err
		}
		out[name] = cv
	}
	return out, nil
}

func (c *checker) value(path string, ref *model.Ref, v any) (any, error) {
	s := c.m.Shape(ref)
	if v == nil {
		return nil, c.wrongType(path, s, v)
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, c.wrongType(path, s, v)
		}
		return c.structure(path, s, obj)
	case "list":
		list, ok := v.([]any)
		if !ok {
			return nil, c.wrongType(path, s, v)
		}
		if err := c.bounds(path, s, float64(len(list)), "items"); err != nil {
			return nil, err
		}
		out := make([]any, len(list))
		for i, e := range list {
			cv, err := c.value(fmt.Sprintf("%s[%d]", path, i), s.Member, e)
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, c.wrongType(path, s, v)
		}
		if err := c.bounds(path, s, float64(len(obj)), "entries"); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(obj))
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if _, err := c.value(path+" key", s.Key, k); err != nil {
				return nil, err
			}
			cv, err := c.value(fmt.Sprintf("%s[%q]", path, k), s.Value, obj[k])
			if err != nil {
				return nil, err
			}
			out[k] = cv
		}
		return out, nil
	case "string":
		str, ok := v.(string)
		if !ok {
			return nil, c.wrongType(path, s, v)
		}
		return str, c.str(path, s, str)
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, c.wrongType(path, s, v)
		}
		return v, nil
	case "integer", "long":
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) {
			return nil, c.wrongType(path, s, v)
		}
		return n, c.bounds(path, s, n, "")
	case "float", "double":
		n, ok := v.(float64)
		if !ok {
			return nil, c.wrongType(path, s, v)
		}
		return n, c.bounds(path, s, n, "")
	case "timestamp": // rest-json: epoch seconds
		if _, ok := v.(float64); !ok {
			return nil, c.wrongType(path, s, v)
		}
		return v, nil
	case "blob":
		if _, ok := v.(string); !ok {
			return nil, c.wrongType(path, s, v)
		}
		return v, nil
	}
	return nil, fmt.Errorf("model: shape %s has unsupported type %q", ref.Shape, s.Type)
}

func (c *checker) str(path string, s *model.Shape, v string) error {
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		if c.output {
			return fmt.Errorf("%s: %q is not one of %v", path, v, s.Enum)
		}
		return access.ErrEnum(c.code, path, v, s.Enum)
	}
	if c.output {
		return nil
	}
	if err := c.bounds(path, s, float64(utf8.RuneCountInString(v)), "characters"); err != nil {
		return err
	}
	if s.Pattern != "" && !patternFor(s.Pattern).MatchString(v) {
		return access.ErrPattern(c.code, path, s.Pattern)
	}
	return nil
}

// bounds checks a length, count or number against the shape's min and max (requests only:
// responses carry sizes the model's request limits do not bind, such as "tags": {}).
func (c *checker) bounds(path string, s *model.Shape, n float64, unit string) error {
	if c.output || (s.Min == nil && s.Max == nil) {
		return nil
	}
	if (s.Min != nil && n < *s.Min) || (s.Max != nil && n > *s.Max) {
		return access.ErrBounds(c.code, path, unit, s.Min, s.Max)
	}
	return nil
}

func (c *checker) wrongType(path string, s *model.Shape, v any) error {
	if c.output {
		return fmt.Errorf("%s: %s, want %s", path, jsonKindOf(v), shapeKind(s.Type))
	}
	if path == "" {
		return errNotObject(jsonKindOf(v))
	}
	return errWrongType(path, shapeKind(s.Type), jsonKindOf(v))
}

// shapeKind names the JSON a shape type takes, as the SerializationException says it.
func shapeKind(typ string) string {
	switch typ {
	case "list":
		return "a list"
	case "map":
		return "a map"
	case "string", "blob":
		return "a string"
	case "boolean":
		return "a boolean"
	case "integer", "long", "float", "double", "timestamp":
		return "a number"
	}
	return "a structure"
}

// jsonKindOf names a decoded JSON value's kind as encoding/json's errors do.
func jsonKindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	case []any:
		return "array"
	}
	return "object"
}

var patterns sync.Map // model pattern → *regexp.Regexp

// patternFor compiles a model pattern with whole-value semantics (a Smithy/Coral pattern
// must match the whole string: ClusterName's `^[0-9A-Za-z][A-Za-z0-9\-_]*` refuses "a.b").
func patternFor(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(`^(?:` + p + `)$`)
	patterns.Store(p, re)
	return re
}

// CheckOutput checks a 200 response body of op against the operation's output shape: no
// unknown member, no null, the right JSON types, enum values and required members. The API
// tests run it on every response (internal/testutil).
func CheckOutput(op string, body []byte) error {
	m := model.EKS()
	o := m.Op(op)
	if o == nil {
		return fmt.Errorf("no operation %s in the model", op)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("%s: response is not JSON: %v", op, err)
	}
	c := checker{m: m, output: true}
	if _, err := c.value("", o.Output, doc); err != nil {
		return fmt.Errorf("%s response: %v", op, err)
	}
	return nil
}
