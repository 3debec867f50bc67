package kubeauth

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
)

// A fast path for decoding the reviews kube-apiserver sends. It handles only what it is sure
// encoding/json decodes the same way: exact member names, no member twice, strings without
// escapes and of valid UTF-8, members of the right JSON types, unknown members whose names fold
// to no known one and whose values are plain JSON. Anything else (a null, an escape, a name in
// another case, a field selector, a type error...) makes it give up, and readReview decodes the
// body with encoding/json as before: so it accepts, refuses and decodes exactly what
// encoding/json does (FuzzFastReview compares them).

type scan struct {
	b []byte
	i int
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips whitespace and consumes c.
func (s *scan) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// peek skips whitespace and reports whether c comes next, without consuming it.
func (s *scan) peek(c byte) bool {
	s.ws()
	return s.i < len(s.b) && s.b[s.i] == c
}

// raw is a string without escapes or control characters, as bytes of the body.
func (s *scan) raw() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start, ascii := s.i, true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (s *scan) str(dst *string) bool {
	v, ok := s.raw()
	if ok {
		*dst = string(v)
	}
	return ok
}

// strs is an array of strings; [] is an empty slice, not nil, as encoding/json makes it.
func (s *scan) strs(dst *[]string) bool {
	if !s.next('[') {
		return false
	}
	var small [8]string
	out := small[:0]
	if !s.next(']') {
		for {
			var v string
			if !s.str(&v) {
				return false
			}
			out = append(out, v)
			if s.next(']') {
				break
			}
			if !s.next(',') {
				return false
			}
		}
	}
	*dst = append(make([]string, 0, len(out)), out...)
	return true
}

// object calls member for each member of an object; member reads the value and reports false
// to give up.
func (s *scan) object(member func(name []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		name, ok := s.raw()
		if !ok || !s.next(':') || !member(name) {
			return false
		}
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// members reads an object whose known member names are names: field(i) reads the value of
// names[i]; each may come once. An unknown member is skipped when its name is ASCII and folds
// to none of names (encoding/json would match it case-insensitively).
func (s *scan) members(names []string, field func(i int) bool) bool {
	var seen uint32
	return s.object(func(name []byte) bool {
		for i, n := range names {
			if string(name) == n {
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				return field(i)
			}
		}
		for _, c := range name {
			if c >= utf8.RuneSelf {
				return false
			}
		}
		for _, n := range names {
			if strings.EqualFold(string(name), n) {
				return false
			}
		}
		return s.skip(0)
	})
}

// skip passes over one JSON value it is sure is valid (nesting up to 32 deep).
func (s *scan) skip(depth int) bool {
	if depth > 32 {
		return false
	}
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(func([]byte) bool { return s.skip(depth + 1) })
	case c == '[':
		s.i++
		if s.next(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.next(']') {
				return true
			}
			if !s.next(',') {
				return false
			}
		}
	case c == '"':
		_, ok := s.raw() // a value encoding/json ignores: its bytes need not be valid UTF-8, but raw insists
		return ok
	case c == 't':
		return s.word("true")
	case c == 'f':
		return s.word("false")
	case c == 'n':
		return s.word("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

func (s *scan) word(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

// number is -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scan) number() bool {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if !s.digits() {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scan) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// end: only whitespace follows the value.
func (s *scan) end() bool {
	s.ws()
	return s.i == len(s.b)
}

var envelopeNames = []string{"apiVersion", "kind", "spec"}

// envelope reads a review's apiVersion, kind and spec (with spec).
func envelope(b []byte, apiVersion, kind *string, spec func(s *scan) bool) bool {
	s := &scan{b: b}
	return s.members(envelopeNames, func(i int) bool {
		switch i {
		case 0:
			return s.str(apiVersion)
		case 1:
			return s.str(kind)
		}
		return spec(s)
	}) && s.end()
}

var tokenSpecNames = []string{"token", "audiences"}

// fastTokenReview decodes a TokenReview as encoding/json would, or reports false.
func fastTokenReview(b []byte, rv *review[authnv1.TokenReviewSpec]) bool {
	return envelope(b, &rv.APIVersion, &rv.Kind, func(s *scan) bool {
		return s.members(tokenSpecNames, func(i int) bool {
			if i == 0 {
				return s.str(&rv.Spec.Token)
			}
			return s.strs(&rv.Spec.Audiences)
		})
	})
}

var (
	sarSpecNames     = []string{"resourceAttributes", "nonResourceAttributes", "user", "groups", "extra", "uid", "group"}
	resourceNames    = []string{"namespace", "verb", "group", "version", "resource", "subresource", "name", "fieldSelector", "labelSelector"}
	nonResourceNames = []string{"path", "verb"}
)

// fastSAR decodes a SubjectAccessReview (v1 or v1beta1) as encoding/json would, or reports false.
func fastSAR(b []byte, rv *review[sarSpec]) bool {
	return envelope(b, &rv.APIVersion, &rv.Kind, func(s *scan) bool {
		sp := &rv.Spec
		return s.members(sarSpecNames, func(i int) bool {
			switch i {
			case 0:
				ra := &authzv1.ResourceAttributes{}
				sp.ResourceAttributes = ra
				return s.members(resourceNames, func(i int) bool {
					switch i {
					case 0:
						return s.str(&ra.Namespace)
					case 1:
						return s.str(&ra.Verb)
					case 2:
						return s.str(&ra.Group)
					case 3:
						return s.str(&ra.Version)
					case 4:
						return s.str(&ra.Resource)
					case 5:
						return s.str(&ra.Subresource)
					case 6:
						return s.str(&ra.Name)
					}
					return false // selectors: encoding/json
				})
			case 1:
				nr := &authzv1.NonResourceAttributes{}
				sp.NonResourceAttributes = nr
				return s.members(nonResourceNames, func(i int) bool {
					if i == 0 {
						return s.str(&nr.Path)
					}
					return s.str(&nr.Verb)
				})
			case 2:
				return s.str(&sp.User)
			case 3:
				return s.strs(&sp.Groups)
			case 4:
				return s.extra(&sp.Extra)
			case 5:
				return s.str(&sp.UID)
			}
			return s.strs(&sp.GroupV1beta1)
		})
	})
}

// extra is an object of string arrays; a key may come once.
func (s *scan) extra(dst *map[string]authzv1.ExtraValue) bool {
	if !s.peek('{') {
		return false
	}
	m := make(map[string]authzv1.ExtraValue, 8)
	if !s.object(func(name []byte) bool {
		k := string(name) // raw checked its UTF-8
		if _, dup := m[k]; dup {
			return false
		}
		var v []string
		if !s.strs(&v) {
			return false
		}
		m[k] = v
		return true
	}) {
		return false
	}
	*dst = m
	return true
}

// appendString appends s as encoding/json encodes it: as it is when every byte is printable
// ASCII that it does not escape, else through json.Marshal.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendStrings appends a JSON array of strings; nil is null, as encoding/json encodes it.
func appendStrings(dst []byte, v []string) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

// appendSARAnswer appends the answer to a SubjectAccessReview (its apiVersion, its kind and
// st as "status", then a newline) as json.Encoder encoded it.
func appendSARAnswer(dst []byte, apiVersion string, st sarStatus) []byte {
	dst = append(dst, `{"apiVersion":`...)
	dst = appendString(dst, apiVersion)
	dst = append(dst, `,"kind":"SubjectAccessReview","status":{"allowed":`...)
	dst = strconv.AppendBool(dst, st.Allowed)
	if st.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, st.Reason)
	}
	return append(dst, "}}\n"...)
}

// appendTokenReviewAnswer appends the answer to a TokenReview (its apiVersion, its kind and st
// as "status", then a newline) as json.Encoder encoded it.
func appendTokenReviewAnswer(dst []byte, apiVersion string, st *tokenReviewStatus) []byte {
	dst = append(dst, `{"apiVersion":`...)
	dst = appendString(dst, apiVersion)
	dst = append(dst, `,"kind":"TokenReview","status":{"authenticated":`...)
	dst = strconv.AppendBool(dst, st.Authenticated)
	if u := st.User; u != nil {
		dst = append(dst, `,"user":{`...)
		sep := ""
		if u.Username != "" {
			dst = append(dst, `"username":`...)
			dst = appendString(dst, u.Username)
			sep = ","
		}
		if u.UID != "" {
			dst = append(dst, sep+`"uid":`...)
			dst = appendString(dst, u.UID)
			sep = ","
		}
		if len(u.Groups) > 0 {
			dst = append(dst, sep+`"groups":`...)
			dst = appendStrings(dst, u.Groups)
			sep = ","
		}
		if len(u.Extra) > 0 {
			dst = append(dst, sep+`"extra":{`...)
			var keys [8]string
			ks := keys[:0]
			for k := range u.Extra {
				ks = append(ks, k)
			}
			slices.Sort(ks)
			for i, k := range ks {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, k)
				dst = append(dst, ':')
				dst = appendStrings(dst, u.Extra[k])
			}
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	if len(st.Audiences) > 0 {
		dst = append(dst, `,"audiences":`...)
		dst = appendStrings(dst, st.Audiences)
	}
	if st.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = appendString(dst, st.Error)
	}
	return append(dst, "}}\n"...)
}
