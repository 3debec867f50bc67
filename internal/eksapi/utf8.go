package eksapi

import (
	"unicode/utf8"

	"github.com/eksaccess/eksaccess/internal/access"
)

// errNotUTF8 refuses request input whose strings are not valid UTF-8. Go's decoders would
// replace the offending bytes with U+FFFD, so distinct inputs would be stored as one.
func errNotUTF8(where string) *access.Error {
	return access.NewError(access.CodeSerialization, "The "+where+" is not valid UTF-8: every string member must be UTF-8 text")
}

// validJSONText reports whether a JSON body holds only valid UTF-8, counting \u escapes: an
// unpaired surrogate escape (\ud800) decodes to U+FFFD as invalid bytes do.
func validJSONText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		i++ // the escaped character: "\\" is consumed whole
		if b[i] != 'u' {
			continue
		}
		r, ok := hex4(b, i+1)
		if !ok {
			continue // a syntax error the decoder reports
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false // a low surrogate without its high one
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := hex4(b, i+7)
			if i+6 >= len(b) || b[i+5] != '\\' || b[i+6] != 'u' || !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 10
		default:
			i += 4
		}
	}
	return true
}

// hex4 parses the four hex digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
