// Package storetest is the one conformance suite of the access.Store contract. Every backend
// runs it unchanged: storetest.Run(t, func(t *testing.T) access.Store { ... }).
package storetest

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Opener returns a new, empty store for one test.
type Opener func(t *testing.T) access.Store

// Case is one conformance test.
type Case struct {
	Name string
	Run  func(t *testing.T, s access.Store)
}

// cases are registered by the files of this package, one file per resource.
var cases []Case

func register(cs ...Case) { cases = append(cases, cs...) }

// Run runs every conformance case against fresh stores from open.
func Run(t *testing.T, open Opener) {
	sorted := append([]Case{}, cases...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, c := range sorted {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			c.Run(t, s)
		})
	}
}

var ctx = context.Background()

// update runs fn in a write transaction and fails the test on error.
func update(t *testing.T, s access.Store, fn func(tx access.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

// view runs fn in a read transaction and fails the test on error.
func view(t *testing.T, s access.Store, fn func(tx access.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func wantErr(t *testing.T, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("want %v, got %v", want, got)
	}
}
