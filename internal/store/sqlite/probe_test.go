package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

// The change probe's token moves with every commit of another connection, read from the WAL
// index header (and, where that cannot be read, from PRAGMA data_version), and stays put
// while nothing is written.
func TestChangeProbe(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "probe.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := Open(ctx, path) // another connection writing the same file
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	probe := s.ChangeProbe()
	n := 0
	write := func() {
		n++
		err := other.Update(ctx, func(tx access.Tx) error {
			return tx.InsertCluster(&access.Cluster{ID: "id-" + string(rune('a'+n)), Account: "111122223333", Region: "us-west-2",
				Name: "c" + string(rune('a'+n)), ARN: "arn", Status: "ACTIVE", AuthenticationMode: "API", Tags: map[string]string{}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write()
	if _, ok := s.probe.walHeader(); !ok {
		t.Fatal("the WAL index header was not read: the probe would fall back to PRAGMA data_version on every view")
	}
	for i := range 5 {
		before, err := probe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := probe(ctx); again != before {
			t.Fatalf("round %d: token moved with nothing written", i)
		}
		v1, err := s.probe.dataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		write()
		if after, _ := probe(ctx); after == before {
			t.Fatalf("round %d: token unchanged after another connection committed", i)
		}
		if v2, _ := s.probe.dataVersion(ctx); v2 == v1 {
			t.Fatalf("round %d: data_version unchanged after another connection committed", i)
		}
	}
}
