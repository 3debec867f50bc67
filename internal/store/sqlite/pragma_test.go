package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// The writer keeps statement journals in memory (temp_store MEMORY), synchronous stays FULL,
// and a temp_store given in the DSN wins over eksaccess's choice.
func TestWriterPragmas(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		dsn              string
		tempStore, syncv int
	}{
		{"", 2, 2},
		{"?_pragma=temp_store(FILE)", 1, 2},
	} {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db")+c.dsn)
		if err != nil {
			t.Fatal(err)
		}
		var ts, sy int
		for q, v := range map[string]*int{"PRAGMA temp_store": &ts, "PRAGMA synchronous": &sy} {
			if err := s.writer.QueryRowContext(ctx, q).Scan(v); err != nil {
				t.Fatal(err)
			}
		}
		if ts != c.tempStore || sy != c.syncv {
			t.Errorf("DSN %q: temp_store %d, synchronous %d; want %d, %d", c.dsn, ts, sy, c.tempStore, c.syncv)
		}
		s.Close()
	}
}
