package model_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/eksaccess/eksaccess/internal/eksapi/model"
	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
)

// The embedded model is exactly what gen/ produces from the botocore source source.json
// records: same version, same SHA-256 of service-2.json, same reduced bytes.
func TestEmbeddedModelIsGenerated(t *testing.T) {
	src := model.Provenance()
	bc, err := model.FindBotocore()
	testenv.RequireCI(t, "botocore (installed with aws-cli)", err)
	if bc.Version != src.Botocore {
		msg := "installed botocore is " + bc.Version + ", the embedded model comes from " + src.Botocore + ": run go generate ./internal/eksapi/model"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	raw, sum, err := bc.ReadServiceModel(src.Path)
	if err != nil {
		t.Fatal(err)
	}
	if sum != src.SHA256 {
		t.Fatalf("botocore %s %s has SHA-256 %s, source.json records %s", bc.Version, src.Path, sum, src.SHA256)
	}
	want, err := model.Reduce(raw, src.Operations)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("eks-2017-11-01.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("eks-2017-11-01.json is not what go generate makes from the recorded source: run go generate ./internal/eksapi/model")
	}
}

func TestModelHasTheOperationsInScope(t *testing.T) {
	m := model.EKS()
	ops := model.Provenance().Operations
	if len(ops) != 23 || len(m.Operations) != len(ops) {
		t.Fatalf("want 23 operations, source.json lists %d, model has %d", len(ops), len(m.Operations))
	}
	for _, name := range ops {
		op := m.Op(name)
		if op == nil || op.Input == nil || op.Output == nil {
			t.Fatalf("%s: missing or without input/output", name)
		}
	}
	// Declared errors decide the validation exception.
	for op, want := range map[string]string{
		"ListClusters":                 "InvalidParameterException",
		"ListAssociatedAccessPolicies": "InvalidRequestException",
		"DeleteCluster":                "InvalidRequestException",
		"TagResource":                  "BadRequestException",
		"ListAccessPolicies":           "InvalidParameterException",
	} {
		if got := m.Op(op).ValidationError(); got != want {
			t.Errorf("%s: validation error %s, want %s", op, got, want)
		}
	}
	if s := m.Shapes["TagMap"]; s == nil || s.Min == nil || *s.Min != 1 || *s.Max != 50 {
		t.Fatalf("TagMap bounds: %+v", s)
	}
}
