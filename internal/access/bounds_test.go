package access

import "testing"

func TestErrBoundsWording(t *testing.T) {
	t.Parallel()
	one, fifty, hundred := 1.0, 50.0, 100.0
	for _, c := range []struct {
		unit     string
		min, max *float64
		want     string
	}{
		{"items", nil, &one, "encryptionConfig must have at most 1 item"},
		{"entries", &one, &fifty, "encryptionConfig must have between 1 and 50 entries"},
		{"entries", &one, nil, "encryptionConfig must have at least 1 entry"},
		{"characters", &one, &hundred, "encryptionConfig must have between 1 and 100 characters"},
		{"characters", nil, &one, "encryptionConfig must have at most 1 character"},
		{"", &one, &hundred, "encryptionConfig must be between 1 and 100"},
	} {
		if got := ErrBounds(CodeInvalidParameter, "encryptionConfig", c.unit, c.min, c.max).Message; got != c.want {
			t.Errorf("ErrBounds(%q): %q, want %q", c.unit, got, c.want)
		}
	}
}
