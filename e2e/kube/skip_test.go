//go:build !e2e

package kube_test

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
)

// TestEndToEnd stands for the end-to-end tests when they are not built. They are built only
// with -tags e2e (hack/e2e.sh passes it): each needs etcd, a kube-apiserver build and kubectl,
// and their test binary links the whole server, so `go test ./...` would spend seconds linking
// it only to skip every test. This one names what did not run and how to run it, and refuses
// EKSACCESS_E2E=1 without the tag, so nobody believes they ran.
func TestEndToEnd(t *testing.T) {
	names := e2eTests(t)
	if len(names) == 0 {
		t.Fatal("no end-to-end tests found in e2e/kube's files tagged e2e")
	}
	list := strings.Join(names, ", ")
	if os.Getenv("EKSACCESS_E2E") == "1" {
		t.Fatalf("EKSACCESS_E2E=1, but the %d end-to-end tests (%s) are built only with -tags e2e: run bash hack/e2e.sh", len(names), list)
	}
	testenv.SkipVisibly(t, "%d end-to-end tests against a real kube-apiserver did not run (%s): they need -tags e2e; run: bash hack/e2e.sh", len(names), list)
}

// e2eTests lists the Test functions of this directory's files built only under the e2e tag.
func e2eTests(t *testing.T) []string {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		tagged := false
		for _, g := range file.Comments {
			for _, c := range g.List {
				if expr, err := constraint.Parse(c.Text); err == nil && expr.Eval(func(tag string) bool { return tag == "e2e" }) && !expr.Eval(func(string) bool { return false }) {
					tagged = true
				}
			}
		}
		if !tagged {
			continue
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") && fn.Name.Name != "TestMain" {
				names = append(names, fn.Name.Name)
			}
		}
	}
	return names
}
