// Command gen writes the embedded EKS model (../eks-2017-11-01.json) from the botocore
// service-2.json installed with aws-cli, reduced to the operations source.json lists, and
// records the botocore version and the source's SHA-256 in source.json. Run by go generate
// in internal/eksapi/model.
package main

import (
	"encoding/json"
	"log"
	"os"

	"github.com/eksaccess/eksaccess/internal/eksapi/model"
)

func main() {
	log.SetFlags(0)
	src := model.Provenance()
	bc, err := model.FindBotocore()
	if err != nil {
		log.Fatal(err)
	}
	raw, sum, err := bc.ReadServiceModel(src.Path)
	if err != nil {
		log.Fatal(err)
	}
	out, err := model.Reduce(raw, src.Operations)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := model.Parse(out); err != nil {
		log.Fatal(err)
	}
	src.Botocore, src.SHA256 = bc.Version, sum
	rec, err := json.MarshalIndent(src, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("eks-2017-11-01.json", out, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("source.json", append(rec, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("eks-2017-11-01.json: %d operations from botocore %s (%s)", len(src.Operations), bc.Version, sum)
}
